"""Display helpers of the customer success pages: yen, percentages and health bands,
formatted the same way on every page (UX.md: thousands separators, no bare ratios)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

from kizuna.customers.display import band_class, band_label

register = template.Library()


@register.filter
def yen(value: Any) -> str:
    """¥1,234,567 (whole yen); "—" when there is no amount."""
    if value is None or value == "":
        return "—"
    return "¥" + number_format(int(Decimal(value)), 0, force_grouping=True)


@register.filter
def percent(value: Any, decimals: Any = 0) -> str:
    """A fraction (0.123) as a percentage ("12%", or "12.3%" with one decimal); "—" when
    the value is undefined (a rate over nobody is not 0 %)."""
    if value is None or value == "":
        return "—"
    places = int(decimals)
    return number_format(round(float(value) * 100, places), places, force_grouping=True) + "%"


@register.filter
def number(value: Any, decimals: Any = 0) -> str:
    if value is None or value == "":
        return "—"
    places = int(decimals)
    return number_format(round(float(value), places), places, force_grouping=True)


@register.filter
def band_name(band: Any) -> str:
    return band_label(band)


@register.filter
def band_css(band: Any) -> str:
    return band_class(band)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
