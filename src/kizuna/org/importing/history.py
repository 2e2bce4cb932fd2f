"""Bulk history recording for imports.

``services.record_employee_change`` costs two or three queries per employee, which turns
a 10,000-person initial load into tens of thousands of round trips. This module applies
exactly the same rules to a batch with one read and at most three writes, so the history
an import leaves behind is indistinguishable from one written person by person (the
tests compare the two).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from kizuna.org.models import Employee, EmployeeHistory
from kizuna.org.services import history_row

_VALUE_FIELDS = ("department", "manager", "job_level", "employment_type", "location", "custom")


def record_changes(changes: Sequence[tuple[Employee, dt.date]]) -> int:
    """For each (saved employee, effective date) do what ``record_employee_change`` does:

    - no open history row: open one from min(hire date, effective);
    - tracked values equal to the open row: nothing;
    - open row starting on or after ``effective``: rewrite it (a correction);
    - otherwise close the open row at ``effective`` and open a new one.

    Returns how many employees had something recorded.
    """
    if not changes:
        return 0
    current: dict[int, EmployeeHistory] = {}
    # Same row as ``.filter(...).first()`` there: the model's ordering is
    # (employee, valid_from), so the earliest open row wins if data is inconsistent.
    open_rows = EmployeeHistory.objects.filter(
        employee_id__in=[employee.pk for employee, _day in changes], valid_to__isnull=True
    ).order_by("employee", "valid_from")
    for history in open_rows:
        current.setdefault(history.employee_id, history)
    created: list[EmployeeHistory] = []
    closed: list[EmployeeHistory] = []
    rewritten: list[EmployeeHistory] = []
    for employee, effective in changes:
        row = current.get(employee.pk)
        if row is None:
            created.append(history_row(employee, min(employee.hire_date, effective)))
            continue
        values = employee.history_values()
        if all(getattr(row, name) == value for name, value in values.items()):
            continue
        if row.valid_from >= effective:
            for name, value in values.items():
                setattr(row, name, value)
            rewritten.append(row)
            continue
        row.valid_to = effective
        closed.append(row)
        created.append(history_row(employee, effective))
    if closed:
        EmployeeHistory.objects.bulk_update(closed, ["valid_to"], batch_size=500)
    if rewritten:
        EmployeeHistory.objects.bulk_update(rewritten, list(_VALUE_FIELDS), batch_size=500)
    if created:
        EmployeeHistory.objects.bulk_create(created, batch_size=500)
    return len(created) + len(rewritten)
