"""Transfer/promotion wish rate against a hand-computed example (METRICS.md §HR KPIs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kizuna.core.models import User
from kizuna.org.models import Employee
from kizuna.practices.evaluation import metrics, services
from kizuna.practices.evaluation.models import Cycle, Participant, Review
from kizuna.practices.kpi import Ratio

pytestmark = pytest.mark.django_db

APRIL = (dt.date(2026, 4, 1), dt.date(2026, 4, 30))


def _self(
    cycle: Cycle,
    employee: Employee,
    on: dt.date | None,
    transfer: bool = False,
    promotion: bool = False,
) -> None:
    Review.objects.create(
        participant=Participant.objects.get(cycle=cycle, employee=employee),
        kind="self",
        author=employee,
        wish_transfer=transfer,
        wish_promotion=promotion,
        submitted_on=on,
    )


@pytest.fixture
def example(annual: Cycle, company: dict[str, Any], role_users: dict[str, User]) -> None:
    p = company["people"]
    check_in = services.create_cycle(
        name="2026年度 Q1",
        kind="quarterly",
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2026, 6, 30),
        due_on=dt.date(2026, 7, 10),
        audience={"all": True},
        by=role_users["hr"],
    )
    _self(annual, p["E001"], dt.date(2026, 4, 5), transfer=True)
    _self(annual, p["E002"], dt.date(2026, 4, 6))
    _self(annual, p["E003"], dt.date(2026, 4, 7), promotion=True)
    _self(annual, p["E004"], dt.date(2026, 5, 10), transfer=True)  # after the period
    _self(annual, p["E005"], None, transfer=True)  # a draft: not submitted
    _self(annual, p["E006"], dt.date(2026, 4, 8))
    _self(check_in, p["E006"], dt.date(2026, 4, 20), transfer=True)  # second one, with a wish
    _self(check_in, p["E002"], dt.date(2026, 4, 25))


def test_wish_rate_by_hand(example: None) -> None:
    # submitted in April: E001, E002 (twice), E003, E006 (twice) -> 4 people
    # stated a wish in any of them: E001 (transfer), E003 (promotion), E006 (transfer) -> 3
    # E004 submitted in May, E005 only has a draft: neither counts. 3 / 4 = 75%
    assert metrics.wish_rate(*APRIL) == Ratio(3, 4)
    assert metrics.wish_rate(*APRIL).rate == pytest.approx(75.0)
    # transfer: E001, E006 -> 2 / 4; promotion: E003 -> 1 / 4
    assert metrics.transfer_wish_rate(*APRIL) == Ratio(2, 4)
    assert metrics.promotion_wish_rate(*APRIL) == Ratio(1, 4)


def test_wish_rate_of_a_group(example: None, company: dict[str, Any]) -> None:
    sales = Employee.objects.filter(
        department__path__startswith=company["departments"]["SALES"].path
    )
    # 営業部 subtree: E002 (no wish), E003 (promotion), E004 (outside the period) -> 1 / 2
    assert metrics.wish_rate(*APRIL, people=sales) == Ratio(1, 2)


def test_wish_rate_with_nobody(company: dict[str, Any]) -> None:
    ratio = metrics.wish_rate(*APRIL)
    assert ratio == Ratio(0, 0) and ratio.rate is None


def test_the_whole_year(example: None) -> None:
    # April 1 – March 31 next year adds E004 (wish) -> submitted 5, wished 4
    assert metrics.wish_rate(dt.date(2026, 4, 1), dt.date(2027, 3, 31)) == Ratio(4, 5)
