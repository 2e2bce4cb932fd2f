"""``kizuna source create NAME`` / ``list`` / ``deactivate NAME`` / ``activate NAME``:
write keys for event ingestion."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import IntegrityError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.core.i18n import TranslatedCommand
from kizuna.usage import sources
from kizuna.usage.models import Source

NAME_MAX = Source._meta.get_field("name").max_length or 100


class Command(TranslatedCommand):
    description = gettext_lazy(
        "Manage event sources: each has a write key for the /v1/ tracking API (Segment-compatible)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create",
            help=_("Create a source and print its write key (shown only this once)."),
        )
        create.add_argument("name", help=_("A name people recognise, such as “web app”."))
        create.add_argument(
            "--format",
            choices=["text", "json"],
            default="text",
            help=_("Output format: text for people, json for scripts."),
        )
        listing = sub.add_parser("list", help=_("List sources with their key prefixes."))
        listing.add_argument(
            "--format",
            choices=["text", "json"],
            default="text",
            help=_("Output format: text for people, json for scripts."),
        )
        for action, text in (
            ("deactivate", _("Refuse events sent with this source's key.")),
            ("activate", _("Accept events with this source's key again.")),
        ):
            toggle = sub.add_parser(action, help=text)
            toggle.add_argument("name", help=_("The source's name."))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options["name"].strip(), options["format"])
        elif action == "list":
            self._list(options["format"])
        else:
            source = Source.objects.filter(name=options["name"].strip()).first()
            if source is None:
                raise CommandError(_("No source is named %(name)s.") % {"name": options["name"]})
            sources.set_active(source, action == "activate")
            message = _("%(name)s is active.") if source.active else _("%(name)s is inactive.")
            self.stdout.write(message % {"name": source.name})

    def _create(self, name: str, output: str) -> None:
        if not name or len(name) > NAME_MAX:
            raise CommandError(_("Give the source a name of 1 to 100 characters."))
        if Source.objects.filter(name=name).exists():
            raise CommandError(_("A source named %(name)s already exists.") % {"name": name})
        try:
            source, key = sources.create_source(name)
        except IntegrityError as exc:  # created by someone else a moment ago
            raise CommandError(
                _("A source named %(name)s already exists.") % {"name": name}
            ) from exc
        if output == "json":
            payload = {"id": source.pk, "name": source.name, "write_key": key}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        self.stdout.write(key)
        self.stderr.write(
            _("Created %(name)s. Keep the write key above safe: it is not shown again.")
            % {"name": source.name}
        )

    def _list(self, output: str) -> None:
        rows: list[dict[str, Any]] = [
            {
                "id": source.pk,
                "name": source.name,
                "key_prefix": source.key_prefix,
                "created_at": source.created_at.isoformat(),
                "active": source.active,
            }
            for source in Source.objects.order_by("name")
        ]
        if output == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            self.stdout.write(_("No sources yet. Create one with: kizuna source create NAME"))
            return
        for row in rows:
            state = _("active") if row["active"] else _("inactive")
            self.stdout.write(
                f"{row['name']}\t{row['key_prefix']}…\t{row['created_at'][:10]}\t{state}"
            )
