"""``kizuna survey list|launch``: surveys from scripts and cron.

``launch`` creates a survey from a template and opens it in one step, acting as the user
given with ``--as`` (who must be allowed to manage surveys), and prints the new survey's
id alone on stdout so a script can capture it; counts go to stderr.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.core import access
from kizuna.core.i18n import TranslatedCommand
from kizuna.core.models import User
from kizuna.surveys import audience as audiences
from kizuna.surveys import catalog, services, visibility
from kizuna.surveys.models import Invitation, Questionnaire, Survey, SurveyKind

DEFAULT_DURATION_DAYS = 14


class Command(TranslatedCommand):
    description = gettext_lazy("List surveys, or create and launch one from a template.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help=_("Language of the messages (default: the site language)."),
        )
        actions = parser.add_subparsers(dest="action", required=True, metavar="list|launch")
        listing = actions.add_parser("list", help=_("List surveys with their status."))
        listing.add_argument(
            "--format",
            choices=["text", "json"],
            default="text",
            help=_("Output format: text for people, json for scripts."),
        )
        launch = actions.add_parser(
            "launch",
            help=_("Create a survey from a template and launch it; prints the new survey id."),
        )
        launch.add_argument(
            "--template",
            required=True,
            help=_("Template code, for example kizuna-pulse or kizuna-annual."),
        )
        launch.add_argument(
            "--audience",
            required=True,
            action="append",
            metavar="all|ATTR=VALUE",
            help=_(
                "Who is invited: all, or ATTRIBUTE=VALUE (department, location, job_level, "
                "employment_type, gender, tenure_band, age_band, custom:NAME). Repeat to "
                "combine conditions."
            ),
        )
        launch.add_argument("--name", help=_("Survey name (default: the template name)."))
        launch.add_argument(
            "--opens", metavar="YYYY-MM-DD", help=_("Opening date (default: today).")
        )
        launch.add_argument(
            "--closes",
            metavar="YYYY-MM-DD",
            help=_("Closing date (default: 14 days after opening)."),
        )
        launch.add_argument("--series", default="", help=_("Series the survey belongs to."))
        launch.add_argument(
            "--k", type=int, default=5, help=_("Minimum group size for results (at least 3).")
        )
        launch.add_argument(
            "--as",
            dest="as_email",
            required=True,
            metavar="EMAIL",
            help=_("Act as this user, who must be allowed to manage surveys."),
        )
        launch.add_argument(
            "--no-send",
            action="store_true",
            help=_("Open the survey without sending invitations."),
        )
        launch.add_argument(
            "--links-file",
            metavar="PATH",
            help=_(
                "With --no-send: write each person's email address and personal link to this "
                "CSV file, to hand out by other means. Keep it private."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            if options["action"] == "list":
                self._list(options["format"])
            else:
                self._launch(options)

    # --- list -----------------------------------------------------------------------------

    def _list(self, fmt: str) -> None:
        rows = []
        for survey in services.with_counts(Survey.objects.select_related("questionnaire")):
            guarded = visibility.guard_total(survey, survey.invited, survey.responded)  # type: ignore[attr-defined]
            rows.append(
                {
                    "id": survey.pk,
                    "name": survey.name,
                    "kind": survey.kind,
                    "status": survey.status,
                    "template": survey.questionnaire.code,
                    "series": survey.series,
                    "wave": survey.wave,
                    "opens_on": survey.opens_on.isoformat() if survey.opens_on else None,
                    "closes_on": survey.closes_on.isoformat() if survey.closes_on else None,
                    "invited": guarded["invited"],
                    "responded": guarded["responded"],
                    "response_rate": (
                        round(guarded["percent"], 1) if guarded["percent"] is not None else None
                    ),
                    "hidden_reason": guarded["reason"] or None,
                }
            )
        if fmt == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            self.stdout.write(_("No surveys yet. Create one with: kizuna survey launch --help"))
            return
        for row in rows:
            rate = "—" if row["response_rate"] is None else f"{row['response_rate']:.1f}%"
            self.stdout.write(
                f"{row['id']:>5}  {row['status']:<6}  {row['kind']:<10}  "
                f"{row['opens_on'] or '—'} – {row['closes_on'] or '—'}  {rate:>6}  {row['name']}"
            )

    # --- launch ---------------------------------------------------------------------------

    def _launch(self, options: dict[str, Any]) -> None:
        user = self._user(options["as_email"])
        code = options["template"]
        questionnaire = Questionnaire.objects.filter(code=code).first()
        if questionnaire is None:
            known = ", ".join(Questionnaire.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                _("Unknown template “%(code)s”. Available: %(known)s.")
                % {"code": code, "known": known}
            )
        if options["links_file"] and not options["no_send"]:
            raise CommandError(_("--links-file is only used together with --no-send."))
        opens_on = self._date(options["opens"], "--opens") or timezone.localdate()
        closes_on = self._date(options["closes"], "--closes") or opens_on + dt.timedelta(
            days=DEFAULT_DURATION_DAYS
        )
        try:
            audience = audiences.parse_cli(options["audience"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        language = translation.get_language() or "ja"
        name = options["name"] or f"{questionnaire.name(language)} {opens_on.isoformat()}"
        try:
            survey = services.create_survey(
                name,
                catalog.SURVEY_KIND_FOR_QUESTIONNAIRE.get(code, SurveyKind.ADHOC),
                code,
                audience=audience,
                opens_on=opens_on,
                closes_on=closes_on,
                k=options["k"],
                comment_k=max(options["k"], 10),
                series=options["series"],
                created_by=user,
            )
            result = services.launch(survey, by_user=user, send=not options["no_send"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if options["links_file"]:
            self._write_links(Path(options["links_file"]), result.links)
        self.stderr.write(
            _(
                "Opened survey %(id)s: %(invited)s people invited, %(emailed)s emails and "
                "%(slack)s Slack messages sent, %(undelivered)s not reached."
            )
            % {
                "id": survey.pk,
                "invited": result.invited,
                "emailed": result.emailed,
                "slack": result.slack,
                "undelivered": result.undelivered if not options["no_send"] else result.invited,
            }
        )
        self.stdout.write(str(survey.pk))

    def _user(self, email: str) -> User:
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(
                _("No active user with the email address “%(email)s”.") % {"email": email}
            )
        if not access.can(user, "surveys.manage"):
            raise CommandError(
                _("%(email)s is not allowed to manage surveys (the admin or HR role is needed).")
                % {"email": user.email}
            )
        return user

    def _date(self, value: str | None, option: str) -> dt.date | None:
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CommandError(
                _("Invalid %(option)s date “%(value)s”. Use the form YYYY-MM-DD.")
                % {"option": option, "value": value}
            ) from None

    def _write_links(self, path: Path, links: dict[int, str]) -> None:
        emails = dict(
            Invitation.objects.filter(employee_id__in=list(links)).values_list(
                "employee_id", "employee__email"
            )
        )
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(descriptor, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["email", "link"])
                for employee_id, link in links.items():
                    writer.writerow([emails.get(employee_id, ""), link])
        except OSError:
            raise CommandError(
                _("Cannot write the file “%(path)s”. Check the path and permissions.")
                % {"path": path}
            ) from None
