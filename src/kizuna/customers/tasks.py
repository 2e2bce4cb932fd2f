"""Background work of the customers app: the daily health snapshot (with the day's churn
risks) and the weekly retraining of the churn-risk model.

Both run in the early hours in Japan, after the foundation's housekeeping (18:00 UTC =
03:00 JST): the snapshot at 19:00 UTC (04:00 JST), when the previous day's events are all
in the store — a day's score reads the 28 days before it. The retrain runs once a week
(slots of 7 days counted from the Unix epoch, a Thursday) at 19:30 UTC — Fridays 04:30
JST — after that day's snapshot.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.tasks import task
from django.utils import timezone

from kizuna.core.scheduler import PeriodicJob, register
from kizuna.customers import churn_model, health


@task
def daily_health_snapshot() -> dict[str, Any]:
    """Store today's health score of every active account, then today's churn risks
    when the latest model is usable."""
    today = timezone.localdate()
    scores = health.snapshot(today)
    risks = churn_model.risks(today)
    return {"day": today.isoformat(), "scores": scores, "risks": len(risks)}


@task
def weekly_churn_model() -> dict[str, Any]:
    """Retrain the churn-risk model on the history up to today and score today's accounts
    with it at once, so the pages never show a new run without its risks."""
    run = churn_model.train()
    scored = len(churn_model.risks(timezone.localdate())) if run.usable else 0
    return {"run": run.pk, "usable": run.usable, "auc": run.auc, "risks": scored}


register(
    PeriodicJob(
        "customers.health_snapshot",
        daily_health_snapshot,
        every=timedelta(days=1),
        offset=timedelta(hours=19),
    )
)
register(
    PeriodicJob(
        "customers.churn_model",
        weekly_churn_model,
        every=timedelta(days=7),
        offset=timedelta(hours=19, minutes=30),
    )
)
