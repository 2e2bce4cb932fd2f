"""Display helpers of the flexwork pages: a rate always with its base."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kizuna.practices.kpi import Ratio

register = template.Library()


def ratio_text(ratio: Ratio, decimals: int = 0) -> str:
    """A rate with its base: "42% (of 18)" / "42%（18人中）"; "—" when nobody counts
    (the pages explain the dash)."""
    if ratio.rate is None:
        return "—"
    values = {
        "rate": number_format(round(ratio.rate, decimals), decimals),
        "base": number_format(ratio.denominator, 0, force_grouping=True),
    }
    return _("%(rate)s%% (of %(base)s)") % values


@register.filter
def ratio(value: Ratio, decimals: Any = 0) -> str:
    return ratio_text(value, int(decimals))


@register.filter
def percent(value: Ratio, decimals: Any = 1) -> str:
    """The rate alone ("1.8%"); the page shows the base next to it."""
    if value.rate is None:
        return "—"
    places = int(decimals)
    return f"{number_format(round(value.rate, places), places)}%"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
