"""Customer imports — accounts, contacts, subscriptions — from CSV (UTF-8, UTF-8 with BOM,
Shift_JIS/CP932) or Excel .xlsx, Japanese or English headers, all-or-nothing; built on the
employee import's reader, cell parsers and error types."""

from kizuna.customers.importing.engine import KINDS, apply, import_kind, validate
from kizuna.customers.importing.messages import describe, message, rejected_line, summary_line

__all__ = [
    "KINDS",
    "apply",
    "describe",
    "import_kind",
    "message",
    "rejected_line",
    "summary_line",
    "validate",
]
