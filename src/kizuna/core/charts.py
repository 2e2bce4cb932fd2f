"""Chart.js specifications built on the server, so labels are translated and numbers are
exactly those in the accessible table beside each chart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.functional import Promise


def _text(value: str | Promise) -> str:
    return str(value)


def bar_chart(
    labels: Sequence[str],
    datasets: Sequence[dict[str, Any]],
    *,
    horizontal: bool = False,
    y_title: str | Promise = "",
    stacked: bool = False,
) -> dict[str, Any]:
    value_axis = "x" if horizontal else "y"
    scales: dict[str, Any] = {
        value_axis: {
            "beginAtZero": True,
            "title": {"display": bool(y_title), "text": _text(y_title)},
            "ticks": {"precision": 0},
            "stacked": stacked,
        },
        # every category label is shown (no skipping): a hidden row must stay visible
        ("y" if horizontal else "x"): {"stacked": stacked, "ticks": {"autoSkip": False}},
    }
    return {
        "type": "bar",
        "data": {
            "labels": [str(label) for label in labels],
            "datasets": [{**d, "label": _text(d["label"])} for d in datasets],
        },
        "options": {
            "indexAxis": "y" if horizontal else "x",
            "scales": scales,
            "plugins": {"legend": {"display": len(datasets) > 1}},
        },
    }


def bar_and_line_chart(
    labels: Sequence[str],
    bars: Sequence[dict[str, Any]],
    line: dict[str, Any],
    *,
    bar_title: str | Promise,
    line_title: str | Promise,
) -> dict[str, Any]:
    """Bars on the left axis (counts per period) and a line on the right (a level)."""
    datasets = [{**d, "type": "bar", "label": _text(d["label"]), "yAxisID": "y"} for d in bars]
    datasets.append(
        {**line, "type": "line", "label": _text(line["label"]), "yAxisID": "y2", "tension": 0.2}
    )
    return {
        "type": "bar",
        "data": {"labels": [str(label) for label in labels], "datasets": datasets},
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "scales": {
                "y": {
                    "beginAtZero": True,
                    "position": "left",
                    "ticks": {"precision": 0},
                    "title": {"display": True, "text": _text(bar_title)},
                },
                "y2": {
                    "position": "right",
                    "grid": {"drawOnChartArea": False},
                    "ticks": {"precision": 0},
                    "title": {"display": True, "text": _text(line_title)},
                },
            },
        },
    }
