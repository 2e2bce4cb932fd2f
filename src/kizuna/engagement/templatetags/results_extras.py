from typing import Any

from django import template

register = template.Library()


@register.filter
def heat(diff: Any) -> str:
    """CSS class of a heatmap cell: diverging around the scope's own value."""
    if diff is None:
        return "heat-none"
    if diff <= -10:
        return "heat-n2"
    if diff <= -5:
        return "heat-n1"
    if diff >= 10:
        return "heat-p2"
    if diff >= 5:
        return "heat-p1"
    return "heat-0"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def indent(depth: Any) -> str:
    return f"indent-{min(int(depth or 0), 11)}"
