"""The ``kizuna`` command: a thin front over Django management commands, so operators,
scripts and CI use one entry point (``kizuna demo``, ``kizuna import employees …``)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kizuna.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "import":
        # "kizuna import employees PATH" reads better than Django's reserved-word dance.
        args[0] = "import_data"
    execute_from_command_line(["kizuna", *args])


if __name__ == "__main__":
    main()
