"""Response rates on screen, through the anonymity guard.

The rules live in ``kizuna.engagement.guard``: ``response_rate_visible`` for a single
group (a response count is shown only when at least k people responded) and
``guard_groups`` for a table of sibling groups, run on the responses so far so that a
parent's count minus its visible children cannot reveal a small group's count
(complementary suppression, the department tree's lines).

If the guard module cannot be imported (an install without the engagement app), this
falls back to the same threshold plus a simple complementary rule, so these pages are
never less strict than the guard.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from kizuna.surveys.models import Response, Survey

INTEGER_ATTRIBUTES = ("department_id", "manager_id")


def _guard() -> Any:
    try:
        return importlib.import_module("kizuna.engagement.guard")
    except ImportError:
        return None


def _policy(guard: Any, survey: Survey) -> Any:
    """The survey's policy, or None when the guard refuses its thresholds."""
    try:
        return guard.Policy.for_survey(survey)
    except guard.Refused:
        return None


def rate_visible(survey: Survey, invited: int, responded: int) -> bool:
    guard = _guard()
    if guard is None:
        return responded >= survey.min_group_size
    policy = _policy(guard, survey)
    return policy is not None and bool(guard.response_rate_visible(invited, responded, policy))


def hidden_reason(survey: Survey) -> str:
    return _("Hidden because fewer than %(k)s people responded") % {"k": survey.min_group_size}


def percent(responded: int, invited: int) -> float | None:
    return 100.0 * responded / invited if invited else None


def guard_total(survey: Survey, invited: int, responded: int) -> dict[str, Any]:
    visible = rate_visible(survey, invited, responded)
    return {
        "invited": invited,
        "responded": responded if visible else None,
        "percent": percent(responded, invited) if visible else None,
        "visible": visible,
        "reason": "" if visible else hidden_reason(survey),
    }


def _hide(row: dict[str, Any], reason: str) -> None:
    row.update(responded=None, percent=None, visible=False, reason=reason)


def guard_groups(survey: Survey, rows: Sequence[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Rows of ``services.response_rates`` (grouped by the snapshot attribute ``key``)
    with ``responded``/``percent`` set to None where hidden, ``visible`` and ``reason``."""
    guarded = [{**row, **guard_total(survey, row["invited"], row["responded"])} for row in rows]
    guard = _guard()
    if guard is None:
        _fallback_complement(guarded)
        return guarded
    policy = _policy(guard, survey)
    if policy is None:
        for row in guarded:
            _hide(row, hidden_reason(survey))
        return guarded
    import polars as pl

    columns = sorted({key, "department_path"})
    values = list(Response.objects.filter(survey=survey).values_list(*columns))
    schema = {c: pl.Int64 if c in INTEGER_ATTRIBUTES else pl.String for c in columns}
    frame = pl.DataFrame(values, schema=schema, orient="row")
    verdict = {
        "" if value is None else str(value): (visible, reason)
        for value, _n, visible, reason in guard.guard_groups(frame, [key], policy).iter_rows()
    }
    for row in guarded:
        visible, reason = verdict.get(row["value"], (False, guard.TOO_FEW))
        if row["visible"] and not visible:
            _hide(row, guard.reason_text(reason, policy))
    return guarded


def _fallback_complement(guarded: list[dict[str, Any]]) -> None:
    hidden = [row for row in guarded if not row["visible"]]
    visible = [row for row in guarded if row["visible"]]
    if len(hidden) == 1 and visible:
        smallest = min(visible, key=lambda row: (row["responded"], row["invited"]))
        _hide(smallest, _("Hidden so that a smaller group cannot be worked out by subtraction"))
