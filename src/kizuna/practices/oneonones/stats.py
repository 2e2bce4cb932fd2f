"""Cadence statistics for HR, admins and managers: coverage per department and days since
the last meeting per pair. Never agenda, notes or an individual's rating: the average
すっきり度 of a department is shown only when at least ``MIN_RATING_GROUP`` members rated."""

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
from kizuna.practices.oneonones.models import Meeting, MeetingStatus

MIN_RATING_GROUP = 5
RATING_DAYS = 90


@dataclass
class DepartmentRow:
    department: Department
    coverage: Ratio
    rating_mean: float | None = None
    raters: int = 0
    label: str = ""

    @property
    def rating_shown(self) -> bool:
        return self.raters >= MIN_RATING_GROUP


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


def _ratings(pair_ids: list[int], since: dt.date) -> dict[int, list[tuple[int, int]]]:
    """(member id, rating) of rated meetings held since ``since``, per pair."""
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    rows = Meeting.objects.filter(
        pair__in=pair_ids,
        status=MeetingStatus.HELD,
        held_on__gte=since,
        rating__isnull=False,
    ).values_list("pair_id", "pair__member_id", "rating")
    for pair_id, member_id, rating in rows:
        if rating is not None:
            found[pair_id].append((member_id, rating))
    return found


def cadence_report(user: object, today: dt.date, language: str = "ja") -> CadenceReport:
    scope, people = people_in_scope(user)
    status = metrics.cadence_status(today, people)
    pairs = [row.pair for row in status]
    last = metrics.last_meetings(pairs, today)
    upcoming = services.next_meetings(pairs)
    ratings = _ratings([p.pk for p in pairs], today - dt.timedelta(days=RATING_DAYS - 1))
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
        dept_ratings = [r for row in rows for r in ratings.get(row.pair.pk, [])]
        raters = len({member for member, _rating in dept_ratings})
        mean = (
            sum(rating for _member, rating in dept_ratings) / len(dept_ratings)
            if raters >= MIN_RATING_GROUP
            else None
        )
        report.departments.append(
            DepartmentRow(
                department=departments[dept_id],
                coverage=Ratio(sum(1 for row in rows if row.met), len(rows)),
                rating_mean=mean,
                raters=raters,
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
