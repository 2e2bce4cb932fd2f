"""Fixtures for the flexwork tests: file builders over the shared small company
(tests/conftest.py: E001 社長, E002 営業部長, E003 営業1課長, E004, E005 開発部長, E006)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

import pytest
from openpyxl import Workbook

HEADER_JA = [
    "社員番号",
    "日付",
    "勤務区分",
    "遅刻",
    "在宅",
    "フレックス",
    "時間単位有給",
    "短時間勤務",
]
HEADER_EN = [
    "employee_number",
    "date",
    "status",
    "late",
    "remote",
    "flex",
    "hourly_leave_hours",
    "short_hours",
]


def csv_bytes(
    header: Sequence[str], rows: Sequence[Sequence[object]], encoding: str = "utf-8"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def make_csv() -> Callable[..., bytes]:
    return csv_bytes


@pytest.fixture
def make_xlsx() -> Callable[..., bytes]:
    return xlsx_bytes
