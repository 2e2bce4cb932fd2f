"""Who may use a policy on a given day.

A person is judged with the attributes they had that day (``EmployeeHistory``: employment
type, department, job level, manager), so a period's figures do not change when someone
moves later. A leaver is judged on their last day (the leave date), with tenure counted to
that day. Every rule left empty on the policy admits everyone; all rules that are set must
pass. ``reasons`` says, in words, which ones fail.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kizuna.org.models import Department, Employee, EmployeeHistory, EmploymentType
from kizuna.practices.flexwork.models import Policy


@dataclass(frozen=True)
class Person:
    """One employee as they stood on ``on`` (their leave date if they left before)."""

    id: int
    on: dt.date
    hire_date: dt.date
    leave_date: dt.date | None
    department_id: int
    department_path: str
    employment_type: str
    job_level: str
    manager_id: int | None

    def employed_between(self, start: dt.date, end: dt.date) -> bool:
        return self.hire_date <= end and (self.leave_date is None or self.leave_date >= start)


@dataclass(frozen=True)
class Rules:
    """A policy's rules, read once (department paths resolved) for many people."""

    policy: Policy
    employment_types: frozenset[str]
    department_paths: tuple[str, ...]
    department_names: tuple[str, ...]
    job_levels: frozenset[str]
    min_tenure_months: int


def rules_of(policy: Policy) -> Rules:
    departments = list(policy.departments.all())
    return Rules(
        policy=policy,
        employment_types=frozenset(policy.employment_types or ()),
        department_paths=tuple(d.path for d in departments),
        department_names=tuple(d.name for d in departments),
        job_levels=frozenset(level for level in (policy.job_levels or ()) if level),
        min_tenure_months=policy.min_tenure_months,
    )


def tenure_months(hire_date: dt.date, on: dt.date) -> int:
    """Whole months from the hire date to ``on`` (2024-04-01 → 2024-10-01 is 6)."""
    months = (on.year - hire_date.year) * 12 + (on.month - hire_date.month)
    if on.day < hire_date.day:
        months -= 1
    return max(months, 0)


def reasons(rules: Rules, person: Person) -> list[str | Promise]:
    """Why ``person`` may not use the policy (empty: eligible)."""
    found: list[str | Promise] = []
    if rules.employment_types and person.employment_type not in rules.employment_types:
        found.append(_("Not available for your employment type."))
    if rules.department_paths and not person.department_path.startswith(rules.department_paths):
        found.append(_("Not available in your department."))
    if rules.job_levels and person.job_level not in rules.job_levels:
        found.append(_("Not available at your job level."))
    if rules.min_tenure_months:
        months = tenure_months(person.hire_date, person.on)
        if months < rules.min_tenure_months:
            found.append(
                ngettext(
                    "Available after %(required)s month of service (you have %(months)s).",
                    "Available after %(required)s months of service (you have %(months)s).",
                    rules.min_tenure_months,
                )
                % {"required": rules.min_tenure_months, "months": months}
            )
    return found


def is_eligible(rules: Rules, person: Person) -> bool:
    return not reasons(rules, person)


def describe_rules(rules: Rules) -> list[str]:
    """The rules in words, for the policies page ("who can use this")."""
    lines: list[str] = []
    if rules.employment_types:
        labels = [str(EmploymentType(code).label) for code in sorted(rules.employment_types)]
        lines.append(str(_("Employment types: %(list)s")) % {"list": ", ".join(labels)})
    if rules.department_names:
        lines.append(
            str(_("Departments (including their teams): %(list)s"))
            % {"list": ", ".join(rules.department_names)}
        )
    if rules.job_levels:
        lines.append(str(_("Job levels: %(list)s")) % {"list": ", ".join(sorted(rules.job_levels))})
    if rules.min_tenure_months:
        lines.append(
            ngettext(
                "At least %(n)s month of service",
                "At least %(n)s months of service",
                rules.min_tenure_months,
            )
            % {"n": rules.min_tenure_months}
        )
    if not lines:
        lines.append(str(_("Everyone")))
    return lines


def people_on(
    on: dt.date, employees: QuerySet[Employee] | Iterable[Employee] | None = None
) -> dict[int, Person]:
    """Each employee (all, or those given) as they stood on ``on`` — or on their leave
    date when they left before ``on`` — keyed by id. People hired after ``on`` are left
    out."""
    if employees is None:
        employees = Employee.objects.all()
    rows = [e for e in employees if e.hire_date <= on]
    ids = [e.pk for e in rows]
    history: dict[int, list[EmployeeHistory]] = defaultdict(list)
    for item in EmployeeHistory.objects.filter(employee_id__in=ids).order_by("valid_from"):
        history[item.employee_id].append(item)
    paths = dict(Department.objects.values_list("id", "path"))
    people: dict[int, Person] = {}
    for employee in rows:
        day = min(on, employee.leave_date) if employee.leave_date else on
        state = _state_on(history.get(employee.pk, []), day)
        department_id = state.department_id if state else employee.department_id
        people[employee.pk] = Person(
            id=employee.pk,
            on=day,
            hire_date=employee.hire_date,
            leave_date=employee.leave_date,
            department_id=department_id,
            department_path=paths.get(department_id, ""),
            employment_type=state.employment_type if state else employee.employment_type,
            job_level=state.job_level if state else employee.job_level,
            manager_id=state.manager_id if state else employee.manager_id,
        )
    return people


def _state_on(items: list[EmployeeHistory], day: dt.date) -> EmployeeHistory | None:
    """The history row in force on ``day`` (else the latest one that started by then)."""
    chosen: EmployeeHistory | None = None
    for item in items:
        if item.valid_from <= day:
            chosen = item
            if item.valid_to is None or item.valid_to > day:
                return item
    return chosen


def managers_on(on: dt.date, people: dict[int, Person]) -> set[int]:
    """People with at least one direct report employed on ``on`` (every employee is
    consulted for reports, not only those in ``people``)."""
    everyone = people_on(on, Employee.objects.filter(hire_date__lte=on))
    return {
        p.manager_id
        for p in everyone.values()
        if p.manager_id is not None and (p.leave_date is None or p.leave_date >= on)
    }
