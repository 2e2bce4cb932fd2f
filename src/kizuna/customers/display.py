"""Words, colours and number formats shared by the customer success pages, so a band is
called and coloured the same everywhere (UX.md: one colour-blind-safe palette)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

RED, YELLOW, GREEN, NONE = "red", "yellow", "green", "none"
BANDS = (RED, YELLOW, GREEN, NONE)

# Okabe–Ito: vermillion, orange, bluish green; grey for "not scored yet".
BAND_COLOURS = {RED: "#D55E00", YELLOW: "#E69F00", GREEN: "#009E73", NONE: "#8C959F"}
_BAND_LABELS = {
    RED: _("Red"),
    YELLOW: _("Yellow"),
    GREEN: _("Green"),
    NONE: _("No score yet"),
}
_BAND_CLASSES = {RED: "bad", YELLOW: "warn", GREEN: "ok", NONE: ""}


def band_label(band: Any) -> str:
    return str(_BAND_LABELS.get(band or NONE, band))


def band_class(band: Any) -> str:
    return _BAND_CLASSES.get(band or NONE, "")


def yen(value: Any) -> str:
    if value is None:
        return "—"
    return "¥" + number_format(int(Decimal(value)), 0, force_grouping=True)


def percent(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(round(value * 100, decimals), decimals, force_grouping=True) + "%"


def number(value: float | int | None, decimals: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(round(float(value), decimals), decimals, force_grouping=True)


def feature_names() -> dict[str, str]:
    """Product feature display names by slug (churn reasons name features by slug)."""
    from kizuna.usage.models import Feature

    return dict(Feature.objects.values_list("slug", "name"))


def reason_texts(reasons: Any, *, names: dict[str, str] | None = None, limit: int = 3) -> list[str]:
    """The churn model's stored reasons (features that raise the risk, largest first)
    in words, in the active language. Pass ``names`` (``feature_names()``) when
    rendering many accounts."""
    if not isinstance(reasons, list) or not reasons:
        return []
    from kizuna.customers import churn_model

    names = feature_names() if names is None else names
    return [
        churn_model.reason_label(reason, names)
        for reason in reasons[:limit]
        if isinstance(reason, dict)
    ]
