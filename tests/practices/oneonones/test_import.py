"""Import of past 1on1s: CSV (UTF-8, Shift_JIS) and Excel, all or nothing, per-row errors."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from kizuna.core.models import User
from kizuna.practices.oneonones import importing, metrics
from kizuna.practices.oneonones.models import Meeting, Pair

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 30)
GOOD = (
    "上長社員番号,社員番号,実施日\n"
    "E003,E004,2026-06-05\n"
    "E003,E004,2026/6/19\n"
    "E005,E006,2026年6月2日\n"
)


def test_a_good_file_creates_held_meetings_once(pairs: dict[str, Pair]) -> None:
    result = importing.import_meetings(GOOD.encode(), "past.csv", TODAY)
    assert result.ok, result.errors
    assert (result.total_rows, result.meetings_created, result.skipped) == (3, 3, 0)
    held = sorted(Meeting.objects.filter(status="held").values_list("held_on", flat=True))
    assert held == [dt.date(2026, 6, 2), dt.date(2026, 6, 5), dt.date(2026, 6, 19)]
    # E003-E004 biweekly: 2 held in 06-01…06-30 >= 2 -> met; E005-E006: 1 < 2; others 0
    # -> 1 of 5 pairs
    assert metrics.coverage(TODAY) == metrics.Ratio(1, 5)
    again = importing.import_meetings(GOOD.encode(), "past.csv", TODAY)
    assert (again.meetings_created, again.skipped) == (0, 3)
    assert Meeting.objects.count() == 3


def test_shift_jis_and_excel(pairs: dict[str, Pair]) -> None:
    sjis = "上長社員番号,社員番号,実施日\r\nE003,E004,2026/06/05\r\n".encode("cp932")
    assert importing.import_meetings(sjis, "past.csv", TODAY).meetings_created == 1
    book = Workbook()
    sheet = book.active
    sheet.append(["上長社員番号", "社員番号", "実施日"])
    sheet.append(["E005", "E006", dt.datetime(2026, 6, 9)])
    sheet.append(["E005", "E006", "2026-06-23"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = importing.import_meetings(buffer.getvalue(), "past.xlsx", TODAY)
    assert result.ok and result.meetings_created == 2
    assert set(
        Meeting.objects.filter(pair=pairs["E005-E006"]).values_list("held_on", flat=True)
    ) == {
        dt.date(2026, 6, 9),
        dt.date(2026, 6, 23),
    }


def test_any_bad_row_rejects_the_whole_file(pairs: dict[str, Pair]) -> None:
    content = (
        "上長社員番号,社員番号,実施日\n"
        "E003,E004,2026-06-05\n"  # fine, but not saved: another row is wrong
        "E003,E999,2026-06-05\n"  # row 3: unknown member
        "E003,E004,2026-07-15\n"  # row 4: after TODAY
        "E003,E004,2026-02-30\n"  # row 5: no such date
        "E004,E004,2026-06-01\n"  # row 6: same person
        "E003,E004,2019-01-01\n"  # row 7: before E004 was hired (2020-04-01)
        "E003,,2026-06-01\n"  # row 8: missing member
    )
    with translation.override("en"):
        result = importing.import_meetings(content.encode(), "bad.csv", TODAY)
    assert not result.ok and Meeting.objects.count() == 0
    assert result.errors == [
        "row 3, column 社員番号: Unknown employee number “E999”. Import the employee first "
        "or fix the number.",
        "row 4, column 実施日: “2026-07-15” is in the future. Only 1on1s that were held can "
        "be imported.",
        "row 5, column 実施日: “2026-02-30” is not a valid date. Write a real calendar date "
        "such as 2024-04-01, 2024/4/1 or 2024年4月1日.",
        "row 6, column 社員番号: The manager and the member are the same person (“E004”). "
        "Fix one of the numbers.",
        "row 7, column 実施日: 2019-01-01 is before 高橋 二郎 joined the company "
        "(2020-04-01). Check the date.",
        "row 8, column 社員番号: This value is required. Fill in the cell.",
    ]


def test_missing_column_and_unreadable_file(pairs: dict[str, Pair]) -> None:
    with translation.override("en"):
        missing = importing.import_meetings(
            "社員番号,実施日\nE004,2026-06-01\n".encode(), "x.csv", TODAY
        )
        empty = importing.import_meetings(b"", "x.csv", TODAY)
    assert missing.errors == [
        "column 上長社員番号: Required column is missing. Add a column with the header "
        "“上長社員番号” (or “manager employee number”)."
    ]
    assert empty.errors == ["The file is empty. Add a header row and at least one data row."]


def test_a_past_reporting_line_becomes_an_ended_pair(pairs: dict[str, Pair]) -> None:
    # E002 never managed E006; two meetings 05-10 and 05-24: pair 05-10 … ended 05-25
    content = "上長社員番号,社員番号,実施日\nE002,E006,2026-05-24\nE002,E006,2026-05-10\n"
    result = importing.import_meetings(content.encode(), "x.csv", TODAY)
    assert (result.pairs_created, result.meetings_created) == (1, 2)
    pair = Pair.objects.get(manager__employee_number="E002", member__employee_number="E006")
    assert (pair.active, pair.started_on, pair.ended_on) == (
        False,
        dt.date(2026, 5, 10),
        dt.date(2026, 5, 25),
    )
    # an existing pair started 2026-01-01 moves back to an earlier imported meeting
    Pair.objects.filter(pk=pairs["E003-E004"].pk).update(started_on=dt.date(2026, 1, 1))
    importing.import_meetings(
        "上長社員番号,社員番号,実施日\nE003,E004,2025-11-04\n".encode(), "x.csv", TODAY
    )
    pairs["E003-E004"].refresh_from_db()
    assert pairs["E003-E004"].started_on == dt.date(2025, 11, 4)


def test_import_page_for_hr_only(pairs: dict[str, Pair], role_users: dict[str, User]) -> None:
    hr = Client()
    hr.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    hr.force_login(role_users["hr"])
    upload = SimpleUploadedFile("past.csv", GOOD.encode(), content_type="text/csv")
    response = hr.post(reverse("oneonones:import"), {"file": upload})
    assert response.status_code == 302 and Meeting.objects.count() == 3
    bad = SimpleUploadedFile(
        "bad.csv", "上長社員番号,社員番号,実施日\nE003,E999,2026-06-05\n".encode()
    )
    with translation.override("en"):
        refused = hr.post(reverse("oneonones:import"), {"file": bad}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "Unknown employee number “E999”" in refused.content.decode()
    assert Meeting.objects.count() == 3
    template = hr.get(reverse("oneonones:import_template"))
    assert template.content.decode("utf-8-sig").startswith("上長社員番号,社員番号,実施日")
    manager = Client()
    manager.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    manager.force_login(role_users["manager"])
    upload = SimpleUploadedFile("past.csv", GOOD.encode(), content_type="text/csv")
    assert manager.post(reverse("oneonones:import"), {"file": upload}).status_code == 403


def test_import_before_any_sync_creates_todays_lines_from_their_start(
    company: dict[str, Any],
) -> None:
    # no pairs yet: the import first syncs the five reporting lines of the org chart, so
    # pairs without meetings in the file count too. E003 manages E004 since both were
    # hired (2020-04-01): the pair starts then, not at the first imported meeting
    result = importing.import_meetings(
        "上長社員番号,社員番号,実施日\nE003,E004,2026-06-05\n".encode(), "x.csv", TODAY
    )
    assert (result.pairs_created, result.meetings_created) == (0, 1)
    assert Pair.objects.filter(active=True).count() == 5
    pair = Pair.objects.get(manager__employee_number="E003", member__employee_number="E004")
    assert (pair.active, pair.started_on, pair.ended_on) == (True, dt.date(2020, 4, 1), None)
    # coverage as of TODAY: E003-E004 held 1 < 2 needed; nobody else met -> 0 of 5
    assert metrics.coverage(TODAY) == metrics.Ratio(0, 5)
