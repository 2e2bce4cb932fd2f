"""Monthly trends of the practices' KPIs for the dashboard: absence and lateness per
fiscal month, and the 30-day figures (1on1 coverage, recognition reach) as they stood on
each month's last day — the same functions the cards use, called once per month, so a
trend point and a card for the same month can never disagree.

A KPI whose app is missing is left out of the chart (its card says "not available")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kizuna.org.models import Employee
from kizuna.practices.hrkpi import metrics, pages
from kizuna.practices.hrkpi.compose import optional_function
from kizuna.practices.kpi import Ratio

MONTHS = 12


def _rate(value: Ratio | None) -> float | None:
    if value is None or value.rate is None:
        return None
    return round(value.rate, 2)


def _exact(value: Ratio | None) -> float | None:
    return None if value is None else value.rate


def _from_first_use(column: list[Ratio], trim: bool) -> list[Ratio | None]:
    if not trim:
        return list(column)
    first = next((i for i, v in enumerate(column) if v.numerator > 0), len(column))
    return [None if i < first else v for i, v in enumerate(column)]


def practice_trends(
    months: list[metrics.Period], today: dt.date, people: QuerySet[Employee] | None
) -> dict[str, Any] | None:
    """Chart spec, table rows and headers; ``None`` when no practices app is installed."""
    absence = optional_function("kizuna.practices.flexwork.metrics", "absence_rate")
    lateness = optional_function("kizuna.practices.flexwork.metrics", "lateness_rate")
    coverage = optional_function("kizuna.practices.oneonones.metrics", "coverage")
    reach = optional_function("kizuna.practices.recognition.metrics", "reach")
    # (label, KPI for a month, whether months before the first recorded use are left
    # empty: a company that starts using 1on1s or thanks in June has no coverage before,
    # which is "not in use yet", not a 0% to compare with)
    series: list[tuple[str, Any, bool]] = []
    if absence is not None and lateness is not None:
        series += [
            (_("Absence rate (%)"), lambda s, e: absence(s, e, people=people), False),
            (_("Lateness rate (%)"), lambda s, e: lateness(s, e, people=people), False),
        ]
    if coverage is not None:
        series.append((_("1on1 coverage (%)"), lambda _s, e: coverage(e, people=people), True))
    if reach is not None:
        series += [
            (_("Gave recognition (%)"), lambda _s, e: reach(e, people=people).gave, True),
            (_("Received recognition (%)"), lambda _s, e: reach(e, people=people).received, True),
        ]
    if not series:
        return None
    shown = [p.until(today) for p in months if p.start <= today]
    values = [_from_first_use([fn(p.start, p.end) for p in shown], trim) for _l, fn, trim in series]
    labels = [p.label() for p in shown]
    palette = ("#D55E00", "#E69F00", "#0072B2", "#009E73", "#56B4E9")
    spec = pages.line_chart(
        labels,
        [
            {
                "label": label,
                "data": [_rate(v) for v in column],
                "borderColor": palette[i % len(palette)],
                "backgroundColor": palette[i % len(palette)],
            }
            for i, ((label, _fn, _trim), column) in enumerate(zip(series, values, strict=True))
        ],
        _("Share (%)"),
    )
    spec["options"]["scales"]["y"] = {
        "beginAtZero": True,
        "suggestedMax": 100,
        "title": {"display": True, "text": str(_("Share (%)"))},
    }
    rows = [
        [label, *[pages.pct(_exact(column[i])) for column in values]]
        for i, label in enumerate(labels)
    ]
    headers = [str(_("Month")), *[str(label) for label, _fn, _trim in series]]
    return {"spec": spec, "rows": rows, "headers": headers}
