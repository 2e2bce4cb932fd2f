"""Compile the .po catalogues to .mo with polib (no GNU gettext needed at install)."""

from pathlib import Path

import polib

for po_path in sorted(
    Path(__file__).resolve().parent.parent.glob("src/kizuna/locale/*/LC_MESSAGES/django.po")
):
    polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"compiled {po_path.parent.parent.name}")
