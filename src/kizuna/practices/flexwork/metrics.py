"""Absence, lateness and flexible-work utilisation (METRICS.md §HR KPIs).

Periods are inclusive: ``start`` and ``end`` are both days of the period (a fiscal month
2026-04-01 … 2026-04-30). ``people`` narrows every figure to some employees (a queryset of
``Employee``, or ids/employees); None means everyone.

- **Absence rate (欠勤率)** = absent days / scheduled working days, where scheduled
  working days are the attendance rows whose status is not 休日 (a paid-leave day is
  scheduled and not an absence).
- **Lateness rate (遅刻率)** = late arrivals / scheduled working days.
- **Utilisation** per policy = eligible people who used the policy at least once in the
  period / eligible people. *Eligible*: employed at some point in the period and passing
  the policy's rules on the period's end date (a leaver: on their last day). Managers
  (people with at least one direct report on ``end``) and everyone else are also shown
  separately — "managers as role models". Use of a policy: the 在宅 (remote), フレックス
  (both flex policies), 短時間勤務 or 時間単位有給 (hours > 0) cell on any day in the
  period; for side jobs, an approved request covering part of the period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from kizuna.org.models import Department, Employee
from kizuna.practices.flexwork import eligibility
from kizuna.practices.flexwork.eligibility import Person
from kizuna.practices.flexwork.models import (
    AttendanceDay,
    Policy,
    PolicyKind,
    SideJobRequest,
    SideJobStatus,
    WorkStatus,
)
from kizuna.practices.kpi import Ratio

People = QuerySet[Employee] | Iterable[Employee | int] | None


@dataclass(frozen=True)
class PolicyUtilisation:
    """One policy's utilisation: ``everyone`` eligible, and managers / others apart."""

    policy: Policy
    everyone: Ratio
    managers: Ratio
    others: Ratio


@dataclass(frozen=True)
class DepartmentUtilisation:
    """The utilisation of each policy among the people of a department's subtree."""

    department: Department
    policies: list[PolicyUtilisation]


def _days(start: dt.date, end: dt.date, people: People) -> QuerySet[AttendanceDay]:
    days = AttendanceDay.objects.filter(date__gte=start, date__lte=end)
    if people is None:
        return days
    if isinstance(people, QuerySet):
        return days.filter(employee__in=people)
    return days.filter(employee_id__in=_ids(people))


def _ids(people: Iterable[Employee | int]) -> list[int]:
    return [p if isinstance(p, int) else p.pk for p in people]


def _scheduled_counts(start: dt.date, end: dt.date, people: People) -> dict[str, int]:
    return (
        _days(start, end, people)
        .exclude(status=WorkStatus.HOLIDAY)
        .aggregate(
            scheduled=Count("id"),
            absent=Count("id", filter=Q(status=WorkStatus.ABSENT)),
            late=Count("id", filter=Q(late=True)),
        )
    )


def absence_rate(start: dt.date, end: dt.date, people: People = None) -> Ratio:
    """Absent days / scheduled working days in [start, end]."""
    counts = _scheduled_counts(start, end, people)
    return Ratio(counts["absent"], counts["scheduled"])


def lateness_rate(start: dt.date, end: dt.date, people: People = None) -> Ratio:
    """Late arrivals / scheduled working days in [start, end]."""
    counts = _scheduled_counts(start, end, people)
    return Ratio(counts["late"], counts["scheduled"])


# attendance flag -> the policy kinds its use counts for
_FLAG_KINDS: dict[str, tuple[str, ...]] = {
    "remote": (PolicyKind.REMOTE,),
    "flex": (PolicyKind.FLEX_CORE, PolicyKind.FLEX_NO_CORE),
    "short_hours": (PolicyKind.SHORT_HOURS,),
    "hourly_leave": (PolicyKind.HOURLY_LEAVE,),
}


def users_by_kind(start: dt.date, end: dt.date, ids: Iterable[int]) -> dict[str, set[int]]:
    """Policy kind -> ids of people (among ``ids``) who used it in [start, end]."""
    wanted = list(ids)
    used: dict[str, set[int]] = {kind: set() for kind in PolicyKind.values}
    rows = (
        AttendanceDay.objects.filter(date__gte=start, date__lte=end, employee_id__in=wanted)
        .values("employee_id")
        .annotate(
            remote=Count("id", filter=Q(remote=True)),
            flex=Count("id", filter=Q(flex=True)),
            short_hours=Count("id", filter=Q(short_hours=True)),
            hourly_leave=Count("id", filter=Q(hourly_leave_hours__gt=0)),
        )
    )
    for row in rows:
        counts: dict[str, Any] = dict(row)
        for flag, kinds in _FLAG_KINDS.items():
            if counts[flag]:
                for kind in kinds:
                    used[kind].add(counts["employee_id"])
    side_jobs = SideJobRequest.objects.filter(
        employee_id__in=wanted, status=SideJobStatus.APPROVED, starts_on__lte=end
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
    used[PolicyKind.SIDE_JOB].update(side_jobs.values_list("employee_id", flat=True))
    return used


@dataclass
class _Population:
    people: dict[int, Person]
    managers: set[int]
    used: dict[str, set[int]]
    rules: list[eligibility.Rules]


def _population(start: dt.date, end: dt.date, people: People) -> _Population:
    employees = Employee.objects.filter(hire_date__lte=end).filter(
        Q(leave_date__isnull=True) | Q(leave_date__gte=start)
    )
    if people is not None:
        if isinstance(people, QuerySet):
            employees = employees.filter(pk__in=people.values_list("pk", flat=True))
        else:
            employees = employees.filter(pk__in=_ids(people))
    persons = eligibility.people_on(end, employees)
    policies = Policy.objects.filter(active=True).prefetch_related("departments")
    return _Population(
        people=persons,
        managers=eligibility.managers_on(end, persons),
        used=users_by_kind(start, end, persons),
        rules=[eligibility.rules_of(policy) for policy in policies],
    )


def _measure(
    rules: eligibility.Rules, persons: Iterable[Person], pop: _Population
) -> PolicyUtilisation:
    eligible = {p.id for p in persons if eligibility.is_eligible(rules, p)}
    used = pop.used[rules.policy.kind] & eligible
    managers = eligible & pop.managers
    others = eligible - pop.managers
    return PolicyUtilisation(
        policy=rules.policy,
        everyone=Ratio(len(used), len(eligible)),
        managers=Ratio(len(used & managers), len(managers)),
        others=Ratio(len(used & others), len(others)),
    )


def utilisation(start: dt.date, end: dt.date, people: People = None) -> list[PolicyUtilisation]:
    """Each policy in effect, in display order, with its utilisation in [start, end]."""
    pop = _population(start, end, people)
    return [_measure(rules, pop.people.values(), pop) for rules in pop.rules]


def utilisation_by_department(
    start: dt.date,
    end: dt.date,
    departments: Iterable[Department],
    people: People = None,
) -> list[DepartmentUtilisation]:
    """``utilisation`` for each department's subtree (people placed by the department
    they were in on ``end``, or on their last day for leavers)."""
    pop = _population(start, end, people)
    result = []
    for department in departments:
        members = [p for p in pop.people.values() if p.department_path.startswith(department.path)]
        result.append(
            DepartmentUtilisation(
                department, [_measure(rules, members, pop) for rules in pop.rules]
            )
        )
    return result
