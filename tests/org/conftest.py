"""Fixtures for the import tests: a small org built through the services, file builders,
and a snapshot of every org table to prove a rejected import changed nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from openpyxl import Workbook

from kizuna.org import services
from kizuna.org.models import Department, DepartmentHistory, Employee, EmployeeHistory

START = dt.date(2020, 4, 1)

EMPLOYEE_HEADER_JA = [
    "社員番号",
    "姓",
    "名",
    "セイ",
    "メイ",
    "メールアドレス",
    "入社日",
    "退職日",
    "退職理由",
    "部署コード",
    "上長社員番号",
    "役職・等級",
    "雇用形態",
    "勤務地",
    "性別",
    "生年",
]


@pytest.fixture
def org(db: None) -> dict[str, Any]:
    """本社 HQ → 営業部 D100 → 営業一課 D110, and 開発部 D200 under HQ.

    People (hired 2020-04-01): 1000 山本 社長 (HQ), 1001 佐々木 (D100, reports to 1000),
    1002 中村 (D110, reports to 1001).
    """
    services.save_departments(
        [
            {"code": "HQ", "name": "本社", "name_en": "Head office"},
            {"code": "D100", "name": "営業部", "name_en": "Sales", "parent_code": "HQ"},
            {"code": "D110", "name": "営業一課", "parent_code": "D100"},
            {"code": "D200", "name": "開発部", "name_en": "Engineering", "parent_code": "HQ"},
        ],
        START,
    )
    depts = {d.code: d for d in Department.objects.all()}
    people: dict[str, Employee] = {}
    for number, family, given, dept, manager in [
        ("1000", "山本", "一郎", "HQ", None),
        ("1001", "佐々木", "花子", "D100", "1000"),
        ("1002", "中村", "健太", "D110", "1001"),
    ]:
        employee = Employee.objects.create(
            employee_number=number,
            family_name=family,
            given_name=given,
            email=f"e{number}@example.co.jp",
            hire_date=START,
            department=depts[dept],
            manager=people[manager] if manager else None,
            custom={"team": "A"},
        )
        services.record_employee_change(employee, START)
        people[number] = employee
    return {"departments": depts, "people": people}


def _rows_of(model: type[Any]) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in model.objects.order_by("pk").values()]


@pytest.fixture
def snapshot() -> Callable[[], dict[str, list[tuple[Any, ...]]]]:
    """Every row of every org table, to compare before/after a rejected import."""

    def take() -> dict[str, list[tuple[Any, ...]]]:
        return {
            model.__name__: _rows_of(model)
            for model in (Department, DepartmentHistory, Employee, EmployeeHistory)
        }

    return take


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def make_csv() -> Callable[..., bytes]:
    """make_csv(header, rows, encoding="utf-8") -> the bytes of a CSV file."""

    def make(
        header: Sequence[str], rows: Sequence[Sequence[object]], encoding: str = "utf-8"
    ) -> bytes:
        return csv_text(header, rows).encode(encoding)

    return make


@pytest.fixture
def make_xlsx() -> Callable[..., bytes]:
    """make_xlsx(header, rows) -> the bytes of a workbook with one sheet."""

    def make(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    return make


def employee_row(
    number: str,
    family: str,
    given: str,
    dept: str,
    *,
    manager: str = "",
    hire: str = "2024/04/01",
    email: str | None = None,
    leave: str = "",
    reason: str = "",
    level: str = "",
    kind: str = "正社員",
    location: str = "",
    gender: str = "",
    birth_year: str = "",
    kana: tuple[str, str] = ("", ""),
) -> list[str]:
    """A row in ``EMPLOYEE_HEADER_JA`` order."""
    return [
        number,
        family,
        given,
        kana[0],
        kana[1],
        email if email is not None else f"e{number}@example.co.jp",
        hire,
        leave,
        reason,
        dept,
        manager,
        level,
        kind,
        location,
        gender,
        birth_year,
    ]


@pytest.fixture
def existing_rows() -> list[list[str]]:
    """The three people of ``org`` exactly as they are (re-importing them is a no-op)."""
    return [
        employee_row("1000", "山本", "一郎", "HQ", hire="2020-04-01"),
        employee_row("1001", "佐々木", "花子", "D100", manager="1000", hire="2020-04-01"),
        employee_row("1002", "中村", "健太", "D110", manager="1001", hire="2020-04-01"),
    ]
