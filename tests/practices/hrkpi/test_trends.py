"""The practices' monthly trend on the dashboard: each point is the KPI function of its
month (absence and lateness over the month; 1on1 coverage on the month's last day)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from kizuna.practices.flexwork.models import AttendanceDay, WorkStatus
from kizuna.practices.hrkpi import metrics, trends
from kizuna.practices.oneonones import services as oneonones
from kizuna.practices.oneonones.models import Meeting, MeetingStatus, Pair

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def test_each_month_is_its_own_kpi(company: dict[str, Any]) -> None:
    people = company["people"]
    rows = [
        # April: E004 4 scheduled days (1 absent, 1 late), 1 day off → 1/4 absent, 1/4 late
        ("E004", dt.date(2026, 4, 1), WorkStatus.PRESENT, False),
        ("E004", dt.date(2026, 4, 2), WorkStatus.ABSENT, False),
        ("E004", dt.date(2026, 4, 3), WorkStatus.PRESENT, True),
        ("E004", dt.date(2026, 4, 4), WorkStatus.HOLIDAY, False),
        ("E004", dt.date(2026, 4, 6), WorkStatus.PAID_LEAVE, False),
        # May: E004 and E006 two days each, nobody absent or late → 0/4, 0/4
        ("E004", dt.date(2026, 5, 1), WorkStatus.PRESENT, False),
        ("E004", dt.date(2026, 5, 7), WorkStatus.PRESENT, False),
        ("E006", dt.date(2026, 5, 1), WorkStatus.PRESENT, False),
        ("E006", dt.date(2026, 5, 7), WorkStatus.PRESENT, False),
    ]
    AttendanceDay.objects.bulk_create(
        AttendanceDay(employee=people[n], date=d, status=s, late=late) for n, d, s, late in rows
    )
    oneonones.sync_pairs(dt.date(2026, 1, 1))
    pair = Pair.objects.get(member=people["E004"])
    for day in (dt.date(2026, 5, 10), dt.date(2026, 5, 24)):
        Meeting.objects.create(
            pair=pair,
            scheduled_at=dt.datetime(day.year, day.month, day.day, 10, tzinfo=dt.UTC),
            status=MeetingStatus.HELD,
            held_on=day,
        )
    june = metrics.period_containing(metrics.MONTH, TODAY, 4)
    months = metrics.previous_periods(metrics.MONTH, june, 3, 4)  # April, May, June
    with translation.override("en"):
        trend = trends.practice_trends(months, TODAY, None)
        april, may, june_label = (p.until(TODAY).label() for p in months)
    assert trend is not None
    headers = trend["headers"]
    table = {row[0]: dict(zip(headers, row, strict=True)) for row in trend["rows"]}
    assert table[april]["Absence rate (%)"] == "25.0%"
    assert table[april]["Lateness rate (%)"] == "25.0%"
    assert table[may]["Absence rate (%)"] == "0.0%"
    # five pairs in the company; on 31 May only E003–E004 held ⌊30 / 14⌋ = 2 in the 30
    # days (10 and 24 May) → 1 of 5 = 20%; on 15 June (the month so far) only 24 May is in
    # the window → 0 of 5
    assert table[may]["1on1 coverage (%)"] == "20.0%"
    assert table[june_label]["1on1 coverage (%)"] == "0.0%"
    # a month without attendance rows has no rate at all, not 0; before the first 1on1
    # was held (April) coverage is "not in use yet", not 0%
    assert table[june_label]["Absence rate (%)"] == "—"
    assert table[april]["1on1 coverage (%)"] == "—"
