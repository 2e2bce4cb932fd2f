"""Words and numbers for the dashboard, the leaver list and the API: who sees what part of
the company (``Viewer``), and each figure with its base and help text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.core import access, charts
from kizuna.org.models import Department, Employee
from kizuna.practices.hrkpi import metrics
from kizuna.practices.kpi import Ratio

HELP = {
    "turnover": gettext_lazy(
        "Turnover rate (離職率): people who left in the period (last working day inside it) / "
        "people employed on its first day × 100. People hired during the period who also "
        "left count as leavers, as Japanese 離職率 statistics do."
    ),
    "annualised": gettext_lazy(
        "Annualised (年換算): the period's turnover rate × 12 / the months in the period, "
        "so months, quarters and years can be compared."
    ),
    "retention": gettext_lazy(
        "Retention (定着率): 100 − the period's turnover rate (not annualised)."
    ),
    "voluntary": gettext_lazy(
        "Voluntary turnover: only resignations at the employee's wish (自己都合), over the "
        "same headcount. Involuntary: dismissals and redundancies; other: retirement, end "
        "of contract and other reasons."
    ),
    "cohort": gettext_lazy(
        "Hire-cohort retention: of the people hired in a fiscal year, the share still "
        "employed on the 1st (or 3rd) anniversary of their own hire date. Only cohorts "
        "whose every member has reached the anniversary are shown."
    ),
    "department": gettext_lazy(
        "Each person counts in the department they were in on the period's first day; a "
        "leaver counts in the department they left from. A department includes everything "
        "below it."
    ),
    "enps": gettext_lazy(
        "eNPS: of the people who answered “would you recommend this company as a place to "
        "work” (0–10), the share of promoters (9–10) minus the share of detractors (0–6), "
        "with its 95% interval. Groups below the survey's minimum size are hidden."
    ),
}


def pct(value: float | None, places: int = 1) -> str:
    if value is None:
        return "—"
    # Django's number_format cuts digits off; round first (16.67 → 16.7, not 16.6)
    return f"{number_format(round(value, places), decimal_pos=places, use_l10n=True)}%"


def score(value: float | None) -> str:
    """An eNPS value (−100 … 100) with one decimal, no unit."""
    if value is None:
        return "—"
    return number_format(round(value, 1), decimal_pos=1, use_l10n=True)


def num(value: int | float) -> str:
    return number_format(value, use_l10n=True, force_grouping=True)


@dataclass
class Viewer:
    """What part of the company the user's figures cover."""

    roots: list[Department] | None  # None: the whole company
    company_wide: bool
    names: bool  # may see who left (names and dates)
    reasons: bool  # may see each leaver's reason (sensitive HR field)

    def allows(self, department: Department) -> bool:
        if self.roots is None:
            return True
        return any(department.path.startswith(r.path) for r in self.roots)

    def people(self) -> QuerySet[Employee] | None:
        """Current employees in scope, for the other apps' KPIs (``None``: everyone)."""
        return people_of(self.roots)


def people_of(roots: list[Department] | None) -> QuerySet[Employee] | None:
    """Employees whose department is in the subtrees of ``roots`` (``None``: everyone)."""
    if roots is None:
        return None
    ids = metrics.scope_ids(roots) or frozenset()
    return Employee.objects.filter(department__in=ids)


def viewer_for(user: Any) -> Viewer | None:
    """``None`` when the user may not see any figure (a manager heading no department)."""
    if not access.can(user, "hrkpi.view"):
        return None
    if access.has_role(user, access.ADMIN, access.HR, access.EXECUTIVE):
        sensitive = access.can(user, "org.view_sensitive")
        return Viewer(None, True, names=True, reasons=sensitive)
    managed = list(access.managed_departments(user).order_by("depth", "path"))
    if not managed:
        return None
    roots = [
        d for d in managed if not any(d.path.startswith(o.path) and d.pk != o.pk for o in managed)
    ]
    return Viewer(roots, False, names=True, reasons=False)


# --- figures -----------------------------------------------------------------------------


def ratio_json(ratio: Ratio | None) -> dict[str, Any] | None:
    if ratio is None:
        return None
    return {"numerator": ratio.numerator, "denominator": ratio.denominator, "rate": ratio.rate}


def turnover_base(t: metrics.Turnover) -> str:
    return _("%(leavers)s of %(headcount)s people at the period start") % {
        "leavers": num(t.leavers),
        "headcount": num(t.headcount),
    }


def turnover_cards(t: metrics.Turnover) -> list[dict[str, Any]]:
    months = number_format(round(t.months, 1), decimal_pos=1, use_l10n=True)
    return [
        {
            "key": "turnover",
            "label": _("Turnover rate (離職率)"),
            "value": pct(t.rate),
            "base": turnover_base(t),
            "help": HELP["turnover"],
            "note": _("Of whom %(n)s were hired during the period.") % {"n": num(t.hired_and_left)}
            if t.hired_and_left
            else "",
        },
        {
            "key": "annualised",
            "label": _("Turnover rate, annualised (年換算)"),
            "value": pct(t.annualised),
            "base": _("%(rate)s over %(months)s months × 12 / %(months)s")
            % {"rate": pct(t.rate), "months": months},
            "help": HELP["annualised"],
            "note": "",
        },
        {
            "key": "retention",
            "label": _("Retention (定着率)"),
            "value": pct(t.retention),
            "base": _("100 − the turnover rate of %(rate)s (%(base)s)")
            % {"rate": pct(t.rate), "base": turnover_base(t)},
            "help": HELP["retention"],
            "note": "",
        },
        {
            "key": "voluntary",
            "label": _("Voluntary turnover (自己都合)"),
            "value": pct(t.voluntary_ratio.rate),
            "base": _(
                "%(voluntary)s voluntary, %(involuntary)s involuntary, %(other)s other "
                "of %(headcount)s people"
            )
            % {
                "voluntary": num(t.voluntary),
                "involuntary": num(t.involuntary),
                "other": num(t.other),
                "headcount": num(t.headcount),
            },
            "help": HELP["voluntary"],
            "note": "",
        },
    ]


def turnover_json(t: metrics.Turnover) -> dict[str, Any]:
    return {
        "start": t.start.isoformat(),
        "end": t.end.isoformat(),
        "months": round(t.months, 4),
        "turnover": ratio_json(t.ratio),
        "annualised_rate": t.annualised,
        "retention_rate": t.retention,
        "voluntary": ratio_json(t.voluntary_ratio),
        "involuntary": t.involuntary,
        "other": t.other,
        "hired_and_left": t.hired_and_left,
    }


def monthly_trend(series: list[tuple[metrics.Period, metrics.Turnover]]) -> dict[str, Any]:
    labels = [p.label() for p, _t in series]
    spec = charts.bar_and_line_chart(
        labels,
        [{"label": _("Leavers"), "data": [t.leavers for _p, t in series]}],
        {
            "label": _("Turnover rate (%)"),
            "data": [None if t.rate is None else round(t.rate, 2) for _p, t in series],
        },
        bar_title=_("Leavers (people)"),
        line_title=_("Turnover rate (%)"),
    )
    spec["options"]["scales"]["y2"]["ticks"] = {}  # rates need decimals
    spec["options"]["scales"]["y2"]["beginAtZero"] = True
    rows = [
        [p.label(), num(t.headcount), num(t.leavers), pct(t.rate), pct(t.annualised)]
        for p, t in series
    ]
    headers = [
        _("Month"),
        _("Headcount at start"),
        _("Leavers"),
        _("Turnover rate"),
        _("Annualised"),
    ]
    return {"spec": spec, "rows": rows, "headers": headers}


def quarterly_trend(series: list[tuple[metrics.Period, metrics.Turnover]]) -> dict[str, Any]:
    labels = [p.label() for p, _t in series]
    spec = charts.bar_chart(
        labels,
        [
            {
                "label": _("Turnover rate (%)"),
                "data": [None if t.rate is None else round(t.rate, 2) for _p, t in series],
            },
            {
                "label": _("Voluntary turnover (%)"),
                "data": [
                    None if t.voluntary_ratio.rate is None else round(t.voluntary_ratio.rate, 2)
                    for _p, t in series
                ],
            },
        ],
        y_title=_("Turnover rate (%)"),
    )
    spec["options"]["scales"]["y"]["ticks"] = {}
    spec["options"]["scales"]["y"]["grace"] = "10%"
    rows = [
        [p.label(), num(t.headcount), num(t.leavers), num(t.voluntary), pct(t.rate)]
        for p, t in series
    ]
    headers = [
        _("Quarter"),
        _("Headcount at start"),
        _("Leavers"),
        _("Voluntary"),
        _("Turnover rate"),
    ]
    return {"spec": spec, "rows": rows, "headers": headers}


def line_chart(
    labels: list[str], datasets: list[dict[str, Any]], y_title: str | Promise
) -> dict[str, Any]:
    """A Chart.js line chart in the shape ``core.charts`` builds (no line helper there)."""
    return {
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [{**d, "label": str(d["label"]), "spanGaps": False} for d in datasets],
        },
        "options": {
            "scales": {
                "y": {
                    "suggestedMin": -100,
                    "suggestedMax": 100,
                    "title": {"display": True, "text": str(y_title)},
                },
                "x": {"ticks": {"autoSkip": False}},
            },
            "plugins": {"legend": {"display": len(datasets) > 1}},
        },
    }


def period_choices(today: dt.date, years: int = 4) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped options for the period picker: each fiscal year, its quarters and months,
    newest first, nothing after today."""
    month0 = metrics.start_month()
    current = metrics.period_containing(metrics.YEAR, today, month0).fiscal_year
    groups = []
    for fy in range(current, current - years, -1):
        year = metrics.period(metrics.YEAR, fy, 1, month0)
        options = [(year.key, year.until(today).label())]
        for q in range(1, 5):
            quarter = metrics.period(metrics.QUARTER, fy, q, month0)
            if quarter.start <= today:
                options.append((quarter.key, quarter.until(today).label()))
        for m in range(1, 13):
            month = metrics.period(metrics.MONTH, fy, m, month0)
            if month.start <= today:
                options.append((month.key, month.until(today).label()))
        groups.append((year.label(), options))
    return groups
