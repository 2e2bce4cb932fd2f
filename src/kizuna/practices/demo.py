"""The practices part of ``kizuna demo``: 1on1s, reviews, recognition and flexible work
for the sample company, built after the org chart and before the survey history (the
survey launches snapshot each person's performance band from the reviews).

Each app owns its demo (``<app>/demo.py::build_demo``); this module only runs them in
order, each idempotent.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable

from django.utils import timezone

# evaluation first: the survey demo that follows reads the bands it finalises
APPS = ("evaluation", "oneonones", "recognition", "flexwork")


def build_practices_demo(
    progress: Callable[[str], None], today: dt.date | None = None
) -> dict[str, dict[str, int]]:
    """Run every practices app's demo builder; returns each app's counts."""
    day = today or timezone.localdate()
    built: dict[str, dict[str, int]] = {}
    for app in APPS:
        module = importlib.import_module(f"kizuna.practices.{app}.demo")
        built[app] = module.build_demo(day, progress)
    return built
