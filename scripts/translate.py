"""Fill catalogue entries from JSON files of {msgid: Japanese} (contexts as
"context\\u0004msgid"); English entries get their msgid. Existing translations are kept.

Usage: .venv/bin/python scripts/translate.py FILE.json [FILE.json ...]
"""

import json
import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "src/kizuna/locale"

japanese: dict[str, str] = {}
for name in sys.argv[1:]:
    japanese.update(json.loads(Path(name).read_text(encoding="utf-8")))

for language in ("ja", "en"):
    path = LOCALE / language / "LC_MESSAGES/django.po"
    po = polib.pofile(str(path), wrapwidth=0)
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.msgstr = ""
            entry.msgstr_plural = {k: "" for k in entry.msgstr_plural}
        if language == "en":
            if entry.msgid_plural:
                entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
            else:
                entry.msgstr = entry.msgid
            continue
        if entry.msgid_plural:
            if all(entry.msgstr_plural.values()):
                continue
            text = japanese.get(key) or japanese.get(entry.msgid_plural)
            if text:
                entry.msgstr_plural = {0: text}
            else:
                missing.append(entry.msgid)
        elif not entry.msgstr:
            if key in japanese:
                entry.msgstr = japanese[key]
            else:
                missing.append(entry.msgid)
    if language == "ja":
        po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    else:
        po.metadata["Plural-Forms"] = "nplurals=2; plural=(n != 1);"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.metadata["Language"] = language
    po.metadata_is_fuzzy = False
    po.save(str(path))
    po.save_as_mofile(str(path.with_suffix(".mo")))
    for msgid in missing:
        print(f"{language}: untranslated: {msgid!r}")
