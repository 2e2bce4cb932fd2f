"""``kizuna import employees|departments|…|attendance PATH``: the import from scripts and
cron.

Same engine and same all-or-nothing rule as the upload page, so a file that passes here
passes there. Exit status 0 means the file was valid (and, without ``--dry-run``,
imported); 1 means nothing was changed, with every problem listed on stderr (or in the
JSON on stdout with ``--format json``, for scripts).
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kizuna.customers import importing as customer_imports
from kizuna.org.importing import messages, service
from kizuna.org.importing.types import ImportRejected, RowError
from kizuna.org.models import ImportKind
from kizuna.practices.flexwork import importing as attendance_import
from kizuna.practices.oneonones import importing as meeting_import

ONE_ON_ONES = "one-on-ones"

SUMMARY_KEYS = ("created", "updated", "leavers", "unchanged")


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Translated when the parser is built (for --help), not at import time.
        self.help = _(
            "Import employees, departments, customer data, attendance or past 1on1s from a CSV "
            "(UTF-8 or Shift_JIS) or Excel (.xlsx) file. If any row is invalid, the whole file "
            "is rejected and nothing is changed."
        )
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "kind",
            choices=[
                *ImportKind.values,
                *customer_imports.KINDS,
                attendance_import.KIND,
                ONE_ON_ONES,
            ],
            help=_(
                "What the file contains: employees, departments, accounts, contacts, "
                "subscriptions, attendance or one-on-ones (1on1s held)."
            ),
        )
        parser.add_argument("path", help=_("The CSV or .xlsx file to import."))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Check the file and show what would change, without saving."),
        )
        parser.add_argument(
            "--as-of",
            metavar="YYYY-MM-DD",
            help=_(
                "Date on which department, manager and other changes take effect (default: today)."
            ),
        )
        parser.add_argument(
            "--format",
            choices=["text", "json"],
            default="text",
            help=_("Output format: text for people, json for scripts."),
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help=_("Language of the messages (default: the site language)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        kind: str = options["kind"]
        path = Path(options["path"])
        as_of = self._as_of(options["as_of"])
        content = self._read(path)
        dry_run: bool = options["dry_run"]
        errors: list[RowError] = []
        self.describe, self.message = messages.describe, messages.message
        if kind in customer_imports.KINDS:
            self.describe, self.message = customer_imports.describe, customer_imports.message
            result = customer_imports.import_kind(kind, content, path.name, as_of, dry_run)
            errors, summary = result.errors, result.summary
        elif kind == attendance_import.KIND:
            # One row per employee per day; the dates come from the file, so --as-of
            # is not used.
            self.describe, self.message = attendance_import.describe, attendance_import.message
            result = attendance_import.import_file(content, path.name, dry_run)
            errors, summary = result.errors, result.summary
        elif kind == ONE_ON_ONES:
            # One row per 1on1 held (上長社員番号, 社員番号, 実施日); pairs follow the org chart.
            self.describe, self.message = meeting_import.describe, meeting_import.message
            meetings = meeting_import.import_meetings(content, path.name, dry_run=dry_run)
            errors = meetings.row_errors
            summary = {"created": meetings.meetings_created, "unchanged": meetings.skipped}
        elif dry_run:
            result = service.validate(kind, content, path.name, as_of)
            errors, summary = result.errors, result.summary
        else:
            try:
                summary = service.apply(kind, content, path.name, as_of)
            except ImportRejected as rejected:
                errors, summary = rejected.errors, {}
        summary = {key: int(summary.get(key, 0)) for key in SUMMARY_KEYS}

        if options["format"] == "json":
            self._json(kind, path, as_of, dry_run, summary, errors)
        else:
            self._text(path, dry_run, summary, errors)
        if errors:
            raise CommandError(
                ngettext(
                    "The file was rejected (%(count)s error). Nothing was changed.",
                    "The file was rejected (%(count)s errors). Nothing was changed.",
                    len(errors),
                )
                % {"count": len(errors)},
                returncode=1,
            )

    def _as_of(self, value: str | None) -> dt.date:
        if not value:
            return timezone.localdate()
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CommandError(
                _("Invalid --as-of date “%(value)s”. Use the form YYYY-MM-DD.") % {"value": value}
            ) from None

    def _read(self, path: Path) -> bytes:
        try:
            size = path.stat().st_size
            if size > settings.KIZUNA_IMPORT_MAX_BYTES:
                raise CommandError(
                    _("The file is too large (at most %(limit)s MB).")
                    % {"limit": settings.KIZUNA_IMPORT_MAX_BYTES // (1024 * 1024)}
                )
            return path.read_bytes()
        except OSError:
            raise CommandError(
                _("Cannot read the file “%(path)s”. Check the path and permissions.")
                % {"path": path}
            ) from None

    def _text(
        self, path: Path, dry_run: bool, summary: dict[str, int], errors: list[RowError]
    ) -> None:
        if errors:
            for error in errors:
                self.stderr.write(self.describe(error))
            return
        rows = sum(summary.values())
        if dry_run:
            lead = _("Dry run: all %(rows)s rows in %(file)s are valid. Nothing was changed.")
        else:
            lead = _("Imported %(rows)s rows from %(file)s.")
        self.stdout.write(lead % {"rows": rows, "file": path.name})
        self.stdout.write(
            _(
                "Created: %(created)s, updated: %(updated)s, leavers: %(leavers)s, "
                "unchanged: %(unchanged)s."
            )
            % summary
        )

    def _json(
        self,
        kind: str,
        path: Path,
        as_of: dt.date,
        dry_run: bool,
        summary: dict[str, int],
        errors: list[RowError],
    ) -> None:
        payload = {
            "ok": not errors,
            "kind": kind,
            "file": path.name,
            "as_of": as_of.isoformat(),
            "dry_run": dry_run,
            "summary": summary,
            "errors": [
                {
                    "row": error.row,
                    "column": error.column,
                    "message": self.message(error),
                    "code": error.code,
                }
                for error in errors
            ],
        }
        self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
