"""Demo data of the hrkpi app: none of its own.

The dashboard only reads what other parts of Kizuna store. Its story — カスタマーサクセス部
losing people while its engagement falls — is planted in the org demo
(``kizuna.org.demo._Planner._turnover_story``) and the survey demo; the other KPIs come
from the practices apps' demos. ``build_demo`` exists so ``kizuna demo`` can call every
practices app alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable


def build_demo(today: dt.date, progress: Callable[[str], None]) -> dict[str, int]:
    """Nothing to write: returns no counts (idempotent by construction)."""
    return {}
