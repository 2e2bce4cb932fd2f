"""Recognition KPIs for the HR dashboard (``../shared/METRICS.md`` §HR KPIs).

- ``reach``: "share of employees who gave / received recognition in the last 30 days".
- ``concentration``: per department, its share of all thanks received next to its share
  of headcount — recognition concentrated in a few teams shows as a received share well
  above the headcount share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from kizuna.org.models import Department, Employee
from kizuna.practices.kpi import Ratio
from kizuna.practices.recognition.models import Thanks, ThanksRecipient

WINDOW_DAYS = 30


@dataclass(frozen=True)
class Reach:
    gave: Ratio
    received: Ratio
    window_start: dt.date
    window_end: dt.date


def _employed_on(people: QuerySet[Employee], day: dt.date) -> QuerySet[Employee]:
    return people.filter(hire_date__lte=day).filter(
        Q(leave_date__isnull=True) | Q(leave_date__gte=day)
    )


def reach(as_of: dt.date, people: QuerySet[Employee] | None = None) -> Reach:
    """Recognition reach (METRICS.md: "share of employees who gave / received recognition
    in the last 30 days").

    Window: ``as_of − 29`` … ``as_of`` inclusive (30 calendar days, by the post's date in
    Tokyo). Denominator: employees in ``people`` (default everyone) employed on
    ``as_of``. Numerators: those of them who sent at least one thanks in the window
    (``gave``) or were a recipient of at least one (``received``)."""
    start = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    base = _employed_on(people if people is not None else Employee.objects.all(), as_of)
    ids = set(base.values_list("pk", flat=True))
    senders = set(
        Thanks.objects.filter(posted_on__gte=start, posted_on__lte=as_of, sender_id__in=ids)
        .values_list("sender_id", flat=True)
        .distinct()
    )
    receivers = set(
        ThanksRecipient.objects.filter(
            thanks__posted_on__gte=start, thanks__posted_on__lte=as_of, employee_id__in=ids
        )
        .values_list("employee_id", flat=True)
        .distinct()
    )
    return Reach(
        gave=Ratio(len(senders), len(ids)),
        received=Ratio(len(receivers), len(ids)),
        window_start=start,
        window_end=as_of,
    )


@dataclass(frozen=True)
class DepartmentShare:
    department: Department
    received: Ratio  # thanks received by the department's people / all thanks received
    headcount: Ratio  # the department's employees on ``end`` / all employees on ``end``

    @property
    def ratio(self) -> float | None:
        """Received share over headcount share (1.0 = recognised in proportion)."""
        r, h = self.received.rate, self.headcount.rate
        if r is None or not h:
            return None
        return r / h


def concentration(
    start: dt.date,
    end: dt.date,
    departments: QuerySet[Department] | None = None,
    people: QuerySet[Employee] | None = None,
) -> list[DepartmentShare]:
    """For each department in ``departments`` (default: the top-level units below the
    root) with its subtree: the share of thanks received (recipient rows of posts dated
    ``start`` … ``end``, counted by the recipient's department when the post was made)
    and the share of headcount (employees in ``people`` employed on ``end``, by their
    current department). Both shares are over the whole of ``people``."""
    if departments is None:
        departments = Department.objects.filter(depth=1)
        if not departments.exists():
            departments = Department.objects.filter(depth=0)
    base = _employed_on(people if people is not None else Employee.objects.all(), end)
    heads = list(base.values_list("pk", "department__path"))
    ids = [pk for pk, _path in heads]
    received = list(
        ThanksRecipient.objects.filter(
            thanks__posted_on__gte=start, thanks__posted_on__lte=end, employee_id__in=ids
        ).values_list("department__path", "employee__department__path")
    )
    total_received = len(received)
    out = []
    for dept in departments.order_by("path"):
        n_received = sum(1 for then, now in received if (then or now or "").startswith(dept.path))
        n_heads = sum(1 for _pk, path in heads if (path or "").startswith(dept.path))
        out.append(
            DepartmentShare(
                department=dept,
                received=Ratio(n_received, total_received),
                headcount=Ratio(n_heads, len(ids)),
            )
        )
    return out
