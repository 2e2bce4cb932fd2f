"""``kizuna worker``: run background tasks, and the periodic-job scheduler beside them.

One process to deploy instead of a worker plus a cron daemon: the django-tasks-db worker
loop runs in the main thread (it owns the signal handling), the scheduler in a daemon
thread. Any number of workers may run; the scheduler's ledger keeps periodic jobs from
being enqueued once per worker (see ``kizuna.core.scheduler.enqueue_due``).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django.tasks.exceptions import InvalidTaskBackend
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from kizuna.core import scheduler

_LOGGERS = ("django_tasks_db", "django.tasks", "kizuna.core.scheduler")
_SIGNALS = tuple(
    sig for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", None)) if sig
)

SignalHandler = Callable[[int, FrameType | None], Any] | int | None


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise ArgumentTypeError(_("Must be a number of seconds.")) from exc
    if not (number >= 0 and number != float("inf")):
        raise ArgumentTypeError(_("Must be zero or more seconds."))
    return number


def _worker_id() -> str:
    """Readable in the admin's task list (which host and process ran it) and unique."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"


HELP = gettext_lazy("Run queued background tasks and enqueue periodic jobs when they are due.")


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # argparse needs a real str, and the class is built before a language is active,
        # so the lazy text is resolved here. Argument help below is translated the same way.
        self.help = str(HELP)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--queue-name",
            default="*",
            help=_("Queues to process, comma-separated; '*' means all queues (default)."),
        )
        parser.add_argument(
            "--interval",
            type=_seconds,
            default=1.0,
            help=_("Seconds to wait before polling again when no task is ready (default 1)."),
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help=_(
                "Enqueue the jobs that are due, run every outstanding task, then exit "
                "(for tests, CI and cron)."
            ),
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help=_("Only run tasks; do not enqueue periodic jobs from this process."),
        )
        parser.add_argument(
            "--scheduler-poll",
            type=_seconds,
            default=30.0,
            help=_("Seconds between checks for due periodic jobs (default 30)."),
        )
        parser.add_argument(
            "--backend",
            default=DEFAULT_TASK_BACKEND_ALIAS,
            help=_("The task backend alias to work for; it must be a database backend."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._configure_logging(options["verbosity"])
        backend_alias: str = options["backend"]
        self._check_backend(backend_alias)
        queue_names = [name.strip() for name in options["queue_name"].split(",") if name.strip()]
        if not queue_names:
            raise CommandError(_("--queue-name needs at least one queue name."))
        batch: bool = options["batch"]
        worker = Worker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=batch,
            backend_name=backend_alias,
            startup_delay=not batch,
            max_tasks=None,
            worker_id=_worker_id(),
            excluded_queue_names=[],
        )
        stop = threading.Event()
        if options["scheduler"] and batch:
            # One pass, before draining: the jobs it enqueues run in this same batch.
            scheduler.enqueue_due()
        previous = self._install_signals(worker, stop)
        thread: threading.Thread | None = None
        try:
            if options["scheduler"] and not batch:
                thread = threading.Thread(
                    target=scheduler.run_scheduler,
                    args=(stop, options["scheduler_poll"]),
                    name="kizuna-scheduler",
                    daemon=True,
                )
                thread.start()
            worker.run()
        finally:
            # Reached on a normal exit, and via SystemExit when a signal stops the worker.
            stop.set()
            if thread is not None:
                thread.join(timeout=10)
            self._restore_signals(previous)

    def _check_backend(self, alias: str) -> None:
        """The worker reads the database queue; any other backend has nothing for it."""
        try:
            backend = task_backends[alias]
        except InvalidTaskBackend as exc:
            raise CommandError(str(exc)) from exc
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                _(
                    "Task backend %(alias)s is %(backend)s; the worker needs "
                    "django_tasks_db.DatabaseBackend (set KIZUNA_TASKS_BACKEND)."
                )
                % {"alias": alias, "backend": type(backend).__name__}
            )

    def _install_signals(
        self, worker: Worker, stop: threading.Event
    ) -> dict[int, SignalHandler] | None:
        """Stop the scheduler thread, then let the worker finish its task and exit.

        The handlers in place before are returned so they can be put back: ``call_command``
        in a test or a shell must not leave this command's handlers behind.
        """
        if threading.current_thread() is not threading.main_thread():
            return None  # signal.signal() only works in the main thread.

        def shutdown(signum: int, frame: FrameType | None) -> None:
            stop.set()
            worker.shutdown(signum, frame)

        previous: dict[int, SignalHandler] = {}
        for sig in _SIGNALS:
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, shutdown)
        return previous

    def _restore_signals(self, previous: dict[int, SignalHandler] | None) -> None:
        for sig, handler in (previous or {}).items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)

    def _configure_logging(self, verbosity: int) -> None:
        level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in _LOGGERS:
            named = logging.getLogger(name)
            named.setLevel(level)
            if not named.hasHandlers():
                named.addHandler(logging.StreamHandler(self.stdout))
