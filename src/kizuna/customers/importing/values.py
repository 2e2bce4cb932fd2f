"""Parsing the cell kinds customer files add to the employee import's: money in whole
yen, a percentage and a yes/no flag. Lenient about how numbers are typed in Japanese
offices (full-width digits, "¥120,000", "120,000円"), strict about what they mean: "12万"
or "100.5" is refused with a message, never guessed at."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from kizuna.customers.importing.columns import FLAG, MONEY, PERCENT
from kizuna.org.importing.columns import Column
from kizuna.org.importing.reading import Cell
from kizuna.org.importing.values import CellError, normalised, parse_cell, text_of

# Whole yen up to the model's 14 digits.
MAX_YEN = Decimal(10) ** 14 - 1
_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
# "¥" and "円"/"JPY" around the amount; "\" is how CP932 files show the yen sign.
_CURRENCY = re.compile(r"^[¥\\]|円$|JPY$|^JPY", re.IGNORECASE)
_TRUE = frozenset({"1", "true", "yes", "y", "はい", "○", "〇", "◯", "✓", "有", "あり", "主"})
_FALSE = frozenset({"0", "false", "no", "n", "いいえ", "×", "✕", "無", "なし", "-", "ー"})


def _decimal(text: str) -> Decimal | None:
    compact = text.replace(",", "").replace(" ", "")
    if not _NUMBER.match(compact):
        return None
    try:
        return Decimal(compact)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None


def parse_money(cell: Cell) -> Decimal:
    """A non-negative whole-yen amount: "120000", "120,000", "¥120,000", "120,000円"."""
    text = normalised(cell)
    amount = _decimal(_CURRENCY.sub("", text).strip())
    if amount is None:
        raise CellError("invalid_amount", value=text_of(cell))
    if amount < 0:
        raise CellError("negative_amount", value=text_of(cell))
    if amount != amount.to_integral_value():
        raise CellError("fractional_yen", value=text_of(cell))
    if amount > MAX_YEN:
        raise CellError("amount_too_large", value=text_of(cell))
    return amount.quantize(Decimal(1))


def parse_percent(cell: Cell) -> Decimal:
    """A percentage from 0 to 100 with at most two decimals: "10", "10%", "12.5"."""
    text = normalised(cell)
    value = _decimal(text.removesuffix("%").strip())
    if value is None or not 0 <= value <= 100 or value != value.quantize(Decimal("0.01")):
        raise CellError("invalid_percent", value=text_of(cell))
    return value.quantize(Decimal("0.01"))


def parse_flag(cell: Cell) -> bool:
    """Yes/no as people write it in a spreadsheet (はい/いいえ, ○/×, 1/0, TRUE/FALSE)."""
    word = normalised(cell).casefold()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise CellError("invalid_flag", value=text_of(cell))


def parse_value(
    column: Column, cell: Cell, choices: dict[str, dict[str, str]], this_year: int
) -> Any:
    """The value of a non-empty cell: the customer kinds here, every other kind through
    the employee import's ``parse_cell``. Raises ``CellError``."""
    if column.value == MONEY:
        return parse_money(cell)
    if column.value == PERCENT:
        return parse_percent(cell)
    if column.value == FLAG:
        return parse_flag(cell)
    return parse_cell(column, cell, choices, this_year)
