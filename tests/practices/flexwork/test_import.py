"""Attendance import: all or nothing, every row error reported, CP932/xlsx/English
headers, and re-importing the same employee and day replaces it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from kizuna.org.importing.types import ImportRejected
from kizuna.practices.flexwork import importing
from kizuna.practices.flexwork.models import AttendanceDay, WorkStatus
from tests.practices.flexwork.conftest import HEADER_EN, HEADER_JA

GOOD_ROWS: list[list[object]] = [
    ["E004", "2026-04-01", "出勤", "○", "1", "0", "0", ""],
    ["E004", "2026-04-02", "欠勤", "", "", "", "", ""],
    ["E004", "2026/4/3", "有給休暇", "", "", "", "", ""],
    ["E004", "2026年4月4日", "休日", "", "", "", "", ""],
    ["E006", "2026-04-01", "出勤", "0", "1", "1", "2", "0"],
]


def rows_by_key() -> dict[tuple[str, dt.date], AttendanceDay]:
    return {
        (d.employee.employee_number, d.date): d
        for d in AttendanceDay.objects.select_related("employee")
    }


@pytest.mark.django_db
def test_a_good_file_imports_every_row(
    company: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    counts = importing.apply(make_csv(HEADER_JA, GOOD_ROWS), "a.csv")
    assert counts == {"created": 5, "updated": 0, "unchanged": 0}
    saved = rows_by_key()
    first = saved[("E004", dt.date(2026, 4, 1))]
    assert (first.status, first.late, first.remote, first.flex) == ("present", True, True, False)
    assert saved[("E004", dt.date(2026, 4, 2))].status == WorkStatus.ABSENT
    assert saved[("E004", dt.date(2026, 4, 3))].status == WorkStatus.PAID_LEAVE
    assert saved[("E004", dt.date(2026, 4, 4))].status == WorkStatus.HOLIDAY
    dev = saved[("E006", dt.date(2026, 4, 1))]
    assert (dev.remote, dev.flex, dev.hourly_leave_hours, dev.short_hours) == (True, True, 2, False)


@pytest.mark.django_db
def test_reimporting_replaces_the_day_and_is_idempotent(
    company: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    content = make_csv(HEADER_JA, GOOD_ROWS)
    importing.apply(content, "a.csv")
    # the same file again: nothing changes
    assert importing.apply(content, "a.csv") == {"created": 0, "updated": 0, "unchanged": 5}
    # one day corrected (欠勤 -> 有給休暇) and one new day: 1 updated, 1 created, 4 same
    corrected = [row[:] for row in GOOD_ROWS]
    corrected[1][2] = "有給休暇"
    corrected.append(["E004", "2026-04-06", "出勤", "", "", "", "", ""])
    counts = importing.apply(make_csv(HEADER_JA, corrected), "b.csv")
    assert counts == {"created": 1, "updated": 1, "unchanged": 4}
    assert AttendanceDay.objects.count() == 6
    assert rows_by_key()[("E004", dt.date(2026, 4, 2))].status == WorkStatus.PAID_LEAVE


@pytest.mark.django_db
def test_one_bad_row_rejects_the_file_and_saves_nothing(
    company: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    rows = [*GOOD_ROWS, ["E999", "2026-04-01", "出勤", "", "", "", "", ""]]
    with pytest.raises(ImportRejected) as rejected:
        importing.apply(make_csv(HEADER_JA, rows), "bad.csv")
    assert [(e.row, e.column, e.code) for e in rejected.value.errors] == [
        (7, "社員番号", "unknown_employee")
    ]
    assert AttendanceDay.objects.count() == 0


@pytest.mark.django_db
def test_every_kind_of_row_error_is_reported(
    company: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    people = company["people"]
    people["E006"].leave_date = dt.date(2026, 3, 31)
    people["E006"].save()
    rows = [
        ["E004", "2026-04-01", "出勤", "", "", "", "", ""],  # row 2: fine
        ["E004", "2026-02-30", "出勤", "", "", "", "", ""],  # 3: no such date
        ["E004", "2026-04-01", "出勤", "", "", "", "", ""],  # 4: same day as row 2
        ["E004", "2019-04-01", "出勤", "", "", "", "", ""],  # 5: before the hire date
        ["E006", "2026-04-01", "出勤", "", "", "", "", ""],  # 6: after the leave date
        ["E004", "2026-04-07", "出張", "", "", "", "", ""],  # 7: unknown status
        ["E004", "2026-04-08", "出勤", "x", "", "", "9", ""],  # 8: bad mark, 9 hours
        ["E004", "2026-04-09", "欠勤", "1", "", "", "", ""],  # 9: late on an absence
        ["", "2026-04-10", "出勤", "", "", "", "", ""],  # 10: no employee number
    ]
    result = importing.validate(make_csv(HEADER_JA, rows), "bad.csv")
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (3, "日付", "invalid_date"),
        (4, "日付", "duplicate_day"),
        (5, "日付", "before_hire"),
        (6, "日付", "after_leave"),
        (7, "勤務区分", "invalid_choice"),
        (8, "遅刻", "invalid_mark"),
        (8, "時間単位有給", "invalid_hours"),
        (9, "遅刻", "not_worked"),
        (10, "社員番号", "required"),
    ]
    with translation.override("en"):
        text = {e.row: importing.message(e) for e in result.errors}
    assert text[4] == (
        "Employee “E004” already has a row for 2026-04-01 (row 2). Keep one row per "
        "employee per day."
    )
    assert text[6] == (
        "2026-04-01 is after employee “E006” left (2026-03-31). Check the date or the "
        "employee number."
    )
    assert text[7] == (
        "“出張” is not an accepted value. Use one of: present, absent, paid_leave, "
        "special_leave, holiday."
    )
    assert text[9].startswith("This cannot be marked on a day with the work status “Absent”")
    with pytest.raises(ImportRejected):
        importing.apply(make_csv(HEADER_JA, rows), "bad.csv")
    assert AttendanceDay.objects.count() == 0


@pytest.mark.django_db
def test_a_shift_jis_file_with_japanese_values(
    company: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    content = make_csv(HEADER_JA, GOOD_ROWS, "cp932")
    result = importing.validate(content, "勤怠.csv")
    assert result.encoding == "cp932" and result.ok
    importing.apply(content, "勤怠.csv")
    assert AttendanceDay.objects.count() == 5
    assert rows_by_key()[("E004", dt.date(2026, 4, 3))].status == WorkStatus.PAID_LEAVE


@pytest.mark.django_db
def test_an_excel_file_with_real_dates_and_english_headers(
    company: dict[str, Any], make_xlsx: Callable[..., bytes]
) -> None:
    rows = [
        ["E004", dt.datetime(2026, 4, 1), "present", 1, 0, 0, 0, 0],
        ["E004", dt.datetime(2026, 4, 2), "Paid leave", None, None, None, None, None],
        ["E006", dt.datetime(2026, 4, 1), "holiday", None, None, None, None, None],
    ]
    assert importing.apply(make_xlsx(HEADER_EN, rows), "attendance.xlsx")["created"] == 3
    saved = rows_by_key()
    assert saved[("E004", dt.date(2026, 4, 1))].late is True
    assert saved[("E004", dt.date(2026, 4, 2))].status == WorkStatus.PAID_LEAVE


@pytest.mark.django_db
def test_missing_and_unknown_columns_are_file_errors(
    company: dict[str, Any], make_csv: Callable[..., bytes]
) -> None:
    result = importing.validate(
        make_csv(["社員番号", "勤務区分", "在宅勤務x"], [["E004", "出勤", "1"]]), "x.csv"
    )
    codes = sorted((e.column, e.code) for e in result.errors)
    assert ("日付", "missing_column") in codes
    assert ("在宅勤務x", "unknown_column_suggest") in codes
    assert AttendanceDay.objects.count() == 0


@pytest.mark.django_db
def test_an_empty_or_undecodable_file_is_one_clear_error(company: dict[str, Any]) -> None:
    assert [e.code for e in importing.validate(b"", "x.csv").errors] == ["empty_file"]
    euc = "社員番号,日付,勤務区分\nE004,2026-04-01,出勤\n".encode("euc_jp")
    codes = [e.code for e in importing.validate(euc, "x.csv").errors]
    assert codes and codes[0].startswith("encoding")
