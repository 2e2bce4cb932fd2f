"""``kizuna demo``: build the sample company once and serve it (web + worker).

Order: the organisation (with the role logins), its survey history, then its customers
(accounts owned by the CSM logins, subscriptions and usage events). What would keep the
first page from appearing within a minute runs after the site is up, in one background
``kizuna demo`` process with hidden flags: a large company's survey history
(``--surveys-only``) and the customers' daily health history and churn-risk model
(``--customers-followup``). With ``--no-serve`` everything runs in the foreground.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import subprocess
import sys
import time
from collections.abc import Callable
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
        parser.add_argument(
            "--events",
            type=int,
            default=None,
            help=_(
                "Number of product-usage events of the demo customers (default: about 2.4 "
                "million; 20,000,000 or more works and takes longer)."
            ),
        )
        parser.add_argument("--surveys-only", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--customers-followup", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        from kizuna.customers.demo import CustomerDemoError, build_customer_demo
        from kizuna.engagement.demo import build_demo_surveys
        from kizuna.org.demo import DemoError, build_demo

        def report(message: str) -> None:
            self.stdout.write(f"  {message}")
            self.stdout.flush()

        if options["surveys_only"] or options["customers_followup"]:
            # The background half of the demo (see the module docstring).
            if options["customers_followup"]:
                self.customers_followup(report)
            if options["surveys_only"]:
                built = build_demo_surveys(progress=report)
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
        if options["events"] is not None and options["events"] < 0:
            raise CommandError(_("--events must be zero or a positive number."))
        started = time.monotonic()
        self.stdout.write(_("Preparing the database…"))
        call_command("migrate", interactive=False, verbosity=0)
        try:
            result = build_demo(employees, progress=report)
        except DemoError as error:
            raise CommandError(str(error)) from error
        from kizuna.practices.demo import build_practices_demo

        build_practices_demo(report)
        # A large company's survey history (millions of answers) would delay the first page
        # past a minute: serve first and keep filling it in the background, with progress.
        in_background = employees > BACKGROUND_SURVEYS_FROM and not options["no_serve"]
        surveys = None
        if not in_background:
            surveys = build_demo_surveys(progress=report)
        # The customers need the CSM logins, so they come after the organisation.
        try:
            customers = build_customer_demo(events=options["events"], progress=report)
        except CustomerDemoError as error:
            raise CommandError(str(error)) from error
        if result.created or customers.created:
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
        self.stdout.write("")
        self.stdout.write(
            _(
                "Customers: %(accounts)s accounts (%(active)s active), %(users)s users, "
                "%(events)s usage events since %(start)s."
            )
            % {
                "accounts": f"{customers.accounts:,}",
                "active": f"{customers.active_accounts:,}",
                "users": f"{customers.users:,}",
                "events": f"{customers.events:,}",
                "start": customers.history_start.isoformat(),
            }
        )
        self.stdout.write(_("CSM logins and their accounts:"))
        for csm in customers.csms:
            self.stdout.write(f"  {csm.email:<39} {csm.name:<10} {csm.accounts:>4}")
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
        followup = self.followup_pending()
        if options["no_serve"]:
            if followup:
                self.customers_followup(report)
            return
        background = [*(["--customers-followup"] if followup else [])]
        if in_background:
            background.append("--surveys-only")
            self.stdout.write(
                _("The survey history is being built in the background; progress follows.")
            )
        if followup:
            self.stdout.write(
                _(
                    "The customers' health history and churn-risk model are being computed "
                    "in the background; progress follows."
                )
            )
        if background:
            subprocess.Popen([sys.executable, "-m", "kizuna.cli", "demo", *background])
        self.serve(options["port"])

    def followup_pending(self) -> bool:
        """True when the health engine exists and the demo has no health history yet, or
        no trained churn model (both written once; the nightly jobs keep them fresh)."""
        steps = _followup_steps()
        return bool(steps["backfill"] or steps["train"])

    def customers_followup(self, report: Callable[[str], None]) -> None:
        """The customers' daily health history since the first day with complete usage
        history, then the churn-risk model and today's risks — each only when its module
        exists (they arrive with the health engine) and has not run yet."""
        steps = _followup_steps()
        started = time.monotonic()
        backfill, first_day = steps["backfill"], steps["first_day"]
        if backfill is not None and isinstance(first_day, dt.date):
            from django.utils import timezone

            end = timezone.localdate() + dt.timedelta(days=1)
            report(
                _("Computing the daily health history from %(start)s…")
                % {"start": first_day.isoformat()}
            )
            last = [time.monotonic()]

            def progress(done: int, total: int) -> None:
                if time.monotonic() - last[0] >= 5 or done == total:
                    last[0] = time.monotonic()
                    report(
                        _("Health history: %(done)s of %(total)s scores")
                        % {"done": f"{done:,}", "total": f"{total:,}"}
                    )

            written = backfill(first_day, end, progress=progress)
            report(
                _("Health history written: %(count)s daily scores in %(seconds).1f s.")
                % {"count": f"{written:,}", "seconds": time.monotonic() - started}
            )
        train, risks = steps["train"], steps["risks"]
        if train is not None:
            report(_("Training the churn-risk model…"))
            run = train()
            if getattr(run, "usable", False) and risks is not None:
                risks()
            auc = getattr(run, "auc", None)
            if auc is not None:
                report(
                    _("Churn-risk model: out-of-time AUC %(auc).2f (%(low).2f–%(high).2f).")
                    % {"auc": auc, "low": run.auc_low, "high": run.auc_high}
                )
            else:
                report(_("Churn-risk model: not enough history to validate it."))
        self.stdout.write(
            _("The customers' health history and churn-risk model are ready (%(seconds).1f s).")
            % {"seconds": time.monotonic() - started}
        )
        self.stdout.flush()

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


def _followup_steps() -> dict[str, Any]:
    """The follow-up functions that exist and still have work to do (None otherwise):
    the health engine and churn model are optional to the demo."""
    steps: dict[str, Any] = {"backfill": None, "first_day": None, "train": None, "risks": None}
    try:
        from kizuna.customers import churn_model, health
        from kizuna.customers.models import ChurnModelRun, HealthScore
    except ImportError:
        return steps
    first_complete_day = getattr(health, "first_complete_day", None)
    first_day = first_complete_day() if first_complete_day else None
    if hasattr(health, "backfill") and first_day and not HealthScore.objects.exists():
        steps["backfill"], steps["first_day"] = health.backfill, first_day
    if hasattr(churn_model, "train") and not ChurnModelRun.objects.exists():
        steps["train"] = churn_model.train
        steps["risks"] = getattr(churn_model, "risks", None)
    return steps
