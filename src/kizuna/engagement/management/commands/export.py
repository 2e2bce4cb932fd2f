"""``kizuna export results SURVEY_ID --by ATTR[,ATTR] --format json|csv --as EMAIL``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.core.i18n import TranslatedCommand
from kizuna.core.models import User
from kizuna.engagement import exports, guard
from kizuna.surveys.models import Survey


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Export guarded survey results: hidden groups have null respondents and scores."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        results = sub.add_parser("results", help=_("Results of one survey by group."))
        results.add_argument("survey_id", type=int)
        results.add_argument(
            "--by",
            default="",
            help=_(
                "Attributes to group by, comma-separated (department, team, manager, "
                "tenure, job_level, location, employment_type, gender, age)."
            ),
        )
        results.add_argument(
            "--department",
            type=int,
            default=None,
            help=_("Limit to one department and everything below it."),
        )
        results.add_argument("--format", choices=["json", "csv"], default="json")
        results.add_argument(
            "--as", dest="as_email", required=True, help=_("The user whose access rules apply.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(
            email=options["as_email"].strip().lower(), is_active=True
        ).first()
        if user is None:
            raise CommandError(
                _("No active user has the address %(email)s.") % {"email": options["as_email"]}
            )
        survey = Survey.objects.filter(pk=options["survey_id"]).first()
        if survey is None:
            raise CommandError(_("No survey has the id %(id)s.") % {"id": options["survey_id"]})
        by = [part for part in options["by"].split(",") if part.strip()]
        try:
            result = exports.results_groups(
                survey, user, by, department_id=options["department"], what="export_cli"
            )
        except guard.Refused as refused:
            raise CommandError(refused.message) from refused
        if options["format"] == "csv":
            self.stdout.write(exports.to_csv(result), ending="")
        else:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2, default=str))
