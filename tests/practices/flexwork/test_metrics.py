"""Absence, lateness and utilisation against hand-computed examples.

The company (tests/conftest.py, everyone hired 2020-04-01): E001 社長 (ROOT), E002 営業部長
(reports to E001), E003 営業1課長 (→E002), E004 (営業1課, →E003), E005 開発部長 (→E001),
E006 (開発部, →E005). Added here: E007 in 開発部 (→E005), who leaves on 2026-04-15.
Period: April 2026, 2026-04-01 … 2026-04-30 (both days included).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kizuna.org import services
from kizuna.org.models import Employee, EmploymentType
from kizuna.practices.flexwork import metrics
from kizuna.practices.flexwork.models import (
    AttendanceDay,
    Policy,
    PolicyKind,
    SideJobRequest,
    SideJobStatus,
)
from kizuna.practices.kpi import Ratio

START, END = dt.date(2026, 4, 1), dt.date(2026, 4, 30)
P, A, L, H = "present", "absent", "paid_leave", "holiday"


def day(person: Employee, date: str, status: str, **flags: Any) -> None:
    AttendanceDay.objects.create(
        employee=person, date=dt.date.fromisoformat(date), status=status, **flags
    )


@pytest.fixture
def april(company: dict[str, Any]) -> dict[str, Employee]:
    people: dict[str, Employee] = dict(company["people"])
    leaver = Employee.objects.create(
        employee_number="E007",
        family_name="渡辺",
        given_name="翔",
        hire_date=dt.date(2020, 4, 1),
        leave_date=dt.date(2026, 4, 15),
        department=company["departments"]["DEV"],
        manager=people["E005"],
    )
    services.record_employee_change(leaver, dt.date(2020, 4, 1))
    people["E007"] = leaver
    # E006 works part-time from April (history, so the change is dated)
    e006 = people["E006"]
    e006.employment_type = EmploymentType.PART_TIME
    e006.save()
    services.record_employee_change(e006, dt.date(2026, 4, 1))

    e004, e006 = people["E004"], people["E006"]
    day(e004, "2026-03-31", A)  # before the period: never counted
    day(e004, "2026-04-01", P, late=True, remote=True)
    day(e004, "2026-04-02", A)
    day(e004, "2026-04-03", L)  # paid leave: scheduled, not an absence
    day(e004, "2026-04-04", H)  # holiday: not scheduled
    day(e004, "2026-04-06", P, late=True)
    day(e006, "2026-04-01", P, remote=True, flex=True)
    day(e006, "2026-04-02", P, short_hours=True)
    day(e006, "2026-04-03", A)
    day(e006, "2026-04-04", H)
    day(leaver, "2026-04-01", P, flex=True, remote=True)
    day(leaver, "2026-04-02", P, late=True)
    return people


@pytest.mark.django_db
def test_absence_and_lateness_rates(april: dict[str, Employee]) -> None:
    # scheduled (not 休日) days in April: E004 4 (1, 2, 3, 6), E006 3 (1, 2, 3),
    # E007 2 (1, 2) = 9; absent: E004 on the 2nd, E006 on the 3rd = 2;
    # late: E004 on the 1st and 6th, E007 on the 2nd = 3
    assert metrics.absence_rate(START, END) == Ratio(2, 9)
    assert metrics.lateness_rate(START, END) == Ratio(3, 9)
    assert metrics.absence_rate(START, END).rate == pytest.approx(100 * 2 / 9)
    # E004 alone: 1 absence and 2 late arrivals over 4 scheduled days (the paid-leave
    # day counts, the holiday does not, the absence on 3-31 is outside the period)
    only = [april["E004"]]
    assert metrics.absence_rate(START, END, only) == Ratio(1, 4)
    assert metrics.lateness_rate(START, END, only) == Ratio(2, 4)
    # a queryset works as well: 営業 people (E002, E003, E004) -> E004's days only
    sales = Employee.objects.filter(department__code__in=["SALES", "SALES1"])
    assert metrics.absence_rate(START, END, sales) == Ratio(1, 4)
    # March holds one absent day of E004 and nothing else scheduled: 1 / 1
    assert metrics.absence_rate(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == Ratio(1, 1)
    # no rows: nobody counts, the rate is undefined rather than 0
    assert metrics.absence_rate(dt.date(2025, 1, 1), dt.date(2025, 1, 31)).rate is None


def make_policies(company: dict[str, Any]) -> dict[str, Policy]:
    remote = Policy.objects.create(kind=PolicyKind.REMOTE, name="在宅勤務", sort_order=1)
    flex = Policy.objects.create(kind=PolicyKind.FLEX_CORE, name="フレックス", sort_order=2)
    flex.departments.set([company["departments"]["DEV"]])
    short = Policy.objects.create(
        kind=PolicyKind.SHORT_HOURS,
        name="短時間勤務",
        employment_types=[EmploymentType.PART_TIME],
        sort_order=3,
    )
    hourly = Policy.objects.create(
        kind=PolicyKind.HOURLY_LEAVE, name="時間単位有給", min_tenure_months=73, sort_order=4
    )
    side = Policy.objects.create(kind=PolicyKind.SIDE_JOB, name="副業", sort_order=5)
    Policy.objects.create(kind=PolicyKind.REMOTE, name="旧制度", active=False)
    return {"remote": remote, "flex": flex, "short": short, "hourly": hourly, "side": side}


@pytest.mark.django_db
def test_utilisation_per_policy_with_managers_apart(
    company: dict[str, Any], april: dict[str, Employee]
) -> None:
    make_policies(company)
    people = april
    SideJobRequest.objects.create(
        employee=people["E002"],
        employer="NPO",
        work="講師",
        hours_per_week=4,
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 4, 10),
        status=SideJobStatus.APPROVED,
    )  # covers part of April: used
    SideJobRequest.objects.create(
        employee=people["E005"],
        employer="大学",
        work="講義",
        hours_per_week=2,
        starts_on=dt.date(2025, 4, 1),
        ends_on=dt.date(2026, 3, 31),
        status=SideJobStatus.APPROVED,
    )  # ended before April: not used
    SideJobRequest.objects.create(
        employee=people["E004"],
        employer="個人",
        work="翻訳",
        hours_per_week=5,
        starts_on=dt.date(2026, 4, 1),
    )  # pending: not used
    result = {u.policy.name: u for u in metrics.utilisation(START, END)}
    # the inactive policy is not reported
    assert list(result) == ["在宅勤務", "フレックス", "短時間勤務", "時間単位有給", "副業"]
    # Employed in April: E001–E007 = 7 (E007 left on the 15th and still counts).
    # Managers on 4-30 (a direct report employed that day): E001 (E002, E005),
    # E002 (E003), E003 (E004), E005 (E006; E007 has left) = 4; others E004, E006, E007.
    # 在宅勤務, open to all: used by E004, E006, E007 -> 3/7; managers 0/4; others 3/3
    remote = result["在宅勤務"]
    assert (remote.everyone, remote.managers, remote.others) == (
        Ratio(3, 7),
        Ratio(0, 4),
        Ratio(3, 3),
    )
    # フレックス, 開発部 only: E005, E006, E007 (judged on his last day, in 開発部) = 3;
    # used E006, E007 -> 2/3; managers E005 0/1; others 2/2
    flex = result["フレックス"]
    assert (flex.everyone, flex.managers, flex.others) == (Ratio(2, 3), Ratio(0, 1), Ratio(2, 2))
    # 短時間勤務, part-time only: E006 (part-time since 4-01) = 1, used on 4-02 -> 1/1
    assert result["短時間勤務"].everyone == Ratio(1, 1)
    # 時間単位有給 needs 73 months; on 4-30 everyone has 72 (2020-04 -> 2026-04): 0/0
    assert result["時間単位有給"].everyone == Ratio(0, 0)
    assert result["時間単位有給"].everyone.rate is None
    # 副業: E002's approved request overlaps April -> 1/7; he is a manager -> 1/4; 0/3
    side = result["副業"]
    assert (side.everyone, side.managers, side.others) == (Ratio(1, 7), Ratio(1, 4), Ratio(0, 3))


@pytest.mark.django_db
def test_utilisation_per_department_and_for_a_subset(
    company: dict[str, Any], april: dict[str, Employee]
) -> None:
    make_policies(company)
    depts = company["departments"]
    by_dept = metrics.utilisation_by_department(START, END, [depts["SALES"], depts["DEV"]])
    sales = {u.policy.name: u for u in by_dept[0].policies}
    dev = {u.policy.name: u for u in by_dept[1].policies}
    # 営業部 subtree: E002, E003 (managers), E004 (used remote) -> 1/3, 0/2, 1/1
    assert (sales["在宅勤務"].everyone, sales["在宅勤務"].managers, sales["在宅勤務"].others) == (
        Ratio(1, 3),
        Ratio(0, 2),
        Ratio(1, 1),
    )
    # 開発部: E005 (manager), E006, E007 (both used remote) -> 2/3, 0/1, 2/2
    assert dev["在宅勤務"].everyone == Ratio(2, 3)
    assert dev["在宅勤務"].others == Ratio(2, 2)
    # フレックス is 開発部 only: nobody in 営業 is eligible
    assert sales["フレックス"].everyone == Ratio(0, 0)
    # people= narrows the population: E004 and E006 -> remote 2/2, neither a manager
    subset = {
        u.policy.name: u for u in metrics.utilisation(START, END, [april["E004"], april["E006"]])
    }
    assert subset["在宅勤務"].everyone == Ratio(2, 2)
    assert subset["在宅勤務"].managers == Ratio(0, 0)


@pytest.mark.django_db
def test_someone_who_left_before_the_period_is_not_counted(
    company: dict[str, Any], april: dict[str, Employee]
) -> None:
    make_policies(company)
    # May: E007 left on 4-15, so 6 people are employed; nobody used remote in May
    may = {u.policy.name: u for u in metrics.utilisation(dt.date(2026, 5, 1), dt.date(2026, 5, 31))}
    assert may["在宅勤務"].everyone == Ratio(0, 6)
