"""Each turnover figure against a hand count on the tiny company (see conftest.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kizuna.org.models import Organization
from kizuna.practices.hrkpi import metrics
from kizuna.practices.kpi import Ratio
from tests.practices.hrkpi.conftest import make_person

D = dt.date


def test_fiscal_periods_follow_the_april_start(db: None) -> None:
    fy = metrics.period(metrics.YEAR, 2026)
    assert (fy.start, fy.end, fy.months) == (D(2026, 4, 1), D(2027, 3, 31), 12)
    q1 = metrics.period(metrics.QUARTER, 2026, 1)
    assert (q1.start, q1.end, q1.months) == (D(2026, 4, 1), D(2026, 6, 30), 3)
    q4 = metrics.period(metrics.QUARTER, 2026, 4)
    assert (q4.start, q4.end) == (D(2027, 1, 1), D(2027, 3, 31))
    m10 = metrics.period(metrics.MONTH, 2026, 10)  # the 10th fiscal month is January
    assert (m10.start, m10.end, m10.months) == (D(2027, 1, 1), D(2027, 1, 31), 1)
    assert metrics.period_containing(metrics.QUARTER, D(2027, 2, 14)) == q4
    assert metrics.parse_period("2026-Q1") == q1 and metrics.parse_period("2026") == fy
    assert metrics.parse_period(m10.key) == m10
    with pytest.raises(ValueError):
        metrics.parse_period("2026-Q5")
    # a year that is still running, cut at today: 1 April – 15 May = 1 + 15/31 months
    cut = fy.until(D(2026, 5, 15))
    assert cut.cut and cut.end == D(2026, 5, 15)
    assert cut.months == pytest.approx(1 + 15 / 31)


def test_fiscal_year_start_comes_from_the_organisation(db: None) -> None:
    org = Organization.current()
    org.fiscal_year_start_month = 1
    org.save()
    fy = metrics.period(metrics.YEAR, 2026)
    assert (fy.start, fy.end) == (D(2026, 1, 1), D(2026, 12, 31))


def test_turnover_of_the_fiscal_year(tiny: dict[str, Any]) -> None:
    fy = metrics.period(metrics.YEAR, 2025)  # 2025-04-01 … 2026-03-31
    t = metrics.turnover(fy.start, fy.end)
    # employed on 2025-04-01: P1 P2 P3 P4 P5 P6 (leaves that day: still employed) P8 = 7;
    # P9 left the day before, P7 and P10 were hired later
    assert t.headcount == 7
    # leavers: P6 (4/1), P3 (4/30), P7 (5/31, hired 5/1), P4 (6/15), P8 (12/31) = 5
    assert t.leavers == 5
    assert (t.voluntary, t.involuntary, t.other) == (4, 1, 0)
    assert t.hired_and_left == 1  # P7
    assert t.ratio == Ratio(5, 7)
    assert t.rate == pytest.approx(500 / 7)  # 71.43%
    assert t.annualised == pytest.approx(500 / 7)  # a whole year: × 12 / 12
    assert t.retention == pytest.approx(100 - 500 / 7)  # 28.57%
    assert t.voluntary_ratio.rate == pytest.approx(400 / 7)


def test_turnover_of_a_month_and_annualised(tiny: dict[str, Any]) -> None:
    april = metrics.period(metrics.MONTH, 2025, 1)
    t = metrics.turnover(april.start, april.end)
    # 7 at the start (as above); leavers in April: P6 (4/1) and P3 (4/30) = 2
    assert (t.headcount, t.leavers) == (7, 2)
    assert t.rate == pytest.approx(200 / 7)  # 28.57%
    assert t.annualised == pytest.approx(200 / 7 * 12)  # 342.86% a year
    may = metrics.period(metrics.MONTH, 2025, 2)
    t = metrics.turnover(may.start, may.end)
    # employed on 5/1: P1 P2 P4 P5 P8 P10 and P7 (hired that day) = 7; leaver P7 = 1
    assert (t.headcount, t.leavers, t.hired_and_left) == (7, 1, 0)


def test_turnover_of_a_quarter_with_a_hire_and_leave(tiny: dict[str, Any]) -> None:
    q1 = metrics.period(metrics.QUARTER, 2025, 1)  # April – June 2025
    t = metrics.turnover(q1.start, q1.end)
    # 7 at the start; leavers P6, P3, P7 (hired 5/1 and left 5/31: counts), P4 = 4
    assert (t.headcount, t.leavers, t.hired_and_left) == (7, 4, 1)
    assert t.rate == pytest.approx(400 / 7)  # 57.14%
    assert t.annualised == pytest.approx(400 / 7 * 4)  # × 12 / 3 = 228.57%
    assert t.retention == pytest.approx(100 - 400 / 7)


def test_series_matches_single_periods(tiny: dict[str, Any]) -> None:
    fy = metrics.period(metrics.YEAR, 2025)
    months = metrics.previous_periods(metrics.MONTH, fy, 12)
    assert months[0].start == D(2025, 4, 1) and months[-1].end == D(2026, 3, 31)
    series = metrics.turnover_series(months)
    # leavers by month: Apr 2 (P6, P3), May 1 (P7), Jun 1 (P4), Dec (9th month) 1 (P8)
    assert [t.leavers for t in series] == [2, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    # headcount on each first day: Apr 7, May 7 (P10 and P7 in; P3 and P6 out),
    # Jun 6 (P7 out), Jul 5 (P4 out), … Jan 4 (P8 out)
    assert [t.headcount for t in series][:4] == [7, 7, 6, 5]
    assert series[9].headcount == 4


def test_department_breakdown_puts_a_mover_where_they_were(tiny: dict[str, Any]) -> None:
    d = tiny["departments"]
    fy = metrics.period(metrics.YEAR, 2025)
    rows = {
        (r.department.code, r.direct): r.turnover
        for r in metrics.department_breakdown(fy.start, fy.end, None)
    }
    # 営業部 subtree on 4/1: P2, P3, P4, P8 (then still in 営業1課) = 4;
    # leavers who left from it: P3, P4 = 2 (P8 left from 開発部)
    assert rows[("T-A", False)].ratio == Ratio(2, 4)
    # 開発部 on 4/1: P5, P6 = 2; leavers from it: P6, P7, P8 = 3 → 150%
    assert rows[("T-B", False)].ratio == Ratio(3, 2)
    # the root's own people: P1, nobody left
    assert rows[("T-ROOT", True)].ratio == Ratio(0, 1)
    # the rows add up to the company: 4 + 2 + 1 = 7 people, 2 + 3 + 0 = 5 leavers
    assert sum(t.headcount for t in rows.values()) == 7
    assert sum(t.leavers for t in rows.values()) == 5
    drill = {
        (r.department.code, r.direct): r.turnover
        for r in metrics.department_breakdown(fy.start, fy.end, d["A"])
    }
    # inside 営業部: 営業1課 P3, P4, P8 = 3 with P3, P4 gone; 営業部 itself P2, none gone
    assert drill == {
        ("T-A1", False): drill[("T-A1", False)],
        ("T-A", True): drill[("T-A", True)],
    }
    assert drill[("T-A1", False)].ratio == Ratio(2, 3)
    assert drill[("T-A", True)].ratio == Ratio(0, 1)


def test_scope_limits_turnover_and_leavers_to_the_subtree(tiny: dict[str, Any]) -> None:
    d = tiny["departments"]
    fy = metrics.period(metrics.YEAR, 2025)
    # 営業部's subtree only: 4 at the start, 2 leavers (as in the breakdown)
    assert metrics.turnover(fy.start, fy.end, [d["A"]]).ratio == Ratio(2, 4)
    names = [x.employee.employee_number for x in metrics.leavers(fy.start, fy.end, None, [d["A"]])]
    assert names == ["P4", "P3"]  # newest leave date first
    everyone = metrics.leavers(fy.start, fy.end, d["B"])
    assert [x.employee.employee_number for x in everyone] == ["P8", "P7", "P6"]
    p8 = everyone[0]
    assert p8.department is not None and p8.department.code == "T-B"
    assert everyone[1].hired_in_period and not p8.hired_in_period
    # a department outside the scope gives nobody
    assert metrics.leavers(fy.start, fy.end, d["B"], [d["A"]]) == []
    rows = metrics.department_breakdown(fy.start, fy.end, None, [d["A"]])
    assert [(r.department.code, r.turnover.ratio) for r in rows] == [("T-A", Ratio(2, 4))]


def test_hire_cohort_retention_at_one_and_three_years(db: None) -> None:
    from kizuna.org import services
    from kizuna.org.models import Department

    services.save_departments([{"code": "C", "name": "本社"}], D(2015, 4, 1))
    c = Department.objects.get(code="C")
    make_person("C1", c, D(2024, 4, 1), D(2025, 4, 1), "voluntary")  # left on the anniversary
    make_person("C2", c, D(2024, 10, 1), D(2025, 3, 31), "voluntary")  # left before it
    make_person("C3", c, D(2024, 7, 1))
    make_person("C4", c, D(2022, 4, 1), D(2025, 3, 31), "voluntary")  # 3 y: 2025-04-01
    make_person("C5", c, D(2023, 1, 10))
    make_person("C6", c, D(2023, 6, 1), D(2023, 12, 31), "voluntary")
    make_person("C7", c, D(2025, 4, 1))  # FY2025: not one year old on the as-of date
    as_of = D(2026, 6, 30)
    one = {x.fiscal_year: x.ratio for x in metrics.cohort_retention(1, as_of)}
    # FY2025 ends 2026-03-31, a year later is 2027-03-31 > as of: not shown.
    # FY2024 (C1 C2 C3): C1 employed on 2025-04-01 (its last day), C2 gone, C3 stays = 2/3
    # FY2023 (C6) = 0/1; FY2022 (C4, C5): both there a year on = 2/2
    assert one == {2022: Ratio(2, 2), 2023: Ratio(0, 1), 2024: Ratio(2, 3)}
    three = {x.fiscal_year: x.ratio for x in metrics.cohort_retention(3, as_of)}
    # 3 years: only cohorts ending by 2023-06-30: FY2022 (C4 left 2025-03-31, a day before
    # the 3rd anniversary 2025-04-01; C5 stays) = 1/2
    assert three == {2022: Ratio(1, 2)}
    assert metrics.cohort_retention(3, as_of)[0].rate == pytest.approx(50.0)


def test_no_headcount_gives_no_rate(db: None) -> None:
    t = metrics.turnover(D(2025, 4, 1), D(2025, 4, 30))
    assert t.ratio == Ratio(0, 0)
    assert t.rate is None and t.annualised is None and t.retention is None


def test_staff_from_rows_with_gaps_and_any_order() -> None:
    # pk 7: no history row (written around the services) → counted in its current dept 3;
    # pk 5: two rows given newest first; a row of an unknown pk 99 is ignored
    people = [
        (7, D(2020, 1, 1), None, "", 3),
        (5, D(2020, 1, 1), D(2025, 5, 31), "voluntary", 2),
    ]
    history = [
        (5, D(2024, 4, 1), None, 2),
        (99, D(2020, 1, 1), None, 2),
        (5, D(2020, 1, 1), D(2024, 4, 1), 1),
    ]
    staff = metrics.Staff(people, history)
    # on 2025-04-01 both are employed: pk 5 in dept 2 (moved 2024-04-01), pk 7 in dept 3
    t = staff.turnover(D(2025, 4, 1), D(2025, 6, 30))
    assert (t.headcount, t.leavers, t.voluntary) == (2, 1, 1)
    assert staff.turnover(D(2025, 4, 1), D(2025, 6, 30), frozenset({2})).ratio == Ratio(1, 1)
    assert staff.turnover(D(2025, 4, 1), D(2025, 6, 30), frozenset({3})).ratio == Ratio(0, 1)
    # a year earlier pk 5 was still in dept 1
    assert staff.turnover(D(2024, 3, 1), D(2024, 3, 31), frozenset({1})).headcount == 1
    assert staff.hire_dept.tolist() == [3, 1] and staff.leave_dept.tolist() == [3, 2]
