"""Number formats of the HR KPI pages: rates with their base, "—" for no value."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from kizuna.practices.hrkpi import pages
from kizuna.practices.kpi import Ratio

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    return pages.pct(value)


@register.filter
def num(value: int | float | None) -> str:
    return "—" if value is None else pages.num(value)


@register.filter
def score(value: float | None) -> str:
    return pages.score(value)


@register.filter
def ratio(value: Ratio | None) -> str:
    """``42.0%（18人中）``-style: the rate with its base."""
    if value is None or value.rate is None:
        return "—"
    return _("%(rate)s (%(numerator)s of %(denominator)s)") % {
        "rate": pages.pct(value.rate),
        "numerator": pages.num(value.numerator),
        "denominator": pages.num(value.denominator),
    }


@register.filter
def ratio_base(value: Ratio | None, unit: Any) -> str:
    if value is None:
        return _("No data yet.")
    return _("%(numerator)s of %(denominator)s %(unit)s") % {
        "numerator": pages.num(value.numerator),
        "denominator": pages.num(value.denominator),
        "unit": unit,
    }


@register.filter
def dept_name(department: Any, language: str) -> str:
    return str(department.display_name(language)) if department is not None else "—"
