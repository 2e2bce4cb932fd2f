"""From bytes to checked rows: read the file, recognise the header, parse every cell.

Everything that can be judged one cell at a time happens here, for both kinds of import;
checks that need other rows or the database (duplicates, unknown codes, cycles) live in
``employees`` and ``departments``. Every problem is collected, never raised, so the user
gets the whole list in one go instead of fixing a file one error at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from openpyxl.utils import get_column_letter

from kizuna.org.importing import columns as cols
from kizuna.org.importing.reading import Cell, FileRejected, read_table
from kizuna.org.importing.types import RowError
from kizuna.org.importing.values import CellError, parse_cell, text_of

PREVIEW_ROWS = 20


@dataclass
class ParsedRow:
    """One data row. ``values`` holds the parsed value of every recognised column whose
    cell is valid (an empty optional cell parses to "" or None: "clear this"); ``custom``
    maps attribute names to text ("" clears the attribute)."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)
    ok: bool = True


@dataclass
class ParsedFile:
    kind: str
    encoding: str = ""
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # field name -> header as written in the file, for the columns present
    headers: dict[str, str] = field(default_factory=dict)
    # header as written -> position, to list errors in the file's column order
    positions: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return len(self.rows)

    def present(self, name: str) -> bool:
        return name in self.headers

    def error(self, row: ParsedRow | None, name: str, code: str, **params: Any) -> None:
        """Record a problem with field ``name`` of ``row`` (None: a file-level problem)."""
        if row is not None:
            row.ok = False
        column = self.headers.get(name, name)
        self.errors.append(RowError(row.number if row else None, column, code, params))

    def sorted_errors(self) -> list[RowError]:
        def key(error: RowError) -> tuple[int, int]:
            return (error.row or 0, self.positions.get(error.column, 10_000))

        return sorted(self.errors, key=key)

    def preview(self) -> list[dict[str, str]]:
        fields = [name for name, _label in cols.preview_columns(self.kind)]
        return [
            {name: row.display.get(name, "") for name in fields} for row in self.rows[:PREVIEW_ROWS]
        ]


def parse_file(kind: str, content: bytes, filename: str) -> ParsedFile:
    """Read and parse ``content``; file-level problems leave ``rows`` empty."""
    parsed = ParsedFile(kind=kind)
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
    by_index: dict[int, cols.HeaderColumn] = {}
    for item in found:
        by_index[item.index] = item
        if item.column is not None:
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
    choices = {name: cols.choice_lookup(name) for name in cols.CHOICES}
    this_year = timezone.localdate().year
    header_width = len(table.header)
    for number, cells in table.rows:
        row = ParsedRow(number)
        parsed.rows.append(row)
        for index, cell in enumerate(cells):
            found_item = by_index.get(index)
            if found_item is None:
                if cell != "" and (index >= header_width or not table.header[index]):
                    # Data under no header: a shifted row or a stray note; either way the
                    # value would be lost silently.
                    parsed.errors.append(RowError(number, _letter(index), "unnamed_column", {}))
                    row.ok = False
                continue
            _parse_one(parsed, row, found_item, cell, choices, this_year)
        for item in found:
            if item.index >= len(cells):
                _parse_one(parsed, row, item, "", choices, this_year)
    return parsed


def _parse_one(
    parsed: ParsedFile,
    row: ParsedRow,
    item: cols.HeaderColumn,
    cell: Cell,
    choices: dict[str, dict[str, str]],
    this_year: int,
) -> None:
    if item.custom is not None:
        row.custom[item.custom] = text_of(cell).strip()
        if row.custom[item.custom]:
            row.display[cols.CUSTOM_FIELD] = "; ".join(
                f"{name}: {value}" for name, value in row.custom.items() if value
            )
        return
    column = item.column
    assert column is not None
    raw = text_of(cell).strip()
    if raw == "":
        if column.required:
            parsed.error(row, column.field, "required")
        else:
            row.values[column.field] = (
                None if column.value in (cols.DATE, cols.YEAR, cols.INTEGER) else ""
            )
        return
    try:
        value = parse_cell(column, cell, choices, this_year)
    except CellError as problem:
        parsed.error(row, column.field, problem.code, **problem.params)
        row.display[column.field] = raw
        return
    row.values[column.field] = value
    row.display[column.field] = _display(column, value)


def _letter(index: int) -> str:
    """The spreadsheet column name ("A", "Q", "AA") of a 0-based index."""
    return get_column_letter(index + 1) if index < 18_278 else str(index + 1)


def _display(column: cols.Column, value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if column.value == cols.CHOICE:
        return cols.choice_label(column.field, value)
    return str(value)
