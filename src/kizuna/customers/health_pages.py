"""What the health settings, back-test and churn-model pages show, from ``health``,
``backtest`` and ``churn_model``; charts carry the same numbers as their tables."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from kizuna.core import charts
from kizuna.customers import display
from kizuna.customers.display import BAND_COLOURS
from kizuna.customers.models import HealthProfile, SizeBand

DEFAULT_DAYS_BEFORE = 90
DAYS_BEFORE_CHOICES = (30, 60, 90, 180)


# --- Settings --------------------------------------------------------------------------------


def settings_context() -> dict[str, Any]:
    from kizuna.customers import health

    health.default_profile()  # exists after migrations; recreated if someone deleted it
    sizes = dict(SizeBand.choices)
    profiles: list[dict[str, Any]] = []
    for profile in HealthProfile.objects.order_by("segment"):
        weights = health.effective_weights(profile)
        total = sum(weights.values())
        profiles.append(
            {
                "profile": profile,
                "segment_label": sizes.get(profile.segment, _("Default (every other size)")),
                "weights": [
                    {
                        "label": str(measure.label),
                        "weight": weights[key],
                        "share": weights[key] / total if total else None,
                    }
                    for key, measure in health.MEASURES.items()
                ],
            }
        )
    taken = {item["profile"].segment for item in profiles}
    return {
        "profiles": profiles,
        "measures": [
            {"key": key, "label": str(m.label), "rule": str(m.rule), "default": m.default_weight}
            for key, m in health.MEASURES.items()
        ],
        "free_segments": [(code, label) for code, label in SizeBand.choices if code not in taken],
    }


# --- Back-test -------------------------------------------------------------------------------


def _diagonal() -> dict[str, Any]:
    return {
        "label": _("Chance (AUC 0.5)"),
        "data": [{"x": 0, "y": 0}, {"x": 100, "y": 100}],
        "color": "#8C959F",
        "borderDash": [6, 4],
        "pointRadius": 0,
        "showLine": True,
        "borderWidth": 1,
    }


def _percent_axes(x_title: str, y_title: str, limit: float = 100) -> dict[str, Any]:
    return {
        "scales": {
            "x": {
                "type": "linear",
                "min": 0,
                "max": limit,
                "title": {"display": True, "text": x_title},
            },
            "y": {"min": 0, "max": limit, "title": {"display": True, "text": y_title}},
        }
    }


def roc_chart(points: Sequence[tuple[float, float, float]]) -> dict[str, Any]:
    return {
        "type": "scatter",
        "data": {
            "datasets": [
                {
                    "label": _("Health score"),
                    "data": [
                        {"x": round(fpr * 100, 1), "y": round(tpr * 100, 1)}
                        for fpr, tpr, _t in points
                    ],
                    "color": "#0072B2",
                    "showLine": True,
                    "pointRadius": 0,
                    "borderWidth": 2,
                },
                _diagonal(),
            ]
        },
        "options": _percent_axes(
            _("Renewed accounts flagged (false positive rate, %)"),
            _("Churned accounts flagged (true positive rate, %)"),
        ),
    }


def roc_rows(points: Sequence[tuple[float, float, float]]) -> list[tuple[str, str, str]]:
    """The ROC table: "flag accounts with a score of X or less" and what it catches."""
    rows = []
    for fpr, tpr, threshold in points[1:]:
        rows.append(
            (
                _("%(score)s or less") % {"score": display.number(-threshold, 1)},
                display.percent(tpr, 1),
                display.percent(fpr, 1),
            )
        )
    return rows


def band_rate_chart(bands: Sequence[Any]) -> dict[str, Any]:
    return charts.bar_chart(
        [display.band_label(b.band) for b in bands],
        [
            {
                "label": _("Churn rate (%)"),
                "data": [round(b.rate * 100, 1) if b.rate is not None else None for b in bands],
                "backgroundColor": [BAND_COLOURS[b.band] for b in bands],
                "borderColor": [BAND_COLOURS[b.band] for b in bands],
            }
        ],
        y_title=_("Churn rate (%)"),
    )


def backtest_context(days: int, today: dt.date, *, compute: bool = True) -> dict[str, Any]:
    """The back-test's figures. With ``compute`` False and nothing cached, ``pending``
    is True and the page loads the figures separately."""
    from kizuna.customers import backtest, page_cache

    key = page_cache.backtest_key(days, today)
    if compute:
        result = page_cache.remember(
            key, page_cache.BACKTEST_TTL, lambda: backtest.backtest(days, today=today)
        )
    else:
        result = page_cache.peek(*key)
        if result is None:
            return {"pending": True, "days": days, "days_choices": DAYS_BEFORE_CHOICES}
    context: dict[str, Any] = {
        "pending": False,
        "result": result,
        "days": days,
        "days_choices": DAYS_BEFORE_CHOICES,
        "band_rows": [
            (
                display.band_label(b.band),
                display.number(b.decisions),
                display.number(b.churned),
                display.percent(b.rate, 1),
            )
            for b in result.bands
        ],
        "band_headers": [
            _("Band %(days)s days before") % {"days": days},
            _("Renewal decisions"),
            _("Churned"),
            _("Churn rate"),
        ],
        "any_bands": any(b.decisions for b in result.bands),
    }
    if result.bands and context["any_bands"]:
        context["band_chart"] = band_rate_chart(result.bands)
    if result.enough and result.roc:
        context["roc_chart"] = roc_chart(result.roc)
        context["roc_rows"] = roc_rows(result.roc)
        context["roc_headers"] = [
            _("Flag accounts whose score was"),
            _("Churned accounts flagged"),
            _("Renewed accounts flagged"),
        ]
    return context


# --- Churn model -----------------------------------------------------------------------------


def calibration_chart(bins: Sequence[dict[str, float]]) -> dict[str, Any]:
    """Predicted against observed churn per bin, on axes cut at the nearest ten percent
    above the largest value (churn probabilities rarely reach 100 %)."""
    largest = max([b["predicted"] for b in bins] + [b["observed"] for b in bins] + [0.0])
    limit = min(100, (math.floor(largest * 10) + 1) * 10)
    diagonal = {**_diagonal(), "data": [{"x": 0, "y": 0}, {"x": limit, "y": limit}]}
    return {
        "type": "scatter",
        "data": {
            "datasets": [
                {
                    "label": _("Churn model"),
                    "data": [
                        {"x": round(b["predicted"] * 100, 1), "y": round(b["observed"] * 100, 1)}
                        for b in bins
                    ],
                    "color": "#0072B2",
                    "showLine": True,
                    "pointRadius": 5,
                },
                {**diagonal, "label": _("Perfect calibration")},
            ]
        },
        "options": _percent_axes(_("Predicted churn (%)"), _("Observed churn (%)"), limit),
    }


def churn_model_context() -> dict[str, Any]:
    from kizuna.customers import churn_model
    from kizuna.customers.pages import auc_text

    run = churn_model.latest_run()
    context: dict[str, Any] = {
        "run": run,
        "message": churn_model.status_message(run),
        "auc_text": auc_text(run) if run is not None else "",
    }
    if run is None:
        return context
    bins = run.calibration if isinstance(run.calibration, list) else []
    if bins:
        context["calibration_chart"] = calibration_chart(bins)
        context["calibration_rows"] = [
            (
                _("%(low)s–%(high)s")
                % {
                    "low": display.percent(b["low"], 1),
                    "high": display.percent(b["high"], 1),
                },
                display.number(b["count"]),
                display.percent(b["predicted"], 1),
                display.percent(b["observed"], 1),
            )
            for b in bins
        ]
        context["calibration_headers"] = [
            _("Predicted risk range"),
            _("Renewal decisions"),
            _("Mean predicted churn"),
            _("Observed churn"),
        ]
    if run.validation_rows:
        base_rate = run.validation_churned / run.validation_rows
        context["base_rate"] = base_rate
        # A model that always predicts the base rate scores p(1 − p): the bar to beat.
        context["reference_brier"] = base_rate * (1 - base_rate)
    return context
