"""Evaluation KPIs (METRICS.md §HR KPIs), composed by the HR KPI dashboard."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from kizuna.org.models import Employee
from kizuna.practices.evaluation.models import Review, ReviewKind
from kizuna.practices.kpi import Ratio


def _self_assessments(
    start: dt.date, end: dt.date, people: QuerySet[Employee] | None
) -> QuerySet[Review]:
    reviews = Review.objects.filter(
        kind=ReviewKind.SELF, submitted_on__gte=start, submitted_on__lte=end
    )
    if people is not None:
        reviews = reviews.filter(participant__employee__in=people)
    return reviews


def _rate(start: dt.date, end: dt.date, people: QuerySet[Employee] | None, wish: Q) -> Ratio:
    reviews = _self_assessments(start, end, people)
    submitted = set(reviews.values_list("participant__employee_id", flat=True))
    wished = set(reviews.filter(wish).values_list("participant__employee_id", flat=True))
    return Ratio(len(wished), len(submitted))


def wish_rate(start: dt.date, end: dt.date, people: QuerySet[Employee] | None = None) -> Ratio:
    """Transfer/promotion wish rate (社内異動・昇進希望率), METRICS.md: "people who stated
    the wish in the period's self-assessment / people who submitted one".

    Self-assessments (annual reviews and quarterly check-ins) submitted in [start, end];
    each person counts once in the denominator, and once in the numerator when any of
    their self-assessments in the period states a wish to transfer or to be promoted.
    ``people`` narrows both to a group (a department, a manager's subtree)."""
    return _rate(start, end, people, Q(wish_transfer=True) | Q(wish_promotion=True))


def transfer_wish_rate(
    start: dt.date, end: dt.date, people: QuerySet[Employee] | None = None
) -> Ratio:
    """Like ``wish_rate``, counting only the wish to transfer internally (社内異動希望)."""
    return _rate(start, end, people, Q(wish_transfer=True))


def promotion_wish_rate(
    start: dt.date, end: dt.date, people: QuerySet[Employee] | None = None
) -> Ratio:
    """Like ``wish_rate``, counting only the wish to be promoted (昇進希望)."""
    return _rate(start, end, people, Q(wish_promotion=True))
