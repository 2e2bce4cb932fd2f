"""Eligibility rules per person on a date, and the fiscal period picker."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from kizuna.org import services
from kizuna.org.models import EmploymentType
from kizuna.practices.flexwork import eligibility, periods
from kizuna.practices.flexwork.models import Policy, PolicyKind


@pytest.mark.parametrize(
    ("hire", "on", "months"),
    [
        (dt.date(2024, 4, 1), dt.date(2024, 10, 1), 6),  # to the same day: 6 whole months
        (dt.date(2024, 4, 15), dt.date(2024, 10, 14), 5),  # a day short of 6
        (dt.date(2024, 4, 15), dt.date(2024, 10, 15), 6),
        (dt.date(2024, 4, 1), dt.date(2024, 4, 1), 0),
        (dt.date(2020, 4, 1), dt.date(2026, 4, 30), 72),  # 6 years
    ],
)
def test_tenure_months(hire: dt.date, on: dt.date, months: int) -> None:
    assert eligibility.tenure_months(hire, on) == months


@pytest.mark.django_db
def test_every_rule_must_pass_and_each_failure_is_explained(company: dict[str, Any]) -> None:
    people, depts = company["people"], company["departments"]
    policy = Policy.objects.create(
        kind=PolicyKind.REMOTE,
        name="在宅勤務",
        employment_types=[EmploymentType.FULL_TIME],
        job_levels=["主任"],
        min_tenure_months=80,
    )
    policy.departments.set([depts["SALES"]])  # 営業部 and 営業1課 below it
    rules = eligibility.rules_of(policy)
    on = dt.date(2026, 4, 1)
    e004 = people["E004"]  # 営業1課, full-time, no job level, 72 months on 2026-04-01
    with translation.override("en"):
        why = [
            str(r) for r in eligibility.reasons(rules, eligibility.people_on(on, [e004])[e004.pk])
        ]
    assert why == [
        "Not available at your job level.",
        "Available after 80 months of service (you have 72).",
    ]
    e004.job_level = "主任"
    e004.save()
    services.record_employee_change(e004, dt.date(2026, 1, 1))  # promoted in January
    policy.min_tenure_months = 72
    policy.save()
    rules = eligibility.rules_of(policy)
    assert eligibility.is_eligible(rules, eligibility.people_on(on, [e004])[e004.pk])
    # 伊藤 in 開発部 is outside the department rule
    e006 = people["E006"]
    e006.job_level = "主任"
    e006.save()
    services.record_employee_change(e006, dt.date(2026, 1, 1))
    with translation.override("en"):
        why = [
            str(r) for r in eligibility.reasons(rules, eligibility.people_on(on, [e006])[e006.pk])
        ]
    assert why == ["Not available in your department."]


@pytest.mark.django_db
def test_people_are_judged_with_the_attributes_they_had_that_day(company: dict[str, Any]) -> None:
    e004 = company["people"]["E004"]
    policy = Policy.objects.create(
        kind=PolicyKind.SHORT_HOURS, name="短時間勤務", employment_types=[EmploymentType.PART_TIME]
    )
    rules = eligibility.rules_of(policy)
    e004.employment_type = EmploymentType.PART_TIME
    e004.save()
    services.record_employee_change(e004, dt.date(2026, 6, 1))  # part-time from June
    may = eligibility.people_on(dt.date(2026, 5, 31), [e004])[e004.pk]
    june = eligibility.people_on(dt.date(2026, 6, 1), [e004])[e004.pk]
    assert (may.employment_type, june.employment_type) == ("full_time", "part_time")
    assert not eligibility.is_eligible(rules, may) and eligibility.is_eligible(rules, june)
    # a leaver is judged on the leave date
    e004.leave_date = dt.date(2026, 5, 15)
    e004.save()
    later = eligibility.people_on(dt.date(2026, 9, 30), [e004])[e004.pk]
    assert later.on == dt.date(2026, 5, 15) and later.employment_type == "full_time"


def test_fiscal_periods_with_an_april_start() -> None:
    q = periods.parse("q2026-4")
    assert q is not None and (q.start, q.end) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    y = periods.parse("y2025")
    assert y is not None and (y.start, y.end) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    m = periods.parse("m2026-02")
    assert m is not None and (m.start, m.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert periods.quarter(dt.date(2026, 3, 31)).key == "q2025-4"
    assert periods.parse("q2026-5") is None and periods.parse("m2026-13") is None
    # a January start: Q1 is January–March
    q1 = periods.parse("q2026-1", start_month=1)
    assert q1 is not None and (q1.start, q1.end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    with translation.override("en"):
        assert q.label == "FY2026 Q4" and y.label == "FY2025"
    offered = periods.choices(dt.date(2026, 5, 10))
    assert offered["quarter"][0].key == "q2026-1" and offered["quarter"][1].key == "q2025-4"
    assert [p.key for p in offered["year"]] == ["y2026", "y2025", "y2024"]
