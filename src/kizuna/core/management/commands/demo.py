"""``kizuna demo``: build the sample company once and serve it (web + worker)."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.core.i18n import TranslatedCommand
from kizuna.core.management.commands.serve import gunicorn_command

BACKGROUND_SURVEYS_FROM = 1000  # employees


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Create the sample company 株式会社サンプル (once) and serve it on 127.0.0.1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--employees",
            type=int,
            default=300,
            help=_("Number of employees (100 to 10,000)."),
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help=_("Build the data and exit without serving."),
        )
        parser.add_argument("--surveys-only", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        from kizuna.engagement.demo import build_demo_surveys
        from kizuna.org.demo import DemoError, build_demo

        if options["surveys_only"]:  # the background half of a large demo (see below)
            built = build_demo_surveys(progress=lambda message: self.stdout.write(f"  {message}"))
            self.stdout.write(_("The survey history is complete."))
            if built.answer_link:
                self.stdout.write(
                    _("This month's pulse survey, as employee@sample.example: %(link)s")
                    % {"link": built.answer_link}
                )
            return

        employees = options["employees"]
        if not 100 <= employees <= 10_000:
            raise CommandError(_("--employees must be between 100 and 10,000."))
        started = time.monotonic()
        self.stdout.write(_("Preparing the database…"))
        call_command("migrate", interactive=False, verbosity=0)
        try:
            result = build_demo(
                employees, progress=lambda message: self.stdout.write(f"  {message}")
            )
        except DemoError as error:
            raise CommandError(str(error)) from error
        # A large company's survey history (millions of answers) would delay the first page
        # past a minute: serve first and keep filling it in the background, with progress.
        in_background = employees > BACKGROUND_SURVEYS_FROM and not options["no_serve"]
        surveys = None
        if not in_background:
            surveys = build_demo_surveys(progress=lambda message: self.stdout.write(f"  {message}"))
        if result.created:
            self.stdout.write(
                _("Built the sample company in %(seconds).1f s.")
                % {"seconds": time.monotonic() - started}
            )
        else:
            self.stdout.write(_("The sample company already exists; nothing was rebuilt."))
        self.stdout.write("")
        self.stdout.write(
            _("Logins (password for all: %(password)s):")
            % {"password": result.logins[0].password if result.logins else ""}
        )
        for login in result.logins:
            self.stdout.write(f"  {login.role:<10} {login.email:<28} {login.name}")
        if surveys is not None and surveys.answer_link:
            self.stdout.write("")
            self.stdout.write(
                _("This month's pulse survey, as employee@sample.example: %(link)s")
                % {
                    "link": surveys.answer_link.replace(
                        "127.0.0.1:8000", f"127.0.0.1:{options['port']}"
                    )
                }
            )
        if options["no_serve"]:
            return
        if in_background:
            self.stdout.write(
                _("The survey history is being built in the background; progress follows.")
            )
            subprocess.Popen([sys.executable, "-m", "kizuna.cli", "demo", "--surveys-only"])
        self.serve(options["port"])

    def serve(self, port: int) -> None:
        url = f"http://127.0.0.1:{port}/"
        worker = subprocess.Popen([sys.executable, "-m", "kizuna.cli", "worker"])
        web = subprocess.Popen(gunicorn_command("127.0.0.1", port, workers=2, threads=4))
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Kizuna is running at %(url)s") % {"url": url}))
        self.stdout.write(_("Press Ctrl+C to stop."))
        self.stdout.flush()

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            while web.poll() is None and worker.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in (web, worker):
                if process.poll() is None:
                    process.terminate()
            for process in (web, worker):
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
