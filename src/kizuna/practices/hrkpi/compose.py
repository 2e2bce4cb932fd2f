"""The KPIs other practices apps define, gathered for the dashboard and the API.

Each app owns its metric (``<app>/metrics.py``); this module only calls it, lazily, so the
dashboard works whether or not an app is installed yet: a missing module or function shows
as "not available" instead of breaking the page.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kizuna.practices.kpi import Ratio


@dataclass
class Figure:
    key: str
    label: str | Promise
    help: str | Promise
    ratio: Ratio | None = None
    base: str | Promise = ""
    window: str = ""  # "period" or "30 days"


@dataclass
class ComposedKpi:
    key: str
    label: str | Promise
    help: str | Promise
    app_label: str | Promise
    url_name: str
    available: bool
    figures: list[Figure] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # utilisation per policy
    error: str = ""

    @property
    def url(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return ""


def optional_function(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = importlib.import_module(module)
    except ImportError:
        return None
    function = getattr(found, name, None)
    return function if callable(function) else None


HELP = {
    "absence": _(
        "Absence rate (欠勤率): absent days / scheduled working days in the period, "
        "from the imported attendance."
    ),
    "lateness": _(
        "Lateness rate (遅刻率): late arrivals / scheduled working days in the period, "
        "from the imported attendance."
    ),
    "wish": _(
        "Transfer/promotion wish rate: people who stated a wish to transfer or be promoted "
        "in the period's self-assessment / people who submitted one."
    ),
    "coverage": _(
        "1on1 coverage: share of manager–report pairs that met within their cadence "
        "(weekly or every two weeks) in the last 30 days before the period's end. A pair "
        "met its cadence when it held at least 30 days ÷ its interval 1on1s in those days, "
        "rounded down (4 weekly, 2 every two weeks); the window is shorter for pairs that "
        "started less than 30 days ago. Cancelled 1on1s and leavers do not count."
    ),
    "reach": _(
        "Recognition reach: share of employees who gave / received recognition in the "
        "last 30 days before the period's end."
    ),
    "utilisation": _(
        "Flexible-work utilisation: per policy, share of eligible people who used it in the "
        "period; managers' own use is shown separately (managers as role models)."
    ),
}


def _safe(call: Callable[[], Any]) -> tuple[Any, str]:
    try:
        return call(), ""
    except Exception as error:
        return None, type(error).__name__


def composed(
    start: dt.date, end: dt.date, as_of: dt.date, people: QuerySet[Any] | None
) -> list[ComposedKpi]:
    """Every other app's KPI for [start, end] (30-day KPIs as of ``as_of``), for ``people``
    (``None`` = everyone)."""
    out: list[ComposedKpi] = []

    absence = optional_function("kizuna.practices.flexwork.metrics", "absence_rate")
    lateness = optional_function("kizuna.practices.flexwork.metrics", "lateness_rate")
    attendance = ComposedKpi(
        "attendance",
        _("Absence and lateness"),
        HELP["absence"],
        _("Flexible work"),
        "flexwork:index",
        absence is not None and lateness is not None,
    )
    if absence is not None and lateness is not None:
        a, error_a = _safe(lambda: absence(start, end, people=people))
        b, error_b = _safe(lambda: lateness(start, end, people=people))
        attendance.error = error_a or error_b
        attendance.figures = [
            Figure("absence", _("Absence rate (欠勤率)"), HELP["absence"], a, _("working days")),
            Figure("lateness", _("Lateness rate (遅刻率)"), HELP["lateness"], b, _("working days")),
        ]
    out.append(attendance)

    wish_rate = optional_function("kizuna.practices.evaluation.metrics", "wish_rate")
    wish = ComposedKpi(
        "wish",
        _("Transfer/promotion wish rate"),
        HELP["wish"],
        _("Reviews"),
        "evaluation:index",
        wish_rate is not None,
    )
    if wish_rate is not None:
        value, wish.error = _safe(lambda: wish_rate(start, end, people=people))
        wish.figures = [
            Figure(
                "wish_rate",
                _("Transfer/promotion wish rate (社内異動・昇進希望率)"),
                HELP["wish"],
                value,
                _("self-assessments"),
            )
        ]
    out.append(wish)

    coverage_fn = optional_function("kizuna.practices.oneonones.metrics", "coverage")
    coverage = ComposedKpi(
        "coverage",
        _("1on1 coverage"),
        HELP["coverage"],
        _("1on1s"),
        "oneonones:cadence",
        coverage_fn is not None,
    )
    if coverage_fn is not None:
        value, coverage.error = _safe(lambda: coverage_fn(as_of, people=people))
        coverage.figures = [
            Figure("coverage", _("1on1 coverage"), HELP["coverage"], value, _("pairs"), "30")
        ]
    out.append(coverage)

    reach_fn = optional_function("kizuna.practices.recognition.metrics", "reach")
    reach = ComposedKpi(
        "reach",
        _("Recognition reach"),
        HELP["reach"],
        _("Recognition"),
        "recognition:feed",
        reach_fn is not None,
    )
    if reach_fn is not None:
        value, reach.error = _safe(lambda: reach_fn(as_of, people=people))
        gave = getattr(value, "gave", None)
        received = getattr(value, "received", None)
        reach.figures = [
            Figure("reach_gave", _("Gave recognition"), HELP["reach"], gave, _("people"), "30"),
            Figure(
                "reach_received",
                _("Received recognition"),
                HELP["reach"],
                received,
                _("people"),
                "30",
            ),
        ]
    out.append(reach)

    utilisation_fn = optional_function("kizuna.practices.flexwork.metrics", "utilisation")
    utilisation = ComposedKpi(
        "utilisation",
        _("Flexible-work utilisation"),
        HELP["utilisation"],
        _("Flexible work"),
        "flexwork:index",
        utilisation_fn is not None,
    )
    if utilisation_fn is not None:
        value, utilisation.error = _safe(lambda: utilisation_fn(start, end, people=people))
        for item in value or []:
            utilisation.rows.append(_utilisation_row(item))
    out.append(utilisation)
    return out


def _ratio(value: Any) -> Ratio | None:
    if isinstance(value, Ratio):
        return value
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        return Ratio(int(value.numerator), int(value.denominator))
    return None


def _utilisation_row(item: Any) -> dict[str, Any]:
    """One policy's figures, read by attribute so a renamed field degrades to "—"."""
    policy = getattr(item, "policy", None)
    name = getattr(item, "policy_name", None) or getattr(item, "name", None)
    if name is None and policy is not None:
        name = getattr(policy, "name", None) or str(policy)
    return {
        "policy": str(name or "—"),
        "all": _ratio(getattr(item, "everyone", None) or getattr(item, "all", None)),
        "managers": _ratio(getattr(item, "managers", None)),
        "others": _ratio(getattr(item, "others", None)),
    }
