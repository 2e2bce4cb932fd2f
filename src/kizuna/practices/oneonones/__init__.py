"""1on1s: pairs, cadence, shared agenda, notes, action items, reminders."""
