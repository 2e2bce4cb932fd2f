"""Employee imports: cross-row and database checks, the summary, and the bulk apply.

Semantics a user can rely on:

- People are matched by employee number; everyone in the file is created or updated,
  nobody *absent* from the file is touched (leavers are recorded with a leave date, never
  inferred from a missing row).
- A column that is absent leaves that attribute alone; a column that is present but
  empty clears the attribute (manager, leave date, location...). Employment type is the
  exception: it cannot be blank, so an empty cell keeps the current type (full-time for
  new people). A ``custom:NAME`` cell sets that attribute or, when empty, removes it;
  other attributes in ``Employee.custom`` are kept.
- Department, manager, job level, employment type, location and custom attributes are
  history: a change closes the open history row on the effective date and opens a new
  one. Names, email, dates, gender and birth year are corrections of the current row.
- Every row lands in exactly one summary bucket: ``created`` (new employee number, even
  with a leave date), ``leavers`` (existing person whose leave date goes from empty to
  set), ``updated`` (any other change) or ``unchanged``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from kizuna.org.importing.graph import describe, find_cycles
from kizuna.org.importing.history import record_changes
from kizuna.org.importing.rows import ParsedFile, ParsedRow
from kizuna.org.importing.types import RowError
from kizuna.org.models import Department, Employee

CREATED, UPDATED, LEAVERS, UNCHANGED = "created", "updated", "leavers", "unchanged"
SUMMARY_KEYS = (CREATED, UPDATED, LEAVERS, UNCHANGED)
# Rows written per round trip, and how often progress is reported.
CHUNK = 200

# Columns stored as-is on the employee row (the two reference columns are resolved).
_PLAIN = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "email",
    "hire_date",
    "leave_date",
    "leave_reason",
    "job_level",
    "employment_type",
    "location",
    "gender",
    "birth_year",
)
_NUMBER, _MANAGER, _DEPARTMENT = "employee_number", "manager_employee_number", "department_code"

Progress = Callable[[int, int], None]


def _chunks[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _number(row: ParsedRow) -> str:
    return str(row.values[_NUMBER])


@dataclass
class EmployeePlan:
    """What importing the file would do, computed from one read of the database."""

    parsed: ParsedFile
    as_of: dt.date
    existing: dict[str, Employee] = field(default_factory=dict)
    dept_ids: dict[str, int] = field(default_factory=dict)
    # the first row of each employee number (later duplicates are errors)
    rows: list[ParsedRow] = field(default_factory=list)
    actions: dict[int, str] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[RowError]:
        return self.parsed.sorted_errors()

    def target(
        self, row: ParsedRow, employee: Employee | None, manager_id: Callable[[str], int | None]
    ) -> dict[str, Any]:
        """Model attribute -> new value for the columns the file has."""
        values = row.values
        target = {name: values[name] for name in _PLAIN if name in values}
        if target.get("employment_type") == "":
            del target["employment_type"]
        if _DEPARTMENT in values:
            target["department_id"] = self.dept_ids[values[_DEPARTMENT]]
        if _MANAGER in values:
            target["manager_id"] = manager_id(values[_MANAGER]) if values[_MANAGER] else None
        if row.custom:
            custom = dict(employee.custom) if employee is not None else {}
            for name, value in row.custom.items():
                if value:
                    custom[name] = value
                else:
                    custom.pop(name, None)
            target["custom"] = custom
        return target

    def apply(self, progress: Progress | None = None) -> dict[str, int]:
        """Write the plan: new people first, managers before their reports, so nearly
        every manager id is known when a row is inserted (a manager inserted in the same
        batch is filled in right after it); then the changed people. Each batch is
        followed by its history, and reported to ``progress``."""
        total = len(self.rows)
        done = 0

        def report(count: int) -> None:
            if progress is not None:
                progress(count, total)

        pk_of = {number: employee.pk for number, employee in self.existing.items()}
        new_rows = [row for row in self.rows if self.actions[row.number] == CREATED]
        for chunk in _chunks(_managers_first(new_rows), CHUNK):
            people: list[Employee] = []
            pending: list[tuple[Employee, str]] = []
            for row in chunk:
                employee = Employee(employee_number=_number(row))
                for name, value in self.target(row, None, pk_of.get).items():
                    setattr(employee, name, value)
                manager = row.values.get(_MANAGER)
                if manager and employee.manager_id is None:
                    pending.append((employee, manager))
                people.append(employee)
            Employee.objects.bulk_create(people)
            pk_of.update((employee.employee_number, employee.pk) for employee in people)
            for employee, manager in pending:
                employee.manager_id = pk_of[manager]
            Employee.objects.bulk_update([employee for employee, _m in pending], ["manager"])
            # A new hire's history starts on the hire date, as record_employee_change
            # would have it with effective=hire date.
            record_changes([(employee, employee.hire_date) for employee in people])
            done += len(chunk)
            report(done)
        changed_rows = [row for row in self.rows if self.actions[row.number] in (UPDATED, LEAVERS)]
        now = timezone.now()
        for chunk in _chunks(changed_rows, CHUNK):
            by_fields: dict[tuple[str, ...], list[Employee]] = defaultdict(list)
            people = []
            for row in chunk:
                employee = self.existing[_number(row)]
                target = self.target(row, employee, pk_of.get)
                changed = sorted(n for n, v in target.items() if getattr(employee, n) != v)
                for name in changed:
                    setattr(employee, name, target[name])
                employee.updated_at = now  # bulk_update skips auto_now
                by_fields[tuple(changed)].append(employee)
                people.append(employee)
            for names, group in by_fields.items():
                fields = [name.removesuffix("_id") for name in names]
                Employee.objects.bulk_update(group, [*fields, "updated_at"])
            record_changes([(employee, self.as_of) for employee in people])
            done += len(chunk)
            report(done)
        report(total)
        return dict(self.summary)


def _managers_first(new_rows: list[ParsedRow]) -> list[ParsedRow]:
    """New people ordered so that a new manager comes before their new reports (by depth
    in the new part of the tree, file order otherwise). Iterative, because a
    pathological file may hold a 10,000-deep chain."""
    by_number = {_number(row): row for row in new_rows}
    depth: dict[str, int] = {}
    for start in by_number:
        chain: list[str] = []
        on_chain: set[str] = set()
        node = start
        while node not in depth:
            if node in on_chain:
                raise ValueError(f"manager cycle through {node}")  # excluded by validation
            manager = by_number[node].values.get(_MANAGER)
            if not manager or manager not in by_number:
                depth[node] = 0
                break
            chain.append(node)
            on_chain.add(node)
            node = manager
        for offset, number in enumerate(reversed(chain), start=1):
            depth[number] = depth[node] + offset
    return sorted(new_rows, key=lambda row: depth[_number(row)])


def plan(parsed: ParsedFile, as_of: dt.date) -> EmployeePlan:
    """Check the parsed rows against each other and the database; classify each row."""
    result = EmployeePlan(parsed, as_of)
    if not parsed.rows:
        return result
    existing = {employee.employee_number: employee for employee in Employee.objects.all()}
    result.existing = existing
    result.dept_ids = dict(Department.objects.values_list("code", "id"))
    number_of = {employee.pk: number for number, employee in existing.items()}

    first_row: dict[str, int] = {}
    for row in parsed.rows:
        number = row.values.get(_NUMBER)
        if not number:
            continue
        if number in first_row:
            parsed.error(
                row, _NUMBER, "duplicate_employee_number", value=number, first_row=first_row[number]
            )
            continue
        first_row[number] = row.number
        result.rows.append(row)
    in_file = set(first_row)

    _check_emails(parsed, existing, in_file, {row.number for row in result.rows}, as_of)
    for row in parsed.rows:
        _check_row(result, row, in_file)
    _check_manager_cycles(result, number_of, in_file)

    counts = dict.fromkeys(SUMMARY_KEYS, 0)
    for row in result.rows:
        if not row.ok:
            continue
        employee = existing.get(_number(row))
        action = _classify(result, row, employee)
        result.actions[row.number] = action
        counts[action] += 1
    result.summary = counts
    return result


def _check_emails(
    parsed: ParsedFile,
    existing: dict[str, Employee],
    in_file: set[str],
    first_rows: set[int],
    as_of: dt.date,
) -> None:
    """Two people with one address would share a login and each other's survey links.
    Rows already refused as a repeated employee number are skipped: a row pasted twice
    should produce one error, not two."""
    taken = {
        employee.email.casefold(): employee.employee_number
        for employee in existing.values()
        if employee.email
        and employee.employee_number not in in_file
        and (employee.leave_date is None or employee.leave_date >= as_of)
    }
    first_email: dict[str, int] = {}
    for row in parsed.rows:
        email = row.values.get("email")
        if not email or (row.values.get(_NUMBER) and row.number not in first_rows):
            continue
        key = email.casefold()
        if key in first_email:
            parsed.error(row, "email", "duplicate_email", value=email, first_row=first_email[key])
            continue
        first_email[key] = row.number
        if key in taken:
            parsed.error(row, "email", "email_taken", value=email, other=taken[key])


def _check_row(plan: EmployeePlan, row: ParsedRow, in_file: set[str]) -> None:
    parsed, values = plan.parsed, row.values
    code = values.get(_DEPARTMENT)
    if code and code not in plan.dept_ids:
        parsed.error(row, _DEPARTMENT, "unknown_department", value=code)

    employee = plan.existing.get(values.get(_NUMBER) or "")
    hire = values.get("hire_date")
    leave_cell_bad = parsed.present("leave_date") and "leave_date" not in values
    if "leave_date" in values:
        leave = values["leave_date"]
    else:
        leave = employee.leave_date if employee is not None and not leave_cell_bad else None
    if hire is not None and leave is not None and leave < hire:
        column = "leave_date" if parsed.present("leave_date") else "hire_date"
        parsed.error(
            row, column, "leave_before_hire", leave=leave.isoformat(), hire=hire.isoformat()
        )
    if values.get("leave_reason") and leave is None and not leave_cell_bad:
        parsed.error(row, "leave_reason", "leave_reason_without_date")

    manager = values.get(_MANAGER)
    if manager:
        if manager == values.get(_NUMBER):
            parsed.error(row, _MANAGER, "manager_self", value=manager)
        elif manager not in in_file and manager not in plan.existing:
            parsed.error(row, _MANAGER, "unknown_manager", value=manager)


def _check_manager_cycles(plan: EmployeePlan, number_of: dict[int, str], in_file: set[str]) -> None:
    """Find reporting loops in the org as it would be after the import: the database's
    managers, overridden by the file's."""
    parsed = plan.parsed
    if not parsed.present(_MANAGER):
        return  # the file changes no manager, so it cannot close a loop
    final: dict[str, str | None] = {
        number: number_of.get(employee.manager_id) if employee.manager_id else None
        for number, employee in plan.existing.items()
    }
    for row in plan.rows:
        number, manager = _number(row), row.values.get(_MANAGER)
        usable = manager and manager != number and (manager in in_file or manager in plan.existing)
        final[number] = manager if usable else None
    rows_by_number = {_number(row): row for row in plan.rows}
    for cycle in find_cycles(final, list(rows_by_number)):
        for number in cycle:
            if number in rows_by_number:
                parsed.error(
                    rows_by_number[number], _MANAGER, "manager_cycle", cycle=describe(cycle, number)
                )


def _classify(plan: EmployeePlan, row: ParsedRow, employee: Employee | None) -> str:
    if employee is None:
        return CREATED

    def manager_id(number: str) -> int:
        # A manager who is new in this file has no id yet; any id that is not the
        # current one says "changed", which is all the summary needs.
        found = plan.existing.get(number)
        return found.pk if found is not None else -1

    target = plan.target(row, employee, manager_id)
    if employee.leave_date is None and target.get("leave_date") is not None:
        return LEAVERS
    if any(getattr(employee, name) != value for name, value in target.items()):
        return UPDATED
    return UNCHANGED
