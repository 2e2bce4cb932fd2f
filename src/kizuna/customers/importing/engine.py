"""The customer import engine: ``validate`` says what a file would do, ``apply`` does it,
``import_kind`` is the single entry point for ``kizuna import accounts|contacts|
subscriptions``.

Both run the same pipeline as employee imports (read -> parse cells -> check rows against
each other and the database -> classify), so a dry run and the import that follows cannot
disagree; ``apply`` re-validates inside its transaction and writes nothing unless every
row is valid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction

from kizuna.core import audit
from kizuna.customers.importing import accounts, columns, contacts, subscriptions
from kizuna.customers.importing.common import SUMMARY_KEYS, Plan, Progress
from kizuna.customers.importing.rows import parse_file
from kizuna.org.importing.rows import ParsedFile
from kizuna.org.importing.types import ImportRejected, ValidationResult

KINDS = columns.KINDS

_PLANNERS: dict[str, Callable[[ParsedFile, dt.date], Plan]] = {
    columns.ACCOUNTS: accounts.plan,
    columns.CONTACTS: contacts.plan,
    columns.SUBSCRIPTIONS: subscriptions.plan,
}


def _plan(kind: str, content: bytes, filename: str, as_of: dt.date) -> Plan:
    if kind not in _PLANNERS:
        raise ValueError(f"unknown import kind {kind!r}")
    return _PLANNERS[kind](parse_file(kind, content, filename), as_of)


def _result(plan: Plan, summary: dict[str, int]) -> ValidationResult:
    return ValidationResult(
        encoding=plan.parsed.encoding,
        total_rows=plan.parsed.total_rows,
        errors=plan.errors,
        summary=dict.fromkeys(SUMMARY_KEYS, 0) | summary,
        preview=plan.parsed.preview(),
    )


def validate(kind: str, content: bytes, filename: str, as_of: dt.date) -> ValidationResult:
    """Check ``content`` without writing anything. ``summary`` counts what ``apply`` would
    do (created/updated/unchanged, over the valid rows when there are errors)."""
    plan = _plan(kind, content, filename, as_of)
    return _result(plan, plan.summary)


def apply(
    kind: str,
    content: bytes,
    filename: str,
    as_of: dt.date,
    *,
    actor: object = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Validate and write, all or nothing, with one audit entry. Raises
    ``ImportRejected`` with every error (and changes nothing) when any row is bad."""
    return _apply(kind, content, filename, as_of, actor, progress)[1]


def _apply(
    kind: str,
    content: bytes,
    filename: str,
    as_of: dt.date,
    actor: object,
    progress: Progress | None,
) -> tuple[Plan, dict[str, int]]:
    with transaction.atomic():
        plan = _plan(kind, content, filename, as_of)
        errors = plan.errors
        if errors:
            raise ImportRejected(errors)
        counts = plan.apply(progress)
        audit.record(
            actor,
            f"customers.import.{kind}",
            target_type="import",
            filename=filename,
            as_of=as_of.isoformat(),
            counts=counts,
        )
    return plan, counts


def import_kind(
    kind: str,
    content: bytes,
    filename: str,
    as_of: dt.date,
    dry_run: bool,
    *,
    actor: object = None,
    progress: Progress | None = None,
) -> ValidationResult:
    """Check (``dry_run``) or import a customer file; never raises for a bad file.

    The result's ``errors`` is empty when the file is valid; then ``summary`` holds
    created/updated/unchanged counts of what was (or, in a dry run, would be) done. With
    errors nothing was changed. Render errors with ``importing.messages.describe`` /
    ``message``. Raises ``ValueError`` for a ``kind`` not in ``KINDS``.
    """
    if dry_run:
        return validate(kind, content, filename, as_of)
    try:
        plan, counts = _apply(kind, content, filename, as_of, actor, progress)
    except ImportRejected:
        # Re-plan outside the rolled-back transaction, for the counts over valid rows.
        return validate(kind, content, filename, as_of)
    return _result(plan, counts)
