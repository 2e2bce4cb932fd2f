"""``kizuna token create EMAIL --name NAME`` / ``kizuna token revoke PREFIX``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.core import tokens
from kizuna.core.i18n import TranslatedCommand
from kizuna.core.models import ApiToken, User


class Command(TranslatedCommand):
    description = gettext_lazy("Create or revoke API tokens for scripts using the REST API.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help=_("Create a token and print it once."))
        create.add_argument("email")
        create.add_argument("--name", default="cli", help=_("What the token is for."))
        revoke = sub.add_parser("revoke", help=_("Revoke a token by its prefix."))
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            user = User.objects.filter(email=options["email"].strip().lower()).first()
            if user is None or not user.is_active:
                raise CommandError(_("No active user has the address %(email)s.") % options)
            _token, raw = tokens.create_token(user, options["name"])
            self.stdout.write(raw)
            return
        found = list(ApiToken.objects.filter(prefix=options["prefix"], revoked=False))
        if len(found) != 1:
            raise CommandError(_("No single active token has that prefix."))
        tokens.revoke(found[0], None)
        self.stdout.write(_("Revoked."))
