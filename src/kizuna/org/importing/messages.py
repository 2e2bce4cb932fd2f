"""Human messages for import errors, translated when shown.

Errors are stored as (code, params) on the import job and rendered in whatever language
the reader uses, so the same rejected file reads in Japanese for HR staff and in English
for an overseas admin. Every message names the offending value and says how to fix it:
the person reading it is usually not the person who exported the file.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from kizuna.org.importing.columns import CHOICES, accepted_values
from kizuna.org.importing.types import RowError

MESSAGES: dict[str, str | Promise] = {
    # The file as a whole
    "empty_file": _("The file is empty. Add a header row and at least one data row."),
    "no_data_rows": _("The file has a header row but no data rows."),
    "encoding": _(
        "The file’s character encoding looks like %(guess)s, which cannot be read. "
        "Save it as “CSV UTF-8” or as CSV in Shift_JIS and upload it again."
    ),
    "encoding_unknown": _(
        "The file’s character encoding could not be recognised. "
        "Save it as “CSV UTF-8” or as CSV in Shift_JIS and upload it again."
    ),
    "damaged_utf8": _(
        "The file looks like UTF-8 but contains invalid characters (first on line "
        "%(line)s). The file may be damaged: save it again as “CSV UTF-8” and retry."
    ),
    "binary_file": _(
        "This is not a CSV or Excel file. Upload a .csv file or an Excel workbook (.xlsx)."
    ),
    "bad_xlsx": _(
        "The Excel file could not be opened. It may be damaged, password-protected or in "
        "the old .xls format: open it in Excel, save it as an Excel Workbook (.xlsx) "
        "without a password, and upload it again."
    ),
    "csv_syntax": _(
        'The CSV file could not be read from this row on. Check for a quotation mark (") '
        "that is opened but never closed."
    ),
    "too_many_rows": _(
        "The file has more than %(limit)s data rows. Split it into files of at most %(limit)s rows."
    ),
    # The header row
    "missing_column": _(
        "Required column is missing. Add a column with the header “%(ja)s” (or “%(en)s”)."
    ),
    "unknown_column": _(
        "Unknown column “%(column)s”. Check the spelling of the header or delete the column."
    ),
    "unknown_column_custom": _(
        "Unknown column “%(column)s”. Check the spelling of the header, delete the column, "
        "or rename it to “custom:%(column)s” to import it as a custom attribute."
    ),
    "unknown_column_suggest": _("Unknown column “%(column)s”. Did you mean “%(suggestion)s”?"),
    "duplicate_column": _(
        "Column “%(column)s” is the same column as “%(other)s”. Keep only one of them."
    ),
    "custom_without_name": _(
        "The custom attribute column “%(column)s” has no name. Write the name after the "
        "colon, for example “custom:Team”."
    ),
    # Single cells
    "unnamed_column": _(
        "This cell has a value but its column has no header. Add a header or delete the value."
    ),
    "required": _("This value is required. Fill in the cell."),
    "too_long": _("“%(value)s” is too long (at most %(limit)s characters)."),
    "invalid_email": _("“%(value)s” is not a valid email address."),
    "invalid_date": _(
        "“%(value)s” is not a valid date. Write a real calendar date such as 2024-04-01, "
        "2024/4/1 or 2024年4月1日."
    ),
    "invalid_integer": _("“%(value)s” is not a whole number."),
    "invalid_birth_year": _(
        "“%(value)s” is not a valid birth year. Enter a four-digit year between %(min)s "
        "and %(max)s."
    ),
    "invalid_choice": _("“%(value)s” is not an accepted value. Use one of: %(choices)s."),
    # Rows against each other and the database
    "leave_before_hire": _(
        "The leave date %(leave)s is before the hire date %(hire)s. Check both dates."
    ),
    "leave_reason_without_date": _(
        "A leave reason is given but there is no leave date. Enter the leave date or "
        "clear the reason."
    ),
    "duplicate_employee_number": _(
        "Employee number “%(value)s” also appears in row %(first_row)s. Each employee "
        "must appear only once."
    ),
    "duplicate_email": _(
        "Email address “%(value)s” is also used in row %(first_row)s. Each employee needs "
        "their own address."
    ),
    "email_taken": _(
        "Email address “%(value)s” already belongs to employee %(other)s. Use another "
        "address, or include employee %(other)s in the file with their new address."
    ),
    "unknown_department": _(
        "Unknown department code “%(value)s”. Import the department first or fix the code."
    ),
    "unknown_manager": _(
        "Unknown manager employee number “%(value)s”: there is no such employee in this "
        "file or in Kizuna. Fix the number or add the manager to the file."
    ),
    "manager_self": _(
        "Employee “%(value)s” cannot be their own manager. Clear the cell or enter their "
        "manager’s number."
    ),
    "manager_cycle": _(
        "The managers form a loop: %(cycle)s. Someone in this chain must report to a "
        "manager outside it."
    ),
    "duplicate_code": _(
        "Department code “%(value)s” also appears in row %(first_row)s. Each department "
        "must appear only once."
    ),
    "unknown_parent": _(
        "Unknown parent department code “%(value)s”: there is no such department in this "
        "file or in Kizuna. Fix the code or add the parent department to the file."
    ),
    "parent_self": _(
        "Department “%(value)s” cannot be its own parent. Clear the cell or enter the "
        "parent department’s code."
    ),
    "parent_cycle": _(
        "The parent departments form a loop: %(cycle)s. A department cannot be placed "
        "under one of its own sub-departments."
    ),
}
UNKNOWN = _("Import error (%(code)s).")


class _Params(dict[str, Any]):
    """Missing parameters render as "?" instead of raising: a message for an error
    stored by an older version must still display."""

    def __missing__(self, key: str) -> str:
        return "?"


def message(error: RowError) -> str:
    """The translated message for ``error`` in the active language."""
    params = _Params(error.params)
    template = MESSAGES.get(error.code)
    if template is None:
        return str(UNKNOWN) % _Params(code=error.code)
    if error.code == "invalid_choice" and error.params.get("field") in CHOICES:
        language = get_language() or settings.LANGUAGE_CODE
        separator = "、" if language.startswith("ja") else ", "
        params["choices"] = separator.join(accepted_values(error.params["field"], language))
    return str(template) % params


def describe(error: RowError) -> str:
    """The error with its location ("row N, column X: message"), as the CLI shows it."""
    text = message(error)
    if error.row is not None and error.column:
        return gettext("row %(row)s, column %(column)s: %(message)s") % {
            "row": error.row,
            "column": error.column,
            "message": text,
        }
    if error.row is not None:
        return gettext("row %(row)s: %(message)s") % {"row": error.row, "message": text}
    if error.column:
        return gettext("column %(column)s: %(message)s") % {
            "column": error.column,
            "message": text,
        }
    return text
