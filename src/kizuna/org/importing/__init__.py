"""Employee and department imports: CSV (UTF-8, UTF-8 with BOM, Shift_JIS/CP932) and
Excel .xlsx, Japanese or English headers, all-or-nothing."""

from kizuna.org.importing.types import ImportRejected, RowError, ValidationResult

__all__ = ["ImportRejected", "RowError", "ValidationResult"]
