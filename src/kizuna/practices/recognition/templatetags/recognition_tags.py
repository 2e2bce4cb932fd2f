"""Small formatting helpers for the recognition pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def ratio_text(ratio: Any, decimals: int = 0) -> str:
    """A ``Ratio`` as "42% (of 18)" — never a bare percentage; "—" without a base."""
    if ratio is None or ratio.rate is None:
        return "—"
    return _("%(rate)s%% (of %(n)s)") % {
        "rate": number_format(round(ratio.rate, decimals), decimals),
        "n": number_format(ratio.denominator),
    }


@register.filter
def percent(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return "—"
    return f"{number_format(round(value, decimals), decimals)}%"


@register.filter
def times(value: float | None) -> str:
    """A multiple such as 1.8×."""
    if value is None:
        return "—"
    return f"{number_format(round(value, 1), 1)}×"
