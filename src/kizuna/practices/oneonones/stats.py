"""Cadence statistics for HR, admins, executives and managers: coverage per department and
days since the last meeting per pair. Never agenda, notes or すっきり度, not even as a
department average: the ratings are named (the pair's manager reads them), so a rolling
average watched over time would give a single new rating away to everyone else who sees
it. They stay between the two participants."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kizuna.core import access, charts
from kizuna.org.models import Department, Employee
from kizuna.practices.kpi import Ratio
from kizuna.practices.oneonones import metrics, services


@dataclass
class DepartmentRow:
    department: Department
    coverage: Ratio
    label: str = ""


@dataclass
class PairRow:
    status: metrics.PairCadence
    last: dt.date | None
    days: int | None
    next_on: dt.date | None


@dataclass
class CadenceReport:
    scope: str
    total: Ratio
    departments: list[DepartmentRow] = field(default_factory=list)
    pairs: list[PairRow] = field(default_factory=list)
    chart: dict[str, Any] | None = None
    chart_rows: list[list[str]] = field(default_factory=list)
    chart_headers: list[str] = field(default_factory=list)


def people_in_scope(user: object) -> tuple[str, QuerySet[Employee]]:
    """Everyone for HR, admins and executives; a manager's subtree (by the member's
    department)."""
    if access.has_role(user, access.ADMIN, access.HR, access.EXECUTIVE):
        return "all", Employee.objects.all()
    return "subtree", Employee.objects.filter(department__in=access.managed_departments(user))


def cadence_report(user: object, today: dt.date, language: str = "ja") -> CadenceReport:
    scope, people = people_in_scope(user)
    status = metrics.cadence_status(today, people)
    pairs = [row.pair for row in status]
    last = metrics.last_meetings(pairs, today)
    upcoming = services.next_meetings(pairs)
    departments = {
        d.pk: d
        for d in Department.objects.filter(pk__in={row.pair.member.department_id for row in status})
    }
    by_department: dict[int, list[metrics.PairCadence]] = defaultdict(list)
    for row in status:
        by_department[row.pair.member.department_id].append(row)
    report = CadenceReport(
        scope=scope, total=Ratio(sum(1 for row in status if row.met), len(status))
    )
    for dept_id, rows in sorted(by_department.items(), key=lambda kv: departments[kv[0]].path):
        report.departments.append(
            DepartmentRow(
                department=departments[dept_id],
                coverage=Ratio(sum(1 for row in rows if row.met), len(rows)),
                label=departments[dept_id].display_name(language),
            )
        )
    for row in status:
        last_day = last.get(row.pair.pk)
        meeting = upcoming.get(row.pair.pk)
        report.pairs.append(
            PairRow(
                status=row,
                last=last_day,
                days=None if last_day is None else (today - last_day).days,
                next_on=meeting.scheduled_at.date() if meeting else None,
            )
        )
    report.pairs.sort(key=lambda r: (-(r.days if r.days is not None else 10**6), r.status.pair.pk))
    if report.departments:
        labels = [d.label for d in report.departments]
        values = [round(d.coverage.rate or 0.0, 1) for d in report.departments]
        report.chart = charts.bar_chart(
            labels,
            [{"label": _("1on1 coverage (%)"), "data": values, "backgroundColor": "#0072B2"}],
            horizontal=True,
            y_title="%",
        )
        report.chart_headers = [_("Department"), _("1on1 coverage")]
        report.chart_rows = [
            [
                label,
                _("%(rate)s%% (%(met)s of %(n)s pairs)")
                % {
                    "rate": f"{d.coverage.rate or 0:.1f}",
                    "met": d.coverage.numerator,
                    "n": d.coverage.denominator,
                },
            ]
            for label, d in zip(labels, report.departments, strict=True)
        ]
    return report
