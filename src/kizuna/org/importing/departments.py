"""Department imports: checks against the file and the database, then one call to
``services.save_departments`` (which keeps paths and department history consistent).

Departments are matched by code. Like employees, nobody absent from the file is touched,
and a missing parent column keeps every parent as it is. ``save_departments`` keeps the
current English name and display order when the cell is empty or 0, so the summary
counts those as "no change" too: what the summary promises is what is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kizuna.org.importing.employees import CREATED, SUMMARY_KEYS, UNCHANGED, UPDATED
from kizuna.org.importing.graph import describe, find_cycles
from kizuna.org.importing.rows import ParsedFile, ParsedRow
from kizuna.org.importing.types import RowError
from kizuna.org.models import Department
from kizuna.org.services import save_departments

Progress = Callable[[int, int], None]
_PARENT = "parent_code"


@dataclass
class DepartmentPlan:
    parsed: ParsedFile
    as_of: dt.date
    existing: dict[str, Department] = field(default_factory=dict)
    code_of: dict[int, str] = field(default_factory=dict)
    rows: list[ParsedRow] = field(default_factory=list)
    actions: dict[int, str] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[RowError]:
        return self.parsed.sorted_errors()

    def parent_code(self, row: ParsedRow, department: Department | None) -> str | None:
        """The parent after the import: the file's when the column is there, else the
        current one."""
        if self.parsed.present(_PARENT):
            return row.values.get(_PARENT) or None
        if department is None or department.parent_id is None:
            return None
        return self.code_of.get(department.parent_id)

    def apply(self, progress: Progress | None = None) -> dict[str, int]:
        """Hand the new and changed departments to ``save_departments`` (unchanged rows
        are skipped: saving them would only rewrite identical values)."""
        total = len(self.rows)
        if progress is not None:
            progress(0, total)
        payload: list[dict[str, Any]] = []
        for row in self.rows:
            if self.actions[row.number] == UNCHANGED:
                continue
            code = row.values["code"]
            payload.append(
                {
                    "code": code,
                    "name": row.values["name"],
                    "name_en": row.values.get("name_en") or "",
                    "parent_code": self.parent_code(row, self.existing.get(code)),
                    "sort_order": row.values.get("sort_order"),
                }
            )
        if payload:
            save_departments(payload, self.as_of)
        if progress is not None:
            progress(total, total)
        return dict(self.summary)


def plan(parsed: ParsedFile, as_of: dt.date) -> DepartmentPlan:
    result = DepartmentPlan(parsed, as_of)
    if not parsed.rows:
        return result
    result.existing = {dept.code: dept for dept in Department.objects.all()}
    result.code_of = {dept.pk: code for code, dept in result.existing.items()}

    first_row: dict[str, int] = {}
    for row in parsed.rows:
        code = row.values.get("code")
        if not code:
            continue
        if code in first_row:
            parsed.error(row, "code", "duplicate_code", value=code, first_row=first_row[code])
            continue
        first_row[code] = row.number
        result.rows.append(row)
    known = set(first_row) | set(result.existing)

    for row in parsed.rows:
        parent = row.values.get(_PARENT)
        if not parent:
            continue
        if parent == row.values.get("code"):
            parsed.error(row, _PARENT, "parent_self", value=parent)
        elif parent not in known:
            parsed.error(row, _PARENT, "unknown_parent", value=parent)
    _check_cycles(result, known)

    counts = dict.fromkeys(SUMMARY_KEYS, 0)
    for row in result.rows:
        if row.ok:
            action = _classify(result, row)
            result.actions[row.number] = action
            counts[action] += 1
    result.summary = counts
    return result


def _check_cycles(plan: DepartmentPlan, known: set[str]) -> None:
    """A department under its own sub-department has no place in the tree (and would
    make ``rebuild_paths`` fail); check the tree as it would be after the import."""
    if not plan.parsed.present(_PARENT):
        return
    final: dict[str, str | None] = {
        code: plan.code_of.get(dept.parent_id) if dept.parent_id else None
        for code, dept in plan.existing.items()
    }
    for row in plan.rows:
        code, parent = row.values["code"], row.values.get(_PARENT)
        final[code] = parent if parent and parent != code and parent in known else None
    rows_by_code = {row.values["code"]: row for row in plan.rows}
    for cycle in find_cycles(final, list(rows_by_code)):
        for code in cycle:
            if code in rows_by_code:
                plan.parsed.error(
                    rows_by_code[code], _PARENT, "parent_cycle", cycle=describe(cycle, code)
                )


def _classify(plan: DepartmentPlan, row: ParsedRow) -> str:
    dept = plan.existing.get(row.values["code"])
    if dept is None:
        return CREATED
    current_parent = plan.code_of.get(dept.parent_id) if dept.parent_id else None
    changed = (
        row.values["name"] != dept.name
        or (row.values.get("name_en") or dept.name_en) != dept.name_en
        or (row.values.get("sort_order") or dept.sort_order) != dept.sort_order
        or plan.parent_code(row, dept) != current_parent
    )
    return UPDATED if changed else UNCHANGED
