"""``kizuna worker``: runs database-queued tasks, schedules periodic jobs, stops cleanly."""

from __future__ import annotations

import io
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from asgiref.local import Local
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.tasks import TaskResultStatus, task, task_backends
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from kizuna.core import scheduler
from kizuna.core.models import ScheduledRun

ROOT = Path(__file__).resolve().parents[2]
KIZUNA = Path(sys.executable).with_name("kizuna")
FOUNDATION_JOBS = {
    "core.clear_expired_sessions",
    "core.prune_scheduler_ledger",
    "core.prune_finished_tasks",
}


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def explode() -> None:
    raise ValueError("boom")


def _reset_task_backends() -> None:
    # django.tasks caches TASKS and its backend instances, with no setting_changed hook.
    task_backends.__dict__.pop("settings", None)
    task_backends._settings = None  # type: ignore[attr-defined]
    task_backends._connections = Local()  # type: ignore[attr-defined]


@contextmanager
def database_task_backend(**params: Any) -> Iterator[None]:
    config = {"BACKEND": "django_tasks_db.DatabaseBackend", **params}
    with override_settings(TASKS={"default": config}):
        _reset_task_backends()
        try:
            yield
        finally:
            _reset_task_backends()


def run_worker(*args: str) -> str:
    out = io.StringIO()
    call_command("worker", *args, stdout=out, stderr=out)
    return out.getvalue()


# --- in process ----------------------------------------------------------------------------
# transaction=True: the worker closes connections found inside a transaction (as Django
# does between requests), which would end a test's wrapping transaction on PostgreSQL.


@pytest.mark.django_db(transaction=True)
def test_batch_runs_queued_tasks_and_the_due_periodic_jobs() -> None:
    with database_task_backend():
        result = add.enqueue(2, 3)
        failing = explode.enqueue()
        assert result.status == TaskResultStatus.READY

        run_worker("--batch")

        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value == 5
        failing.refresh()
        assert failing.status == TaskResultStatus.FAILED
        assert failing.errors[0].exception_class is ValueError
        # The batch's scheduler pass enqueued the foundation's jobs, and the batch ran them.
        runs = {run.job: run.task_id for run in ScheduledRun.objects.all()}
        assert set(runs) >= FOUNDATION_JOBS
        for job in FOUNDATION_JOBS:
            assert DBTaskResult.objects.get(id=runs[job]).status == TaskResultStatus.SUCCESSFUL
        assert not DBTaskResult.objects.ready().exists()


@pytest.mark.django_db(transaction=True)
def test_no_scheduler_only_runs_tasks() -> None:
    with database_task_backend():
        result = add.enqueue(1, 1)
        run_worker("--batch", "--no-scheduler")
        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert not ScheduledRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_all_queues_by_default_or_only_the_named_ones() -> None:
    with database_task_backend(QUEUES=["default", "reports"]):
        report = add.using(queue_name="reports").enqueue(1, 2)
        ordinary = add.enqueue(3, 4)

        run_worker("--batch", "--no-scheduler", "--queue-name", "default")
        report.refresh()
        ordinary.refresh()
        assert (report.status, ordinary.status) == (
            TaskResultStatus.READY,
            TaskResultStatus.SUCCESSFUL,
        )

        run_worker("--batch", "--no-scheduler")
        report.refresh()
        assert report.status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db
def test_refuses_a_backend_it_cannot_read() -> None:
    # tests.settings uses the immediate backend: there is no queue to work on.
    with pytest.raises(CommandError, match="DatabaseBackend"):
        run_worker("--batch")
    with database_task_backend(), pytest.raises(CommandError, match="nope"):
        run_worker("--batch", "--backend", "nope")


def test_rejects_negative_intervals() -> None:
    with pytest.raises(CommandError, match="interval"):
        run_worker("--interval", "-1")


@pytest.mark.django_db(transaction=True)
def test_signal_handlers_are_restored_after_a_run() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    with database_task_backend():
        run_worker("--batch", "--no-scheduler")
    assert {sig: signal.getsignal(sig) for sig in before} == before


# --- as separate processes, the way it is deployed -------------------------------------------


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """A migrated SQLite *file* for child processes; the test database is in memory.

    None on PostgreSQL, where the children use the test database itself.
    """
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return None
    data_dir = tmp_path_factory.mktemp("kizuna-worker-template")
    subprocess.run(
        [str(KIZUNA), "migrate", "--no-input", "-v", "0"],
        env=_child_env(data_dir, database_url=None),
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return data_dir / "kizuna.sqlite3"


@pytest.fixture
def child_env(
    transactional_db: None, migrated_sqlite: Path | None, tmp_path: Path
) -> dict[str, str]:
    """Environment for ``kizuna`` child processes sharing one real database with the test.

    transactional_db: the children's rows are committed, so the test database has to be
    flushed afterwards rather than rolled back.
    """
    if migrated_sqlite is not None:
        shutil.copy(migrated_sqlite, tmp_path / "kizuna.sqlite3")
        return _child_env(tmp_path, database_url=None)
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    url = f"postgresql://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return _child_env(tmp_path, database_url=url)


def _child_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KIZUNA_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kizuna.settings",
        KIZUNA_DATA_DIR=str(data_dir),
        KIZUNA_SECRET_KEY="test-worker-secret-key-not-for-production",
        KIZUNA_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        KIZUNA_CACHE_URL="locmemcache://",
        PYTHONPATH=str(ROOT),
    )
    if database_url:
        env["KIZUNA_DATABASE_URL"] = database_url
    return env


RACER = """
import sys, time
import django
django.setup()
from django.core.management import call_command
from kizuna.core import scheduler
if sys.argv[2] == "insert-anyway":
    # As if both had read the slot as free before either committed: both INSERT.
    scheduler._slot_taken = lambda job, slot: False
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
call_command("worker", "--batch", verbosity=2)
"""

SUMMARY = """
import json
import django
django.setup()
from django_tasks_db.models import DBTaskResult
from kizuna.core.models import ScheduledRun
ledger = [[r.job, r.slot.isoformat(), r.task_id] for r in ScheduledRun.objects.all()]
results = {str(r.id): [r.status, r.worker_ids] for r in DBTaskResult.objects.all()}
print(json.dumps([ledger, results]))
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["as-deployed", "insert-anyway"])
def test_two_worker_processes_enqueue_and_run_each_periodic_job_once(
    child_env: dict[str, str], mode: str
) -> None:
    """Two ``worker --batch`` processes released at the same instant on one database.

    Each would enqueue every due job on its own; together they must enqueue (and run)
    each (job, slot) once. The assertions are about that invariant rather than "three
    rows", so a slot boundary passing between the two would not make this flaky.

    "insert-anyway" skips the cheap already-claimed read, so the loser always reaches the
    INSERT and the unique constraint (on a real SQLite file: after waiting for the
    winner's write lock) is what stops it.
    """
    start_at = f"{time.time() + 3:.3f}"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, start_at, mode],
            env=child_env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=120)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    output = "".join(outputs)
    assert "database busy" not in output
    if mode == "insert-anyway":
        assert "already enqueued by another worker" in output

    # Read back through a child too: on SQLite the children's database is a file the
    # test's in-memory connection cannot see.
    summary = subprocess.run(
        [sys.executable, "-c", SUMMARY],
        env=child_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    ledger, results = json.loads(summary.stdout)
    assert {job for job, _slot, _task_id in ledger} >= FOUNDATION_JOBS
    assert len({(job, slot) for job, slot, _task_id in ledger}) == len(ledger)
    # One queued task per ledger row, and no task without a ledger row.
    assert sorted(results) == sorted(task_id for _job, _slot, task_id in ledger)
    # Each ran, in exactly one of the two workers.
    assert {status for status, _workers in results.values()} == {"SUCCESSFUL"}
    assert all(len(workers) == 1 for _status, workers in results.values())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_worker_process_stops_cleanly_on_signal(child_env: dict[str, str], signum: int) -> None:
    child = subprocess.Popen(
        [str(KIZUNA), "worker", "--interval", "0.1", "--scheduler-poll", "0.1"],
        env=child_env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in child.stdout or []:
            lines.put(line)

    reader = threading.Thread(target=read)
    reader.start()
    seen: list[str] = []
    try:
        _wait_for(lines, seen, "scheduler started")
        # Let the scheduler enqueue and the worker run the due jobs first.
        _wait_for(lines, seen, "prune_finished_tasks")
        child.send_signal(signum)
        assert child.wait(timeout=30) == 0, "".join(seen)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        reader.join(timeout=10)
    while not lines.empty():
        seen.append(lines.get())
    assert "scheduler stopped" in "".join(seen)


def _wait_for(lines: queue.Queue[str], seen: list[str], text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return
    pytest.fail(f"{text!r} not seen in worker output:\n{''.join(seen)}")


def test_scheduler_module_is_what_the_worker_runs() -> None:
    from kizuna.core.management.commands import worker

    assert worker.scheduler is scheduler


def test_help_renders_in_both_languages() -> None:
    """The command's texts are lazy; argparse must still get plain strings."""
    from django.utils import translation

    from kizuna.core.management.commands.worker import Command

    with translation.override("en"):
        text = Command().create_parser("kizuna", "worker").format_help()
    assert "enqueue periodic jobs when they are due" in text
    assert "--no-scheduler" in text
    with translation.override("ja"):
        assert "--scheduler-poll" in Command().create_parser("kizuna", "worker").format_help()
