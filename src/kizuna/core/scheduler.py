"""Periodic jobs: a small registry plus the pass that enqueues whatever is due.

Every worker process runs the scheduler (``kizuna worker``), so with two workers two
schedulers look at the same clock. Time is cut into fixed slots per job; a job is due
once per slot, and the ``ScheduledRun`` ledger (unique on ``(job, slot)``) decides which
scheduler gets to enqueue it. See :func:`enqueue_due` for how that makes the enqueue
happen exactly once.

Only the *current* slot is ever considered: a job whose slot passed while every worker
was down is not caught up later, because housekeeping that runs twice in a row after an
outage buys nothing and a backlog of missed slots would all fire at once on start-up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, OperationalError, close_old_connections, transaction
from django.db.models import Q
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from kizuna.core.models import ScheduledRun

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""Slots are counted from the Unix epoch in UTC, so every process agrees on them."""

LEDGER_RETENTION = timedelta(days=30)
"""How long ``ScheduledRun`` rows are kept; long enough to answer "did it run last week?"."""

_JOB_NAME_MAX = ScheduledRun._meta.get_field("job").max_length or 100
_TASK_ID_MAX = ScheduledRun._meta.get_field("task_id").max_length or 64


@dataclass(frozen=True)
class PeriodicJob:
    """A task to enqueue once per ``every``, at ``offset`` past each slot boundary (UTC).

    ``name`` is the ledger key: renaming a job makes it due again in the current slot,
    so keep names stable (``"<app>.<what>"``).
    """

    name: str
    task: Task[[], Any]
    every: timedelta
    offset: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > _JOB_NAME_MAX:
            raise ValueError(f"job name must be 1–{_JOB_NAME_MAX} characters: {self.name!r}")
        if self.every <= timedelta(0):
            raise ValueError(f"{self.name}: 'every' must be positive")

    def slot_for(self, now: datetime) -> datetime:
        """Start of the slot containing ``now``: ``floor((now - epoch - offset) / every)``
        slots after ``epoch + offset``, as an aware UTC datetime."""
        now = _aware_utc(now)
        periods = (now - EPOCH - self.offset) // self.every
        return EPOCH + self.offset + periods * self.every


JOBS: dict[str, PeriodicJob] = {}
"""Registered jobs by name. Filled as apps' ``tasks`` modules are imported."""


def register(job: PeriodicJob) -> PeriodicJob:
    """Add ``job`` to :data:`JOBS` and return it.

    Registering the same job twice is harmless (a module imported again); two different
    jobs under one name is a programming error, because they would share ledger rows and
    one would silently never run.
    """
    existing = JOBS.get(job.name)
    if existing is not None and existing != job:
        raise ValueError(f"a different periodic job is already registered as {job.name!r}")
    JOBS[job.name] = job
    return job


_discovery_lock = threading.Lock()
_discovered = False


def discover_jobs() -> None:
    """Import ``kizuna.core.tasks`` and every installed app's ``tasks`` module, once.

    Jobs register themselves when their module is imported; nothing else imports those
    modules in a worker before the first pass, so without this a later app's jobs would
    never be seen.
    """
    global _discovered
    with _discovery_lock:
        if _discovered:
            return
        import kizuna.core.tasks  # noqa: F401  (the foundation's jobs)

        autodiscover_modules("tasks")
        _discovered = True


def enqueue_due(
    now: datetime | None = None, *, jobs: Iterable[PeriodicJob] | None = None
) -> list[str]:
    """Enqueue every job whose current slot has not been enqueued yet; return their names.

    Exactly once per ``(job, slot)``, however many schedulers run this concurrently:

    * the ``ScheduledRun`` row for the slot is INSERTed in the same transaction as the
      enqueue. The unique constraint lets only one INSERT commit; every other scheduler
      gets an ``IntegrityError`` (PostgreSQL makes it wait for the winner's commit first;
      SQLite's ``BEGIN IMMEDIATE`` serialises the writers) and skips the job.
    * the INSERT runs in its own savepoint, so losing the race does not poison a
      transaction the caller may have open.
    * with the database task backend the task row is written by that same transaction,
      so the ledger row and the queued task commit or vanish together: a crash between
      them cannot leave a slot marked as done with nothing queued, or queued twice.
      (A backend outside the database could still see an enqueue whose ledger row then
      failed to commit; it would be enqueued again on the next pass: at least once.)

    A slot found already claimed by a cheap read is skipped without attempting the
    INSERT, so a server log does not fill with unique-violation errors every poll.
    ``jobs`` defaults to every registered job (after :func:`discover_jobs`).
    """
    now = _aware_utc(now or timezone.now())
    if jobs is None:
        discover_jobs()
        jobs = list(JOBS.values())
    enqueued: list[str] = []
    for job in jobs:
        slot = job.slot_for(now)
        try:
            if _slot_taken(job, slot) or not _claim_and_enqueue(job, slot):
                continue
        except OperationalError as exc:
            if not _is_lock_error(exc):
                raise
            # SQLite gave up waiting for another writer; the slot is still current on
            # the next pass, so leave it rather than fail the whole pass.
            logger.warning("database busy, %s left for the next pass", job.name)
            continue
        enqueued.append(job.name)
    return enqueued


def _slot_taken(job: PeriodicJob, slot: datetime) -> bool:
    return ScheduledRun.objects.filter(job=job.name, slot=slot).exists()


def _claim_and_enqueue(job: PeriodicJob, slot: datetime) -> bool:
    """Insert the ledger row and enqueue the task atomically; False if someone else won."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, slot=slot)
        except IntegrityError:
            logger.debug("%s @ %s already enqueued by another worker", job.name, slot)
            return False
        result = job.task.enqueue()
        run.task_id = str(result.id)[:_TASK_ID_MAX]
        run.save(update_fields=["task_id"])
    logger.info("enqueued %s for slot %s (task %s)", job.name, slot.isoformat(), run.task_id)
    return True


def run_scheduler(stop_event: threading.Event, poll_seconds: float = 30) -> None:
    """Call :func:`enqueue_due` every ``poll_seconds`` until ``stop_event`` is set.

    Meant for a daemon thread beside the task worker. A failing pass is logged and the
    loop carries on: the database being briefly unreachable must not stop every periodic
    job until someone restarts the worker.
    """
    discover_jobs()
    logger.info("scheduler started: %s", ", ".join(sorted(JOBS)) or "no jobs")
    try:
        while not stop_event.is_set():
            close_old_connections()
            try:
                enqueue_due()
            except Exception:
                logger.exception("scheduler pass failed")
            close_old_connections()
            stop_event.wait(poll_seconds)
    finally:
        # This thread's connection is its own; nothing else would ever close it.
        from django.db import connections

        connections.close_all()
        logger.info("scheduler stopped")


def prune_ledger(now: datetime | None = None, older_than: timedelta = LEDGER_RETENTION) -> int:
    """Delete ledger rows whose slot began more than ``older_than`` ago; return how many.

    The current slot's row of a registered job is always kept, whatever its age: for a
    job that runs less often than the retention period, deleting it would make the job
    due again within the same slot.
    """
    now = _aware_utc(now or timezone.now())
    discover_jobs()
    current = Q()
    for job in JOBS.values():
        current |= Q(job=job.name, slot=job.slot_for(now))
    stale = ScheduledRun.objects.filter(slot__lt=now - older_than)
    if current:
        stale = stale.exclude(current)
    deleted, _ = stale.delete()
    return deleted


def _aware_utc(value: datetime) -> datetime:
    if timezone.is_naive(value):
        raise ValueError("scheduler times must be timezone-aware")
    return value.astimezone(UTC)


def _is_lock_error(exc: OperationalError) -> bool:
    message = str(exc.args[0]) if exc.args else ""
    return "locked" in message.lower()
