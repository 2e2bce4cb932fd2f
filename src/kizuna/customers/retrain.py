"""Retraining the churn-risk model from the UI: a background task that trains, then
scores today's accounts with the new run (so the at-risk list follows at once rather than
after the next nightly snapshot). Its state lives in the shared cache so the churn model
page can show progress, and a second press while one is queued or running does nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.tasks import task
from django.utils import timezone

log = logging.getLogger(__name__)

STATE_KEY = "customers:churn-model:retrain"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STALE_AFTER_SECONDS = 6 * 3600  # a state older than this is from a worker that died


def state() -> dict[str, Any] | None:
    value = cache.get(STATE_KEY)
    return value if isinstance(value, dict) else None


def in_progress() -> bool:
    current = state()
    return bool(current and current.get("state") in (QUEUED, RUNNING))


def _set(value: str, **extra: Any) -> None:
    cache.set(
        STATE_KEY,
        {"state": value, "at": timezone.now().isoformat(), **extra},
        timeout=STALE_AFTER_SECONDS,
    )


def request_retrain(actor: Any = None) -> bool:
    """Queue a retraining unless one is already queued or running."""
    if not cache.add(
        STATE_KEY, {"state": QUEUED, "at": timezone.now().isoformat()}, timeout=STALE_AFTER_SECONDS
    ):
        if in_progress():
            return False
        _set(QUEUED)
    from kizuna.core import audit

    audit.record(actor, "customers.churn_model.retrain_requested", target_type="churn_model")
    retrain_churn_model.enqueue()
    return True


@task
def retrain_churn_model() -> dict[str, Any]:
    from kizuna.customers import churn_model

    _set(RUNNING)
    try:
        run = churn_model.train()
        scored = len(churn_model.risks(timezone.localdate(), run=run)) if run.usable else 0
    except Exception:
        log.exception("retraining the churn model failed")
        _set(FAILED)
        raise
    _set(DONE, run=run.pk)
    return {"run": run.pk, "usable": run.usable, "scored": scored}
