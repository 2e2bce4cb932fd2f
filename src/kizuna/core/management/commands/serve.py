"""``kizuna serve``: the web app under gunicorn (WSGI, threaded workers)."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext_lazy
from gunicorn.glogging import Logger

from kizuna.core.i18n import TranslatedCommand

APPLICATION = f"{__name__}:wsgi_application()"
"""What gunicorn loads: :func:`wsgi_application`, called once in each worker."""


def wsgi_application() -> Any:
    """The site (``kizuna.wsgi``) with the tracking API's fast path in front: accepted
    ``/v1/`` calls are answered without Django's middleware, everything else is the
    site as usual (see ``kizuna.usage.views``)."""
    from kizuna import wsgi  # sets Django up, before anything imports a model
    from kizuna.usage import views

    return views.TrackingFastPath(wsgi.application)


class AccessLog(Logger):
    """gunicorn's logger with two changes for the tracking API (``/v1/``).

    The user-name field is never written: for tracking calls it is the write key (a
    secret) sent as the Basic auth user name. And accepted tracking calls are not
    logged one line each: at tens of thousands of events a second they would be most of
    the log and a measurable share of the CPU; refused ones are still logged, and
    ``kizuna drain`` reports what was stored.
    """

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        status = getattr(resp, "status_code", None) or 0
        if 200 <= status < 300 and environ.get("PATH_INFO", "").startswith("/v1/"):
            return
        super().access(resp, req, environ, request_time)

    def _get_user(self, environ: dict[str, Any]) -> str | None:
        return None


def gunicorn_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        APPLICATION,
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--access-logfile",
        "-",
        "--logger-class",
        f"{__name__}.AccessLog",
        "--graceful-timeout",
        "10",
        "--timeout",
        "120",
    ]


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Serve the web app (gunicorn). Put a reverse proxy with TLS in front in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KIZUNA_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KIZUNA_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("KIZUNA_WEB_WORKERS", "2"))
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("KIZUNA_WEB_THREADS", "4"))
        )

    def handle(self, *args: Any, **options: Any) -> None:
        command = gunicorn_command(
            options["host"], options["port"], options["workers"], options["threads"]
        )
        # Become gunicorn rather than wait for it: a supervisor's SIGTERM (or SIGKILL)
        # then reaches the server itself instead of leaving it running, orphaned.
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(command[0], command)  # noqa: S606 - our own argv, no shell
