"""Headcount facts for the home dashboard, computed in the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from kizuna.core import access
from kizuna.core.fiscal import fiscal_year, fiscal_year_start
from kizuna.org.models import Department, Employee


def headcount_summary(
    employees: QuerySet[Employee], today: dt.date, fy_start: int
) -> dict[str, Any]:
    """Headcount today plus hires and leavers in the current fiscal year to date."""
    fy = fiscal_year(today, fy_start)
    start = fiscal_year_start(fy, fy_start)
    active = Q(hire_date__lte=today) & (Q(leave_date__isnull=True) | Q(leave_date__gte=today))
    return employees.aggregate(
        headcount=Count("pk", filter=active),
        hires=Count("pk", filter=Q(hire_date__gte=start, hire_date__lte=today)),
        leavers=Count("pk", filter=Q(leave_date__gte=start, leave_date__lt=today)),
    ) | {"fiscal_year": fy, "fiscal_year_start": start}


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def monthly_movements(
    employees: QuerySet[Employee], today: dt.date, months: int
) -> list[dict[str, Any]]:
    """Hires and leavers per calendar month over the last ``months`` months (this one
    included), with the headcount at each month's end."""
    first = _add_months(today.replace(day=1), -(months - 1))
    hires = dict(
        employees.filter(hire_date__gte=first, hire_date__lte=today)
        .annotate(m=TruncMonth("hire_date"))
        .values_list("m")
        .annotate(n=Count("pk"))
        .values_list("m", "n")
    )
    leavers = dict(
        employees.filter(leave_date__gte=first, leave_date__lte=today)
        .annotate(m=TruncMonth("leave_date"))
        .values_list("m")
        .annotate(n=Count("pk"))
        .values_list("m", "n")
    )
    month_ends = [
        min(_add_months(first, i + 1) - dt.timedelta(days=1), today) for i in range(months)
    ]
    headcounts = employees.aggregate(
        **{
            f"m{i}": Count(
                "pk",
                filter=Q(hire_date__lte=end)
                & (Q(leave_date__isnull=True) | Q(leave_date__gte=end)),
            )
            for i, end in enumerate(month_ends)
        }
    )
    rows = []
    for i in range(months):
        month = _add_months(first, i)
        rows.append(
            {
                "month": month,
                "hires": hires.get(month, 0),
                "leavers": leavers.get(month, 0),
                "headcount": headcounts[f"m{i}"],
            }
        )
    return rows


def headcount_by_top_department(user: Any, today: dt.date, language: str) -> list[dict[str, Any]]:
    """Current headcount (sub-departments included) per department one level below the
    user's top: below the company root for company-wide roles, below the departments a
    manager heads for managers (a head of a department without sub-departments sees it)."""
    if access.has_role(user, "admin", "hr", "executive"):
        roots = list(Department.objects.filter(parent__isnull=True))
    else:
        roots = list(Department.objects.filter(head=access.own_employee(user)))
    tops: list[Department] = []
    for root in roots:
        children = list(root.children.order_by("sort_order", "code"))
        tops.extend(children or [root])
    if not tops:
        return []
    active = Q(hire_date__lte=today) & (Q(leave_date__isnull=True) | Q(leave_date__gte=today))
    counts = Employee.objects.filter(active).aggregate(
        **{f"d{d.pk}": Count("pk", filter=Q(department__path__startswith=d.path)) for d in tops}
    )
    return [{"department": d.display_name(language), "headcount": counts[f"d{d.pk}"]} for d in tops]
