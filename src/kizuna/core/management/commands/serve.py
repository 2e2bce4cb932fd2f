"""``kizuna serve``: the web app under gunicorn (WSGI, threaded workers)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext_lazy

from kizuna.core.i18n import TranslatedCommand


def gunicorn_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "kizuna.wsgi:application",
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
        sys.exit(subprocess.call(command))
