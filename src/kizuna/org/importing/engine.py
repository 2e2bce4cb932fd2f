"""(placeholder: implemented by the import engine work)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kizuna.org.importing.types import ValidationResult


def validate(kind: str, content: bytes, filename: str, as_of: dt.date) -> ValidationResult:
    raise NotImplementedError


def apply(
    kind: str,
    content: bytes,
    filename: str,
    as_of: dt.date,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    raise NotImplementedError
