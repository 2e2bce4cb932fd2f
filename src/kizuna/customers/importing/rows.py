"""From bytes to checked rows for customer files.

The file is read by the employee import's ``read_table`` (UTF-8, UTF-8 with BOM,
Shift_JIS/CP932 and .xlsx, sniffed from the bytes) and rows are collected in its
``ParsedFile``/``ParsedRow``, so error numbering, ordering and the file-level messages are
the same as for employee files. Every problem is collected, never raised.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from openpyxl.utils import get_column_letter

from kizuna.customers.importing import columns as cols
from kizuna.customers.importing.values import parse_value
from kizuna.org.importing.columns import CHOICE, DATE, INTEGER, Column, HeaderColumn
from kizuna.org.importing.reading import Cell, FileRejected, read_table
from kizuna.org.importing.rows import PREVIEW_ROWS, ParsedFile, ParsedRow
from kizuna.org.importing.types import RowError
from kizuna.org.importing.values import CellError, text_of

# Empty optional cells of these kinds mean "no value" (None); text kinds mean "" (clear).
_NULLABLE = frozenset({DATE, INTEGER, cols.MONEY, cols.PERCENT, cols.FLAG})


class CustomerFile(ParsedFile):
    """A parsed customer file; only the preview differs from an employee file."""

    def preview(self) -> list[dict[str, str]]:
        fields = [name for name, _label in cols.preview_columns(self.kind)]
        return [
            {name: row.display.get(name, "") for name in fields} for row in self.rows[:PREVIEW_ROWS]
        ]


def parse_file(kind: str, content: bytes, filename: str) -> CustomerFile:
    """Read and parse ``content``; file-level problems leave ``rows`` empty."""
    parsed = CustomerFile(kind=kind)
    try:
        table = read_table(content, filename, settings.KIZUNA_IMPORT_MAX_ROWS)
    except FileRejected as rejected:
        parsed.errors.append(rejected.error)
        return parsed
    parsed.encoding = table.encoding
    for index, text in enumerate(table.header):
        parsed.positions.setdefault(text, index)
    found, problems = cols.match_header(kind, table.header)
    for header, code, params in problems:
        parsed.errors.append(RowError(table.header_row, header, code, params))
    by_index: dict[int, HeaderColumn] = {}
    for item in found:
        by_index[item.index] = item
        assert item.column is not None
        parsed.headers[item.column.field] = item.header
    language = get_language() or settings.LANGUAGE_CODE
    for column in cols.columns_for(kind):
        if column.required and column.field not in parsed.headers:
            parsed.errors.append(
                RowError(
                    table.header_row,
                    column.header(language),
                    "missing_column",
                    {"ja": column.ja, "en": column.en},
                )
            )
    choices = {
        column.field: cols.choice_lookup(column.field)
        for column in cols.columns_for(kind)
        if column.value == CHOICE
    }
    this_year = timezone.localdate().year
    width = len(table.header)
    for number, cells in table.rows:
        row = ParsedRow(number)
        parsed.rows.append(row)
        for index, cell in enumerate(cells):
            here = by_index.get(index)
            if here is None:
                if cell != "" and (index >= width or not table.header[index]):
                    parsed.errors.append(RowError(number, _letter(index), "unnamed_column", {}))
                    row.ok = False
                continue
            assert here.column is not None
            _parse_one(parsed, row, here.column, cell, choices, this_year)
        for missing in found:
            if missing.index >= len(cells):
                assert missing.column is not None
                _parse_one(parsed, row, missing.column, "", choices, this_year)
    return parsed


def _parse_one(
    parsed: ParsedFile,
    row: ParsedRow,
    column: Column,
    cell: Cell,
    choices: dict[str, dict[str, str]],
    this_year: int,
) -> None:
    raw = text_of(cell).strip()
    if raw == "":
        if column.required:
            parsed.error(row, column.field, "required")
        else:
            row.values[column.field] = None if column.value in _NULLABLE else ""
        return
    try:
        value = parse_value(column, cell, choices, this_year)
    except CellError as problem:
        parsed.error(row, column.field, problem.code, **problem.params)
        row.display[column.field] = raw
        return
    row.values[column.field] = value
    row.display[column.field] = _display(column, value)


def _letter(index: int) -> str:
    return get_column_letter(index + 1) if index < 18_278 else str(index + 1)


def _display(column: Column, value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if column.value == CHOICE:
        return cols.choice_label(column.field, value)
    if isinstance(value, bool):
        return "✓" if value else ""
    if column.value == cols.MONEY:
        return f"¥{value:,}"
    return str(value)
