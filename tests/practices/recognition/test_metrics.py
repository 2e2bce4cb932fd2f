"""Recognition reach (METRICS.md: share of employees who gave / received recognition in
the last 30 days) and the department concentration helper, against hand-computed
examples."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from kizuna.org.models import Department, Employee
from kizuna.practices.kpi import Ratio
from kizuna.practices.recognition import metrics

from .conftest import jst

AS_OF = dt.date(2026, 5, 31)  # window: 2026-05-02 … 2026-05-31 (30 days inclusive)


@pytest.fixture
def story(people: dict[str, Employee], give: Callable[..., Any]) -> None:
    p = people
    give(p["E001"], p["E002"], 10, moment=jst(2026, 5, 1))  # the day before the window
    give(p["E002"], p["E003"], 10, moment=jst(2026, 5, 2))  # first day of the window
    give(p["E004"], [p["E005"], p["E003"]], 10, moment=jst(2026, 5, 10))
    give(p["E006"], p["E001"], 10, moment=jst(2026, 5, 12))  # E006 leaves on 05-15
    give(p["E005"], p["E004"], 10, moment=jst(2026, 6, 1))  # after as_of
    p["E006"].leave_date = dt.date(2026, 5, 15)
    p["E006"].save()


def test_reach_for_the_whole_company(story: None) -> None:
    reach = metrics.reach(AS_OF)
    # Denominator: E001–E005 employed on 05-31 (E006 left on 05-15) = 5.
    # Gave in 05-02 … 05-31: E002 (05-02), E004 (05-10) = 2 → 2 / 5 = 40 %.
    #   (E001 gave on 05-01, outside; E006 gave but is not in the denominator.)
    # Received: E003 (05-02, 05-10), E005 (05-10), E001 (05-12) = 3 → 3 / 5 = 60 %.
    #   (E002 received on 05-01, outside; E004 on 06-01, after as_of.)
    assert reach.gave == Ratio(2, 5)
    assert reach.received == Ratio(3, 5)
    assert (reach.gave.rate, reach.received.rate) == (40.0, 60.0)
    assert (reach.window_start, reach.window_end) == (dt.date(2026, 5, 2), AS_OF)


def test_reach_for_a_group(story: None, company: dict[str, Any]) -> None:
    sales = Department.objects.filter(path__startswith=company["departments"]["SALES"].path)
    reach = metrics.reach(AS_OF, Employee.objects.filter(department__in=sales))
    # 営業部 subtree: E002, E003, E004 = 3. Gave: E002, E004 = 2 → 66.7 %.
    # Received: E003 = 1 → 33.3 % (E002's thanks of 05-01 is outside the window).
    assert reach.gave == Ratio(2, 3)
    assert reach.received == Ratio(1, 3)


def test_reach_on_the_last_day_of_the_window_edge(story: None) -> None:
    # as_of 05-31 → window starts 05-02; as_of 06-01 → window 05-03 … 06-01:
    # gave E004 (05-10), E005 (06-01) = 2 of 5; received E003, E005, E001, E004 = 4 of 5
    reach = metrics.reach(dt.date(2026, 6, 1))
    assert reach.gave == Ratio(2, 5)
    assert reach.received == Ratio(4, 5)


def test_no_people_gives_no_rate(db: None) -> None:
    reach = metrics.reach(AS_OF, Employee.objects.none())
    assert reach.gave == Ratio(0, 0)
    assert reach.gave.rate is None


def test_concentration_by_division(story: None) -> None:
    shares = {s.department.code: s for s in metrics.concentration(dt.date(2026, 5, 2), AS_OF)}
    # Recipient rows 05-02 … 05-31: E003 (営業1課), E005 (開発部), E003 (営業1課),
    # E001 (root) = 4. Headcount on 05-31: E001–E005 = 5.
    # 営業部 subtree: received 2 / 4 = 50 %, headcount E002–E004 = 3 / 5 = 60 %,
    #   multiple 50 / 60 = 0.833.
    # 開発部: received 1 / 4 = 25 %, headcount E005 = 1 / 5 = 20 %, multiple 1.25.
    assert set(shares) == {"SALES", "DEV"}
    assert (shares["SALES"].received, shares["SALES"].headcount) == (Ratio(2, 4), Ratio(3, 5))
    assert shares["SALES"].ratio == pytest.approx(50 / 60)
    assert (shares["DEV"].received, shares["DEV"].headcount) == (Ratio(1, 4), Ratio(1, 5))
    assert shares["DEV"].ratio == pytest.approx(1.25)
