"""Every change to people and departments goes through these functions, so the current
state and its history never disagree (one door per change, whoever calls it: UI, CLI,
imports, the demo)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from kizuna.org.models import Department, DepartmentHistory, Employee, EmployeeHistory


def rebuild_paths() -> None:
    """Recompute the materialised path and depth of every department.

    Departments number in the hundreds, so one pass in memory is simpler and safer than
    patching descendants one move at a time.
    """
    departments = list(Department.objects.only("id", "parent_id", "path", "depth"))
    by_id = {d.id: d for d in departments}
    changed: list[Department] = []
    for dept in departments:
        chain: list[int] = []
        node: Department | None = dept
        seen: set[int] = set()
        while node is not None:
            if node.id in seen:
                raise ValueError(f"department cycle at {node.id}")
            seen.add(node.id)
            chain.append(node.id)
            node = by_id.get(node.parent_id) if node.parent_id else None
        path = "/" + "/".join(str(i) for i in reversed(chain)) + "/"
        depth = len(chain) - 1
        if dept.path != path or dept.depth != depth:
            dept.path, dept.depth = path, depth
            changed.append(dept)
    Department.objects.bulk_update(changed, ["path", "depth"], batch_size=500)


def subtree(department: Department) -> QuerySet[Department]:
    """The department and every department below it, at any depth."""
    return Department.objects.filter(path__startswith=department.path)


def subtree_of_many(departments: Iterable[Department]) -> QuerySet[Department]:
    condition = Q(pk__in=[])
    for dept in departments:
        condition |= Q(path__startswith=dept.path)
    return Department.objects.filter(condition)


@transaction.atomic
def save_departments(rows: Iterable[Mapping[str, Any]], effective: dt.date) -> dict[str, int]:
    """Create or update departments by code. Each row: code, name, name_en, parent_code,
    sort_order. Parents may appear later in the same batch. Returns created/updated counts."""
    rows = list(rows)
    existing = {d.code: d for d in Department.objects.all()}
    created = updated = 0
    for row in rows:
        dept = existing.get(row["code"])
        if dept is None:
            dept = Department(code=row["code"], name=row["name"], opened_on=effective)
            created += 1
        elif dept.name != row["name"] or dept.name_en != row.get("name_en", dept.name_en):
            updated += 1
        dept.name = row["name"]
        dept.name_en = row.get("name_en") or dept.name_en
        dept.sort_order = row.get("sort_order") or dept.sort_order
        dept.save()
        existing[dept.code] = dept
    moved: list[Department] = []
    for row in rows:
        dept = existing[row["code"]]
        parent = existing[row["parent_code"]] if row.get("parent_code") else None
        new_parent_id = parent.id if parent else None
        if dept.parent_id != new_parent_id:
            dept.parent_id = new_parent_id
            moved.append(dept)
    Department.objects.bulk_update(moved, ["parent"])
    rebuild_paths()
    for row in rows:
        _record_department_history(existing[row["code"]], effective)
    return {"created": created, "updated": updated}


def _record_department_history(dept: Department, effective: dt.date) -> None:
    current = DepartmentHistory.objects.filter(department=dept, valid_to__isnull=True).first()
    if current and current.name == dept.name and current.parent_id == dept.parent_id:
        return
    if current:
        if current.valid_from >= effective:
            current.name, current.parent_id = dept.name, dept.parent_id
            current.save(update_fields=["name", "parent"])
            return
        current.valid_to = effective
        current.save(update_fields=["valid_to"])
    DepartmentHistory.objects.create(
        department=dept,
        name=dept.name,
        parent_id=dept.parent_id,
        valid_from=min(effective, dept.opened_on) if current is None else effective,
    )


def history_row(employee: Employee, valid_from: dt.date) -> EmployeeHistory:
    return EmployeeHistory(
        employee=employee,
        valid_from=valid_from,
        department_id=employee.department_id,
        manager_id=employee.manager_id,
        job_level=employee.job_level,
        employment_type=employee.employment_type,
        location=employee.location,
        custom=employee.custom,
    )


def record_employee_change(employee: Employee, effective: dt.date) -> bool:
    """Close the open history row and open a new one when a tracked attribute changed.

    Call after saving the employee. A change dated on or before the open row's start
    rewrites that row (a correction), so history never holds zero-length periods.
    Returns whether anything was recorded.
    """
    current = EmployeeHistory.objects.filter(employee=employee, valid_to__isnull=True).first()
    if current is None:
        history_row(employee, min(employee.hire_date, effective)).save()
        return True
    values = employee.history_values()
    if all(getattr(current, name) == value for name, value in values.items()):
        return False
    if current.valid_from >= effective:
        for name, value in values.items():
            setattr(current, name, value)
        current.save()
        return True
    current.valid_to = effective
    current.save(update_fields=["valid_to"])
    history_row(employee, effective).save()
    return True


def employed_on(day: dt.date) -> QuerySet[Employee]:
    """Employees on the payroll on ``day`` (hire date through leave date, inclusive)."""
    return Employee.objects.filter(hire_date__lte=day).filter(
        Q(leave_date__isnull=True) | Q(leave_date__gte=day)
    )


def org_as_of(day: dt.date) -> QuerySet[EmployeeHistory]:
    """Each employee employed on ``day`` with the department, manager and attributes they
    had that day: the snapshot turnover and survey demographics are computed from."""
    return (
        EmployeeHistory.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .filter(employee__hire_date__lte=day)
        .filter(Q(employee__leave_date__isnull=True) | Q(employee__leave_date__gte=day))
        .select_related("employee", "department")
    )


def departments_as_of(day: dt.date) -> QuerySet[DepartmentHistory]:
    """The department tree as it stood on ``day`` (name and parent of each department)."""
    return DepartmentHistory.objects.filter(valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )
