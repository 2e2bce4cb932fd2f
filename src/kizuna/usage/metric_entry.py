"""The usage metrics as ``kizuna metrics`` calls them.

``UsageConfig.ready()`` registers these at every start-up (web, worker, each CLI
command); importing :mod:`kizuna.usage.metrics` there would load Ibis and DuckDB
(≈ 0.2 s) in processes that never compute a usage metric, so the module is imported only
when one is run.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kizuna.usage.metrics import Unit, UsageRatio


def activity_churn(start: dt.date, end: dt.date, inactive_days: int = 30) -> UsageRatio:
    from kizuna.usage import metrics

    return metrics.activity_churn_metric(start, end, inactive_days=inactive_days)


def stickiness(start: dt.date, end: dt.date, account: str | None = None) -> UsageRatio:
    from kizuna.usage import metrics

    return metrics.stickiness_metric(start, end, account=account)


def adoption(start: dt.date, end: dt.date, feature: str, by: Unit | None = None) -> UsageRatio:
    from kizuna.usage import metrics

    return metrics.adoption_metric(start, end, feature, by=by)


def parse_unit(value: str) -> Unit:
    """``--by``: ``user`` or ``account`` (anything else is a ValueError)."""
    if value not in ("user", "account"):
        raise ValueError(value)
    return "user" if value == "user" else "account"


def parse_positive_days(value: str) -> int:
    days = int(value)
    if days < 1:
        raise ValueError(value)
    return days
