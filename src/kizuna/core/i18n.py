"""Translation helpers shared by management commands."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandParser
from django.utils.functional import Promise


class TranslatedCommand(BaseCommand):
    """A command whose ``--help`` is translated.

    argparse needs real strings and command classes are built before a language is
    active, so the lazy description is resolved when the parser is built; argument help
    is written with plain ``gettext`` inside ``add_arguments`` for the same reason.
    """

    description: ClassVar[Promise | str] = ""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = str(self.description)
        return super().create_parser(prog_name, subcommand, **kwargs)
