"""Background work of the usage app: draining the spool into the event store.

The drain is registered as a periodic job every 10 seconds; each run keeps draining
until the spool is empty or its time budget is spent, so a backlog built up while no
worker ran is worked off in one go. Two runs at once are harmless: the second finds
the event store locked and returns.
"""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from kizuna.core.scheduler import PeriodicJob, register
from kizuna.usage import drain

DRAIN_EVERY = timedelta(seconds=10)
DRAIN_BUDGET_SECONDS = 20.0
"""A run stops taking new batches after this long, so one worker is not held forever
when events arrive faster than they drain (the next run carries on)."""


@task
def drain_spool() -> dict[str, int | bool]:
    """Move spooled events into the event store; return what was done."""
    return drain.drain_all(time_budget=DRAIN_BUDGET_SECONDS).as_dict()


register(PeriodicJob("usage.drain_spool", drain_spool, every=DRAIN_EVERY))
