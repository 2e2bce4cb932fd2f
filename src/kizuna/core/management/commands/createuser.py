"""``kizuna createuser EMAIL --role ROLE …``: create or update a login."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.core import access, audit
from kizuna.core.i18n import TranslatedCommand
from kizuna.core.models import User
from kizuna.core.roles import ALL_ROLES
from kizuna.org.models import Employee


class Command(TranslatedCommand):
    description = gettext_lazy("Create a login (or update its roles) and link it to an employee.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            choices=ALL_ROLES,
            help=_("A role; repeat for several."),
        )
        parser.add_argument("--name", default="", help=_("Display name."))
        parser.add_argument(
            "--employee",
            default="",
            help=_("Employee number to link this login to."),
        )
        parser.add_argument(
            "--password",
            default=None,
            help=_("Password (asked for when omitted and a terminal is attached)."),
        )
        parser.add_argument(
            "--no-password",
            action="store_true",
            help=_("Create without a password (the person uses password reset)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(
                _("Not a valid email address: %(email)s") % {"email": email}
            ) from exc
        employee = None
        if options["employee"]:
            employee = Employee.objects.filter(employee_number=options["employee"]).first()
            if employee is None:
                raise CommandError(
                    _("No employee has the number %(number)s.") % {"number": options["employee"]}
                )
        password = options["password"]
        if password is None and not options["no_password"]:
            password = getpass.getpass(_("Password: "))
        user = User.objects.filter(email=email).first() or User(email=email)
        if password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        with transaction.atomic():
            created = user.pk is None
            if options["name"]:
                user.display_name = options["name"]
            elif employee is not None and not user.display_name:
                user.display_name = employee.full_name
            if password:
                user.set_password(password)
            elif created:
                user.set_unusable_password()
            user.save()
            access.set_roles(user, set(options["role"]))
            if employee is not None:
                employee.user = user
                employee.save(update_fields=["user"])
            audit.record(
                None,
                "core.user_created" if created else "core.user_updated",
                user,
                roles=sorted(options["role"]),
                via="cli",
            )
        self.stdout.write(
            (_("Created %(email)s") if created else _("Updated %(email)s")) % {"email": email}
        )
