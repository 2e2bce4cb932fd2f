"""The foundation's housekeeping, run as periodic background tasks.

Importing this module registers the jobs with :mod:`kizuna.core.scheduler` (which imports
it, and every app's ``tasks`` module, before its first pass). Each runs daily in the
early hours in Japan, staggered so they never compete for the database: 18:00 UTC is
03:00 JST, when nobody on a Japanese-first install is working.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kizuna.core.scheduler import LEDGER_RETENTION, PeriodicJob, prune_ledger, register

logger = logging.getLogger(__name__)

DAY = timedelta(days=1)
FINISHED_TASK_RETENTION = timedelta(days=14)
"""Finished task rows are kept two weeks: enough to investigate a failure reported late,
short enough that the table the worker polls stays small."""


@task
def clear_expired_sessions() -> None:
    """Delete expired sessions, as ``manage.py clearsessions`` would.

    Django never removes them by itself; without this the session table grows by one row
    per login forever.
    """
    engine = import_module(settings.SESSION_ENGINE)
    try:
        engine.SessionStore.clear_expired()
    except NotImplementedError:
        # Cookie sessions (and similar) expire on the client; nothing to clear here.
        logger.info("session engine %s clears itself", settings.SESSION_ENGINE)


@task
def prune_scheduler_ledger() -> int:
    """Drop ``ScheduledRun`` rows older than 30 days; return how many were deleted."""
    return prune_ledger(older_than=LEDGER_RETENTION)


@task
def prune_finished_tasks() -> int:
    """Delete finished (successful or failed) task results older than 14 days.

    Ready and running rows are never touched, whatever their age: those are work still to
    be done. Returns how many rows were deleted.
    """
    cutoff = timezone.now() - FINISHED_TASK_RETENTION
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


register(
    PeriodicJob(
        "core.clear_expired_sessions", clear_expired_sessions, every=DAY, offset=timedelta(hours=18)
    )
)
register(
    PeriodicJob(
        "core.prune_scheduler_ledger",
        prune_scheduler_ledger,
        every=DAY,
        offset=timedelta(hours=18, minutes=10),
    )
)
register(
    PeriodicJob(
        "core.prune_finished_tasks",
        prune_finished_tasks,
        every=DAY,
        offset=timedelta(hours=18, minutes=20),
    )
)
