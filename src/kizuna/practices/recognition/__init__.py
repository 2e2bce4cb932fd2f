"""Recognition and peer bonus: thanks tied to values, weekly points budget, claps, awards."""
