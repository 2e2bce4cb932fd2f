"""1on1 coverage and days since the last meeting, against hand-computed examples."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from kizuna.org.models import Employee
from kizuna.org.services import record_employee_change
from kizuna.practices.oneonones import metrics, services
from kizuna.practices.oneonones.models import Meeting, MeetingStatus, Pair

AS_OF = dt.date(2026, 6, 30)  # window: 2026-06-01 … 2026-06-30 (30 days)
HELD, CANCELLED, SCHEDULED = MeetingStatus.HELD, MeetingStatus.CANCELLED, MeetingStatus.SCHEDULED

pytestmark = pytest.mark.django_db


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


@pytest.fixture
def june(pairs: dict[str, Pair], meet: Callable[..., Meeting]) -> dict[str, Pair]:
    """Five pairs, all started 2020-04-01 (everyone's hire date), so every window is the
    full 30 days.

    E003-E004 biweekly: held 06-05, 06-19           -> 2 >= max(1, 30//14 = 2) met
    E005-E006 weekly:   held 06-02, 06-09, 06-16,
                        06-23 cancelled              -> 3 <  max(1, 30//7 = 4)  not met
    E002-E003 biweekly: held 05-31 (outside), 06-20  -> 1 <  2                  not met
    E001-E002 custom 30 days: held 06-01 (first day) -> 1 >= max(1, 30//30 = 1) met
    E001-E005 biweekly: nothing held, 06-29 scheduled -> 0 < 2                  not met
    """
    services.set_cadence(pairs["E005-E006"], "weekly")
    services.set_cadence(pairs["E001-E002"], "custom", interval_days=30)
    for day in (d(6, 5), d(6, 19)):
        meet(pairs["E003-E004"], day)
    for day in (d(6, 2), d(6, 9), d(6, 16)):
        meet(pairs["E005-E006"], day)
    meet(pairs["E005-E006"], d(6, 23), CANCELLED)
    meet(pairs["E002-E003"], d(5, 31))
    meet(pairs["E002-E003"], d(6, 20))
    meet(pairs["E001-E002"], d(6, 1))
    meet(pairs["E001-E005"], d(6, 29), SCHEDULED)
    return pairs


def test_coverage_of_the_whole_company(june: dict[str, Pair]) -> None:
    # met: E003-E004, E001-E002 -> 2 of 5 pairs = 40%
    result = metrics.coverage(AS_OF)
    assert (result.numerator, result.denominator) == (2, 5)
    assert result.rate == pytest.approx(40.0)
    met = {
        f"{r.pair.manager.employee_number}-{r.pair.member.employee_number}": r
        for r in metrics.cadence_status(AS_OF)
    }
    assert (met["E005-E006"].held, met["E005-E006"].required) == (3, 4)
    assert (met["E002-E003"].held, met["E002-E003"].required) == (1, 2)


def test_coverage_of_some_people(june: dict[str, Pair], company: dict[str, Any]) -> None:
    # members in 営業部 and 営業1課: E002 (met), E003 (not met), E004 (met) -> 2 of 3
    sales = Employee.objects.filter(department__code__in=["SALES", "SALES1"])
    assert metrics.coverage(AS_OF, sales) == metrics.Ratio(2, 3)
    # 開発部 members: E005 (never met), E006 (3 of 4) -> 0 of 2 = 0%
    dev = Employee.objects.filter(department__code="DEV")
    assert metrics.coverage(AS_OF, dev).rate == 0.0


def test_one_day_later_the_window_moves(june: dict[str, Pair]) -> None:
    # as of 07-01 the window is 06-02 … 07-01: E001-E002's 06-01 meeting drops out
    # (0 < 1), E005-E006 still has 06-02, 06-09, 06-16 (3 < 4) -> only E003-E004: 1 of 5
    assert metrics.coverage(d(7, 1)) == metrics.Ratio(1, 5)


def test_cancelled_and_scheduled_meetings_do_not_count(
    pairs: dict[str, Pair], meet: Callable[..., Meeting]
) -> None:
    # E003-E004 biweekly needs 2: one held, one cancelled, one still "scheduled" -> 1 < 2
    meet(pairs["E003-E004"], d(6, 3))
    meet(pairs["E003-E004"], d(6, 17), CANCELLED)
    meet(pairs["E003-E004"], d(6, 24), SCHEDULED)
    status = {r.pair.pk: r for r in metrics.cadence_status(AS_OF)}
    assert (status[pairs["E003-E004"].pk].held, status[pairs["E003-E004"].pk].met) == (1, False)
    assert metrics.coverage(AS_OF) == metrics.Ratio(0, 5)


def test_pair_started_ten_days_ago(
    company: dict[str, Any], pairs: dict[str, Pair], meet: Callable[..., Meeting]
) -> None:
    # 中村 joins 開発部 under E005 on 06-21; the pair starts that day.
    # window 06-21 … 06-30 = 10 days; biweekly: max(1, 10//14 = 0) = 1 meeting needed
    newcomer = Employee.objects.create(
        employee_number="E007",
        family_name="中村",
        given_name="新",
        hire_date=d(6, 21),
        department=company["departments"]["DEV"],
        manager=company["people"]["E005"],
    )
    record_employee_change(newcomer, d(6, 21))
    assert services.sync_pairs(d(6, 21)).created == 1
    pair = Pair.objects.get(member=newcomer)
    (row,) = [r for r in metrics.cadence_status(AS_OF) if r.pair.pk == pair.pk]
    assert (row.window_start, row.window_days, row.required) == (d(6, 21), 10, 1)
    assert not row.met
    meet(pair, d(6, 25))
    # the five old pairs met nothing; the new one met once: 1 of 6
    assert metrics.coverage(AS_OF) == metrics.Ratio(1, 6)
    # weekly: max(1, 10//7 = 1) = 1, still met with one meeting
    services.set_cadence(pair, "weekly")
    assert metrics.coverage(AS_OF) == metrics.Ratio(1, 6)
    # on 06-20 the pair had not started: not counted (5 pairs)
    assert metrics.coverage(d(6, 20)).denominator == 5


def test_window_starts_at_the_hire_date_when_later(
    pairs: dict[str, Pair], company: dict[str, Any], meet: Callable[..., Meeting]
) -> None:
    # E004's pair started 2020-04-01 but pretend E004 was (re)hired 06-24:
    # window 06-24 … 06-30 = 7 days; weekly: max(1, 7//7) = 1
    services.set_cadence(pairs["E003-E004"], "weekly")
    Employee.objects.filter(employee_number="E004").update(hire_date=d(6, 24))
    meet(pairs["E003-E004"], d(6, 20))  # before the window: does not count
    (row,) = [r for r in metrics.cadence_status(AS_OF) if r.pair.pk == pairs["E003-E004"].pk]
    assert (row.window_days, row.held, row.required, row.met) == (7, 0, 1, False)
    meet(pairs["E003-E004"], d(6, 26))
    assert metrics.coverage(AS_OF).numerator == 1


def test_leavers_and_ended_pairs_are_not_counted(
    june: dict[str, Pair], company: dict[str, Any]
) -> None:
    # E006 left on 06-15: the (still active) pair E005-E006 is not counted -> 2 of 4.
    Employee.objects.filter(employee_number="E006").update(leave_date=d(6, 15))
    assert metrics.coverage(AS_OF) == metrics.Ratio(2, 4)
    # on the leave date itself E006 is still employed and counted: 5 pairs
    assert metrics.coverage(d(6, 15)).denominator == 5
    # E001-E002 ended on 06-30 (the first day without it): not counted on 06-30 -> 1 of 3
    Pair.objects.filter(pk=june["E001-E002"].pk).update(active=False, ended_on=AS_OF)
    assert metrics.coverage(AS_OF) == metrics.Ratio(1, 3)


def test_nobody_counted_gives_no_rate(db: None) -> None:
    assert metrics.coverage(AS_OF).rate is None


def test_days_since_last_meeting(june: dict[str, Pair], meet: Callable[..., Meeting]) -> None:
    # E003-E004 last held 06-19: 30 - 19 = 11 days; a later cancelled one is ignored
    meet(june["E003-E004"], d(6, 26), CANCELLED)
    assert metrics.days_since_last_meeting(june["E003-E004"], AS_OF) == 11
    # as of 06-10 the 06-19 meeting was in the future: last is 06-05 -> 5 days
    assert metrics.days_since_last_meeting(june["E003-E004"], d(6, 10)) == 5
    # E001-E005 never met
    assert metrics.days_since_last_meeting(june["E001-E005"], AS_OF) is None
    # held on the day itself -> 0
    assert metrics.days_since_last_meeting(june["E001-E002"], d(6, 1)) == 0
