"""Points export for payroll: points RECEIVED per employee per month (Tokyo month of the
post), UTF-8 CSV with BOM and .xlsx, range of months, audit-logged, HR/admin only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from kizuna.core.models import AuditLog, User
from kizuna.org.models import Employee
from kizuna.practices.recognition import services

from .conftest import jst

HEADER = [
    "Employee number",
    "Name",
    "Department",
    "Target month",
    "Points received",
    "Number of thanks",
]


@pytest.fixture
def posts(people: dict[str, Employee], give: Callable[..., Any]) -> None:
    # 23:30 on 30 April in Tokyo (14:30 UTC): April
    give(people["E004"], people["E005"], 50, moment=jst(2026, 4, 30, 23, 30))
    # 00:10 on 1 May in Tokyo (still 30 April in UTC): May, 30 to each of two people
    give(people["E004"], [people["E005"], people["E006"]], 30, moment=jst(2026, 5, 1, 0, 10))
    give(people["E003"], people["E005"], 100, moment=jst(2026, 5, 20))
    # June: outside an April–May export
    give(people["E001"], people["E006"], 20, moment=jst(2026, 6, 1, 9))


# Hand-computed for April–May 2026:
#   2026-04  E005: 50 (one thanks)
#   2026-05  E005: 30 + 100 = 130 (two thanks); E006: 30 (one thanks)
EXPECTED = [
    ["E005", "田中 美咲", "開発部", "2026-04", 50, 1],
    ["E005", "田中 美咲", "開発部", "2026-05", 130, 2],
    ["E006", "伊藤 健", "開発部", "2026-05", 30, 1],
]


def test_rows_match_hand_computed_totals(posts: None) -> None:
    rows = services.points_received(dt.date(2026, 4, 1), dt.date(2026, 5, 31))
    assert [list(vars(r).values()) for r in rows] == EXPECTED


def test_csv_has_a_bom_and_iso_months(posts: None) -> None:
    with translation.override("en"):
        content = services.points_csv(
            services.points_received(dt.date(2026, 4, 1), dt.date(2026, 5, 1))
        )
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert rows[1:] == [[str(c) for c in row] for row in EXPECTED]


def test_download_as_hr_is_audited(
    posts: None, role_users: dict[str, User], client: Client
) -> None:
    client.force_login(role_users["hr"])
    url = reverse("recognition:export")
    response = client.get(
        url,
        {"first_month": "2026-04", "last_month": "2026-05", "format": "xlsx"},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="recognition-points-2026-04-2026-05.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1:] == EXPECTED
    entry = AuditLog.objects.get(action="recognition.points.export")
    assert entry.actor == role_users["hr"]
    assert entry.detail == {
        "first_month": "2026-04-01",
        "last_month": "2026-05-31",
        "format": "xlsx",
        "rows": 3,
    }


def test_june_alone_and_a_reversed_range(
    posts: None, role_users: dict[str, User], client: Client
) -> None:
    client.force_login(role_users["admin"])
    url = reverse("recognition:export")
    june = client.get(url, {"first_month": "2026-06", "last_month": "2026-06", "format": "csv"})
    rows = list(csv.reader(io.StringIO(june.content.decode("utf-8-sig"))))
    assert rows[1:] == [["E006", "伊藤 健", "開発部", "2026-06", "20", "1"]]
    with translation.override("en"):
        bad = client.get(
            url,
            {"first_month": "2026-06", "last_month": "2026-04", "format": "csv"},
        )
    assert bad.status_code == 200
    assert "The last month must not be before the first." in bad.content.decode()
    assert AuditLog.objects.filter(action="recognition.points.export").count() == 1


def test_others_cannot_export(posts: None, role_users: dict[str, User], client: Client) -> None:
    for role in ("manager", "employee", "executive", "csm"):
        client.force_login(role_users[role])
        response = client.get(
            reverse("recognition:export"),
            {"first_month": "2026-04", "last_month": "2026-05", "format": "csv"},
        )
        assert response.status_code == 403
    assert not AuditLog.objects.filter(action="recognition.points.export").exists()
