"""The periodic-job scheduler: slots, the exactly-once ledger, and the foundation's jobs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from asgiref.local import Local
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.tasks import TaskResultStatus, task, task_backends
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kizuna.core import scheduler
from kizuna.core import tasks as core_tasks
from kizuna.core.models import ScheduledRun
from kizuna.core.scheduler import PeriodicJob

CALLS: list[str] = []


@task
def tick() -> str:
    CALLS.append("tick")
    return "tick"


HOURLY = PeriodicJob("test.tick", tick, every=timedelta(hours=1), offset=timedelta(minutes=15))


def at(hour: int, minute: int = 0, second: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 4, day, hour, minute, second, tzinfo=UTC)


def _reset_task_backends() -> None:
    # django.tasks caches TASKS (and backend instances) and, unlike CACHES, has no
    # setting_changed receiver: override_settings alone would keep the old backend.
    task_backends.__dict__.pop("settings", None)
    task_backends._settings = None  # type: ignore[attr-defined]
    task_backends._connections = Local()  # type: ignore[attr-defined]


@contextmanager
def database_task_backend() -> Iterator[None]:
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        _reset_task_backends()
        try:
            yield
        finally:
            _reset_task_backends()


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


# --- slots -------------------------------------------------------------------------------


def test_slot_is_floor_of_every_plus_offset_in_utc() -> None:
    assert HOURLY.slot_for(at(10, 20)) == at(10, 15)
    assert HOURLY.slot_for(at(10, 15)) == at(10, 15)
    assert HOURLY.slot_for(at(10, 14, 59)) == at(9, 15)
    # 19:20 in Tokyo is 10:20 UTC: slots do not depend on the caller's time zone.
    assert HOURLY.slot_for(datetime(2026, 4, 1, 19, 20, tzinfo=ZoneInfo("Asia/Tokyo"))) == at(
        10, 15
    )
    daily = PeriodicJob("test.daily", tick, every=timedelta(days=1), offset=timedelta(hours=18))
    assert daily.slot_for(at(17, 59)) == datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
    assert daily.slot_for(at(18, 0)) == at(18, 0)
    assert daily.slot_for(at(18, 0)).tzinfo == UTC


def test_naive_times_and_bad_jobs_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        HOURLY.slot_for(datetime(2026, 4, 1, 10, 20))
    with pytest.raises(ValueError, match="positive"):
        PeriodicJob("test.never", tick, every=timedelta(0))
    with pytest.raises(ValueError, match="characters"):
        PeriodicJob("x" * 101, tick, every=timedelta(hours=1))


def test_register_is_idempotent_but_refuses_a_different_job_under_the_same_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scheduler, "JOBS", {})
    assert scheduler.register(HOURLY) is HOURLY
    scheduler.register(HOURLY)
    assert scheduler.JOBS == {"test.tick": HOURLY}
    with pytest.raises(ValueError, match="already registered"):
        scheduler.register(PeriodicJob("test.tick", tick, every=timedelta(hours=2)))


def test_discovery_finds_the_foundation_jobs() -> None:
    scheduler.discover_jobs()
    assert {
        "core.clear_expired_sessions",
        "core.prune_scheduler_ledger",
        "core.prune_finished_tasks",
    } <= set(scheduler.JOBS)
    assert scheduler.JOBS["core.prune_finished_tasks"].task is core_tasks.prune_finished_tasks


# --- enqueue_due -------------------------------------------------------------------------


@pytest.mark.django_db
def test_due_job_is_enqueued_once_per_slot() -> None:
    assert scheduler.enqueue_due(at(10, 20), jobs=[HOURLY]) == ["test.tick"]
    assert CALLS == ["tick"]  # the immediate backend ran it
    run = ScheduledRun.objects.get()
    assert (run.job, run.slot) == ("test.tick", at(10, 15))
    assert run.task_id

    # Same slot (10:15–11:14:59), however often the scheduler looks: nothing.
    assert scheduler.enqueue_due(at(10, 20), jobs=[HOURLY]) == []
    assert scheduler.enqueue_due(at(11, 14, 59), jobs=[HOURLY]) == []
    assert CALLS == ["tick"]

    # The next slot starts at 11:15.
    assert scheduler.enqueue_due(at(11, 15), jobs=[HOURLY]) == ["test.tick"]
    assert CALLS == ["tick", "tick"]
    assert list(ScheduledRun.objects.order_by("slot").values_list("slot", flat=True)) == [
        at(10, 15),
        at(11, 15),
    ]


@pytest.mark.django_db
def test_missed_slots_are_not_caught_up() -> None:
    scheduler.enqueue_due(at(10, 20), jobs=[HOURLY])
    # Workers down from 10:20 to 15:20: only the current slot (15:15) runs, not 11:15–14:15.
    assert scheduler.enqueue_due(at(15, 20), jobs=[HOURLY]) == ["test.tick"]
    assert sorted(ScheduledRun.objects.values_list("slot", flat=True)) == [at(10, 15), at(15, 15)]
    assert CALLS == ["tick", "tick"]


@pytest.mark.django_db
def test_enqueue_due_defaults_to_now_and_every_registered_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scheduler.discover_jobs()
    monkeypatch.setattr(scheduler, "JOBS", {"test.tick": HOURLY})
    assert scheduler.enqueue_due() == ["test.tick"]
    assert ScheduledRun.objects.get().slot == HOURLY.slot_for(timezone.now())


@pytest.mark.django_db
def test_losing_the_insert_does_not_break_the_callers_transaction() -> None:
    """The race is lost at the INSERT (the cheap read said the slot was free)."""
    ScheduledRun.objects.create(job="test.tick", slot=at(10, 15), task_id="other-worker")
    with transaction.atomic():
        assert scheduler._claim_and_enqueue(HOURLY, at(10, 15)) is False
        # Still usable: the failed INSERT was rolled back to its own savepoint.
        assert ScheduledRun.objects.count() == 1
    assert CALLS == []
    assert ScheduledRun.objects.get().task_id == "other-worker"


@pytest.mark.django_db
def test_ledger_row_and_queued_task_commit_or_vanish_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("crash after enqueue")

    with database_task_backend():
        monkeypatch.setattr(ScheduledRun, "save", fail)
        with pytest.raises(RuntimeError):
            scheduler.enqueue_due(at(10, 20), jobs=[HOURLY])
        assert not ScheduledRun.objects.exists()
        assert not DBTaskResult.objects.exists()

        monkeypatch.undo()
        assert scheduler.enqueue_due(at(10, 20), jobs=[HOURLY]) == ["test.tick"]
        run = ScheduledRun.objects.get()
        assert str(DBTaskResult.objects.get().id) == run.task_id


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_enqueue_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four threads, four connections, one slot: one ledger row and one queued task.

    Every thread is held until all have seen the slot as free, so all of them go on to
    the INSERT together: on PostgreSQL the losers wait for the winner's commit and get a
    unique violation; on SQLite the writers are serialised by the database lock.
    """
    racers = 4
    barrier = threading.Barrier(racers, timeout=20)
    real_slot_taken = scheduler._slot_taken

    def slot_taken_then_wait(job: PeriodicJob, slot: datetime) -> bool:
        taken = real_slot_taken(job, slot)
        barrier.wait()
        return taken

    monkeypatch.setattr(scheduler, "_slot_taken", slot_taken_then_wait)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def race() -> None:
        try:
            results.append(scheduler.enqueue_due(at(10, 20), jobs=[HOURLY]))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    with database_task_backend():
        threads = [threading.Thread(target=race) for _ in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert sorted(results) == [[]] * (racers - 1) + [["test.tick"]]
    run = ScheduledRun.objects.get()
    assert run.slot == at(10, 15)
    queued = DBTaskResult.objects.get()
    assert queued.task_path == tick.module_path
    assert queued.status == TaskResultStatus.READY
    assert str(queued.id) == run.task_id


def test_scheduler_loop_survives_a_failing_pass_and_stops_on_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passes: list[int] = []
    two_passes = threading.Event()

    def fake_enqueue_due() -> list[str]:
        passes.append(1)
        if len(passes) == 1:
            raise RuntimeError("database unreachable")
        two_passes.set()
        return []

    monkeypatch.setattr(scheduler, "enqueue_due", fake_enqueue_due)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run_scheduler, args=(stop, 0.01), daemon=True)
    thread.start()
    assert two_passes.wait(timeout=10)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


# --- the foundation's periodic jobs ------------------------------------------------------


@pytest.mark.django_db
def test_clear_expired_sessions_removes_only_expired_sessions() -> None:
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="current", session_data="", expire_date=now + timedelta(1))

    result = core_tasks.clear_expired_sessions.enqueue()

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert list(Session.objects.values_list("session_key", flat=True)) == ["current"]


@pytest.mark.django_db
def test_prune_scheduler_ledger_drops_rows_older_than_30_days() -> None:
    now = timezone.now()
    ScheduledRun.objects.create(job="test.gone", slot=now - timedelta(days=31))
    ScheduledRun.objects.create(job="test.kept", slot=now - timedelta(days=29))

    result = core_tasks.prune_scheduler_ledger.enqueue()

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    assert list(ScheduledRun.objects.values_list("job", flat=True)) == ["test.kept"]


@pytest.mark.django_db
def test_pruning_keeps_the_current_slot_of_a_job_slower_than_the_retention(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Deleting it would make a quarterly job due again within its own quarter."""
    scheduler.discover_jobs()
    quarterly = PeriodicJob("test.quarterly", tick, every=timedelta(days=90))
    monkeypatch.setitem(scheduler.JOBS, quarterly.name, quarterly)
    now = quarterly.slot_for(at(12)) + timedelta(days=50)
    ScheduledRun.objects.create(job=quarterly.name, slot=quarterly.slot_for(now))
    ScheduledRun.objects.create(job=quarterly.name, slot=quarterly.slot_for(now) - quarterly.every)

    assert scheduler.prune_ledger(now) == 1
    assert ScheduledRun.objects.get().slot == quarterly.slot_for(now)
    assert scheduler.enqueue_due(now, jobs=[quarterly]) == []


@pytest.mark.django_db
def test_prune_finished_tasks_keeps_recent_and_unfinished_results() -> None:
    now = timezone.now()
    with database_task_backend():
        ids = {name: tick.enqueue().id for name in ("old_ok", "old_failed", "recent", "ready")}
    finished = {
        "old_ok": (TaskResultStatus.SUCCESSFUL, now - timedelta(days=15)),
        "old_failed": (TaskResultStatus.FAILED, now - timedelta(days=15)),
        "recent": (TaskResultStatus.SUCCESSFUL, now - timedelta(days=13)),
    }
    for name, (status, finished_at) in finished.items():
        DBTaskResult.objects.filter(id=ids[name]).update(status=status, finished_at=finished_at)
    DBTaskResult.objects.filter(id=ids["ready"]).update(enqueued_at=now - timedelta(days=60))

    result = core_tasks.prune_finished_tasks.enqueue()

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 2
    remaining = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert remaining == {ids["recent"], ids["ready"]}
