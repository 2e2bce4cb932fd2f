"""``kizuna drain [--follow]``: move spooled events into the event store now.

``kizuna worker`` does this every few seconds as a periodic job; this command is for
scripts that need the store current before they read it (imports, reports, the demo),
and ``--follow`` runs a dedicated drain loop for installs that ingest continuously at
high rates.
"""

from __future__ import annotations

import json
import signal
import threading
from argparse import ArgumentTypeError
from types import FrameType
from typing import Any

from django.core.management.base import CommandParser
from django.db import close_old_connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.core.i18n import TranslatedCommand
from kizuna.usage import drain, spool


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise ArgumentTypeError(_("Must be a number of seconds.")) from exc
    if not (0 <= number < float("inf")):
        raise ArgumentTypeError(_("Must be zero or more seconds."))
    return number


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Move spooled product events into the event store (once, or continuously)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--follow",
            action="store_true",
            help=_("Keep draining until stopped (SIGTERM or Ctrl-C)."),
        )
        parser.add_argument(
            "--interval",
            type=_seconds,
            default=1.0,
            help=_("With --follow: seconds to wait when the spool is empty (default 1)."),
        )
        parser.add_argument(
            "--format",
            choices=["text", "json"],
            default="text",
            help=_("Output format: text for people, json for scripts."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        follow: bool = options["follow"]
        stop = threading.Event()
        if follow:

            def shutdown(signum: int, frame: FrameType | None) -> None:
                stop.set()

            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, shutdown)
        total = drain.DrainResult()
        while not stop.is_set():
            if follow:
                close_old_connections()  # a long-lived loop must not keep a dead connection
            # Once: wait for a drain the worker may be running. Following: never wait
            # on the lock, just try again on the next round.
            result = drain.drain_once(lock_timeout=0.0 if follow else 30.0)
            total += result
            if result.requests < drain.MAX_REQUESTS_PER_PASS:  # spool empty, or busy
                if not follow:
                    break
                stop.wait(options["interval"])
            else:
                stop.wait(drain.READER_GAP_SECONDS)
        self._report(total, options["format"])

    def _report(self, total: drain.DrainResult, output: str) -> None:
        _requests, events = spool.backlog()
        if output == "json":
            self.stdout.write(json.dumps({**total.as_dict(), "backlog_events": events}))
            return
        self.stdout.write(
            _(
                "Stored %(stored)s new events (%(duplicates)s duplicates skipped); "
                "%(backlog)s events still spooled."
            )
            % {"stored": total.stored, "duplicates": total.duplicates, "backlog": events}
        )
