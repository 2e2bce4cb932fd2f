"""Human messages for customer import errors, translated when shown.

Codes shared with employee imports (the file, the header, dates, emails, choices...) are
rendered by ``kizuna.org.importing.messages``, so both imports say the same thing about
the same problem; only the codes customer files add are written here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kizuna.customers.importing.columns import CHOICES, accepted_values
from kizuna.org.importing import messages as org_messages
from kizuna.org.importing.types import RowError

MESSAGES: dict[str, str | Promise] = {
    "invalid_amount": _(
        "“%(value)s” is not an amount in yen. Write a whole number such as 120000 or ¥120,000."
    ),
    "negative_amount": _("“%(value)s” is negative. An amount cannot be less than 0 yen."),
    "fractional_yen": _("“%(value)s” has a fraction of a yen. Round the amount to whole yen."),
    "amount_too_large": _("“%(value)s” is too large for an amount in yen."),
    "invalid_percent": _(
        "“%(value)s” is not a valid percentage. Write a number from 0 to 100 with at most "
        "two decimals, such as 10 or 12.5."
    ),
    "invalid_flag": _("“%(value)s” is not yes or no. Write はい or いいえ (or 1 or 0)."),
    "negative_number": _("“%(value)s” is negative. Enter 0 or more."),
    "duplicate_external_id": _(
        "ID “%(value)s” also appears in row %(first_row)s. Each ID must appear only once."
    ),
    "unknown_account": _("Unknown account ID “%(value)s”. Import the account first or fix the ID."),
    "unknown_parent_account": _(
        "Unknown parent account ID “%(value)s”: there is no such account in this file or "
        "in Kizuna. Fix the ID or add the parent account to the file."
    ),
    "parent_account_self": _(
        "Account “%(value)s” cannot be its own parent. Clear the cell or enter the parent "
        "account’s ID."
    ),
    "parent_account_cycle": _(
        "The parent accounts form a loop: %(cycle)s. An account cannot be placed under one "
        "of its own subsidiaries."
    ),
    "unknown_user": _(
        "No Kizuna user has the email address “%(value)s”. Create the user first or fix "
        "the address."
    ),
    "duplicate_primary": _(
        "Account “%(value)s” already has a primary contact in row %(first_row)s. Mark only "
        "one contact per account as primary."
    ),
    "end_not_after_start": _(
        "The end date %(end)s is not after the start date %(start)s. The end date is the "
        "first day no longer covered, so it must be later than the start date."
    ),
}


class _Params(dict[str, Any]):
    """Missing parameters render as "?": a stored error must always display."""

    def __missing__(self, key: str) -> str:
        return "?"


def message(error: RowError) -> str:
    """The translated message for ``error`` in the active language."""
    template = MESSAGES.get(error.code)
    if error.code == "invalid_choice" and error.params.get("field") in CHOICES:
        language = get_language() or settings.LANGUAGE_CODE
        separator = "、" if language.startswith("ja") else ", "
        choices = separator.join(accepted_values(error.params["field"], language))
        template = org_messages.MESSAGES["invalid_choice"]
        return str(template) % _Params(error.params, choices=choices)
    if template is None:
        return org_messages.message(error)
    return str(template) % _Params(error.params)


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


def summary_line(summary: dict[str, int]) -> str:
    """What the import did or would do, for the CLI ("Created: 3, updated: 1, ...")."""
    return gettext("Created: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s.") % {
        "created": summary.get("created", 0),
        "updated": summary.get("updated", 0),
        "unchanged": summary.get("unchanged", 0),
    }


def rejected_line(count: int) -> str:
    return ngettext(
        "The file was rejected (%(count)s error). Nothing was changed.",
        "The file was rejected (%(count)s errors). Nothing was changed.",
        count,
    ) % {"count": count}


def as_json(error: RowError) -> dict[str, Any]:
    return {
        "row": error.row,
        "column": error.column,
        "message": message(error),
        "code": error.code,
    }
