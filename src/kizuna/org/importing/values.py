"""Parsing single cells into Python values, with one error code per way a value can be
wrong. Lenient about how people type things in Japanese offices (full-width digits,
2024/4/1, 2024年4月1日, 20240401), strict about what the value means."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from kizuna.org.importing.columns import (
    CHOICE,
    CODE,
    DATE,
    EMAIL,
    INTEGER,
    YEAR,
    Column,
    header_key,
)
from kizuna.org.importing.reading import Cell

MIN_BIRTH_YEAR = 1900
_INT_RANGE = (-(2**31), 2**31 - 1)  # IntegerField on every supported database

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


class CellError(Exception):
    """A cell that cannot be used: ``code`` and ``params`` feed ``importing.messages``."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def text_of(cell: Cell) -> str:
    return cell.isoformat() if isinstance(cell, dt.date) else cell


def normalised(cell: Cell) -> str:
    """NFKC-normalised text: full-width digits, letters, "＠" and "／" become ASCII."""
    return unicodedata.normalize("NFKC", text_of(cell)).strip()


def parse_date(cell: Cell) -> dt.date:
    if isinstance(cell, dt.date):
        return cell
    text = normalised(cell)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    raise CellError("invalid_date", value=text_of(cell))


def parse_integer(cell: Cell) -> int:
    text = normalised(cell).replace(",", "")
    if re.fullmatch(r"[-+]?\d+(?:\.0+)?", text):
        number = int(text.split(".")[0])
        if _INT_RANGE[0] <= number <= _INT_RANGE[1]:
            return number
    raise CellError("invalid_integer", value=text_of(cell))


def parse_year(cell: Cell, this_year: int) -> int:
    try:
        year = parse_integer(cell)
    except CellError:
        year = 0
    if not MIN_BIRTH_YEAR <= year <= this_year:
        raise CellError(
            "invalid_birth_year", value=text_of(cell), min=MIN_BIRTH_YEAR, max=this_year
        )
    return year


def parse_cell(
    column: Column, cell: Cell, choices: dict[str, dict[str, str]], this_year: int
) -> Any:
    """The value of a non-empty cell for ``column``; raises ``CellError``."""
    kind = column.value
    if kind == DATE:
        return parse_date(cell)
    if kind == YEAR:
        return parse_year(cell, this_year)
    if kind == INTEGER:
        return parse_integer(cell)
    if kind == CHOICE:
        code = choices[column.field].get(header_key(text_of(cell)))
        if code is None:
            raise CellError("invalid_choice", value=text_of(cell), field=column.field)
        return code
    value = normalised(cell) if kind in (CODE, EMAIL) else text_of(cell).strip()
    if column.max_length is not None and len(value) > column.max_length:
        raise CellError("too_long", value=_shorten(value), limit=column.max_length)
    if kind == EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            raise CellError("invalid_email", value=value) from None
    return value


def _shorten(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
