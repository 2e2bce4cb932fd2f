"""State changes of customer data: one named function per change, called by the admin,
the CLI, future views and tasks alike. Imports are their own door
(``kizuna.customers.importing.import_kind``) because they change many rows at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from kizuna.core import audit
from kizuna.customers.models import Account, LifecycleStage, Subscription


def set_lifecycle_stage(
    account: Account, stage: str, *, on: dt.date | None = None, actor: Any = None
) -> bool:
    """Move ``account`` to ``stage`` as of ``on`` (default today) and restart its
    time-in-stage clock. Returns False (and writes nothing) when the stage is unchanged,
    so repeating a request does not reset the clock."""
    stage = LifecycleStage(stage).value
    if account.lifecycle_stage == stage:
        return False
    day = on or timezone.localdate()
    previous = account.lifecycle_stage
    with transaction.atomic():
        account.lifecycle_stage = stage
        account.stage_changed_on = day
        account.save(update_fields=["lifecycle_stage", "stage_changed_on", "updated_at"])
        audit.record(
            actor,
            "customers.account.stage",
            account,
            previous=previous,
            stage=stage,
            on=day.isoformat(),
        )
    return True


def end_subscription(subscription: Subscription, end_date: dt.date, *, actor: Any = None) -> None:
    """Record that ``subscription`` stops covering days from ``end_date`` on (the first
    day no longer covered). Raises ``ValueError`` when that is not after the start."""
    if end_date <= subscription.start_date:
        raise ValueError("end_date must be after start_date")
    with transaction.atomic():
        previous = subscription.end_date
        subscription.end_date = end_date
        subscription.save(update_fields=["end_date", "updated_at"])
        audit.record(
            actor,
            "customers.subscription.end",
            subscription,
            previous=previous.isoformat() if previous else None,
            end_date=end_date.isoformat(),
        )
