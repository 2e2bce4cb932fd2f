"""The import engine: ``validate`` says what a file would do, ``apply`` does it.

Both run the same pipeline (read -> parse cells -> check rows against each other and the
database -> classify), so the preview a user approves and the import that follows cannot
disagree. ``apply`` re-validates inside its transaction because the database may have
changed since the preview (someone else imported departments in between).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from django.db import transaction

from kizuna.org.importing import columns, departments, employees
from kizuna.org.importing.rows import ParsedFile, parse_file
from kizuna.org.importing.types import ImportRejected, RowError, ValidationResult
from kizuna.org.signals import org_changed

Progress = Callable[[int, int], None]


class Plan(Protocol):
    parsed: ParsedFile
    summary: dict[str, int]

    @property
    def errors(self) -> list[RowError]: ...

    def apply(self, progress: Progress | None = None) -> dict[str, int]: ...


def _plan(kind: str, content: bytes, filename: str, as_of: dt.date) -> Plan:
    if kind not in columns.COLUMNS:
        raise ValueError(f"unknown import kind {kind!r}")
    parsed = parse_file(kind, content, filename)
    if kind == columns.EMPLOYEES:
        return employees.plan(parsed, as_of)
    return departments.plan(parsed, as_of)


def validate(kind: str, content: bytes, filename: str, as_of: dt.date) -> ValidationResult:
    """Check ``content`` without writing anything. ``summary`` counts what ``apply``
    would do (over the valid rows, when there are errors); ``preview`` holds the first
    rows as parsed, as display strings keyed by field name."""
    plan = _plan(kind, content, filename, as_of)
    summary = dict.fromkeys(employees.SUMMARY_KEYS, 0) | plan.summary
    return ValidationResult(
        encoding=plan.parsed.encoding,
        total_rows=plan.parsed.total_rows,
        errors=plan.errors,
        summary=summary,
        preview=plan.parsed.preview(),
    )


def apply(
    kind: str,
    content: bytes,
    filename: str,
    as_of: dt.date,
    *,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Validate and write, all or nothing. Raises ``ImportRejected`` with every error
    when any row is bad. Runs in a transaction (a savepoint inside the caller's), so an
    exception half-way leaves the database as it was."""
    with transaction.atomic():
        plan = _plan(kind, content, filename, as_of)
        errors = plan.errors
        if errors:
            raise ImportRejected(errors)
        summary = plan.apply(progress)
        org_changed.send(sender=apply, kind=kind, as_of=as_of)
        return summary
