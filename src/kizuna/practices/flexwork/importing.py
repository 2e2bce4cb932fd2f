"""Attendance and flexible-work usage from CSV (UTF-8, UTF-8 with BOM, Shift_JIS/CP932)
or Excel .xlsx, with Japanese or English headers — all or nothing, like employee imports.

One row per employee per day: 社員番号, 日付, 勤務区分, 遅刻, 在宅, フレックス, 時間単位有給,
短時間勤務. The file is read by the employee import's ``read_table``, headers are compared
with its ``header_key`` and problems are its ``RowError``s, so numbering, ordering and the
messages about the file itself are the ones people know. A row for an employee and day
already in Kizuna replaces it (importing the same file twice changes nothing).

Row errors (and nothing is saved): unknown employee, bad date, the same employee and day
twice in the file, a day before the hire date or after the leave date, a value that is not
understood, and a lateness or usage mark on a day the person did not work.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter

from kizuna.core import audit
from kizuna.org.importing import messages as org_messages
from kizuna.org.importing.columns import (
    CHOICE,
    DATE,
    EMPLOYEE_COLUMNS,
    Column,
    HeaderColumn,
    HeaderProblem,
    header_key,
    spellings,
    suggested_values,
)
from kizuna.org.importing.reading import Cell, FileRejected, read_table
from kizuna.org.importing.rows import PREVIEW_ROWS, ParsedFile, ParsedRow
from kizuna.org.importing.types import ImportRejected, RowError, ValidationResult
from kizuna.org.importing.values import CellError, normalised, parse_cell, text_of
from kizuna.org.models import Employee
from kizuna.practices.flexwork.models import NOT_WORKED, AttendanceDay, WorkStatus

KIND = "attendance"
FLAG, HOURS = "flag", "hours"
MAX_HOURS = 8
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
SUMMARY_KEYS = (CREATED, UPDATED, UNCHANGED)
CHUNK = 1000
Progress = Callable[[int, int], None]

COLUMNS: tuple[Column, ...] = (
    # the same column, spellings and checks as in the employee import
    next(c for c in EMPLOYEE_COLUMNS if c.field == "employee_number"),
    Column(
        "date",
        "日付",
        "date",
        _("Date"),
        DATE,
        required=True,
        aliases=("勤務日", "年月日", "day", "work_date"),
        example_ja="2026/4/1",
        example_en="2026-04-01",
    ),
    Column(
        "status",
        "勤務区分",
        "status",
        _("Work status"),
        CHOICE,
        required=True,
        aliases=("勤怠区分", "区分", "勤務状況", "work_status", "attendance"),
        example_ja="出勤",
        example_en="present",
    ),
    Column(
        "late",
        "遅刻",
        "late",
        _("Late"),
        FLAG,
        aliases=("遅刻有無", "late_arrival", "tardy"),
        example_ja="",
        example_en="0",
    ),
    Column(
        "remote",
        "在宅",
        "remote",
        _("Remote"),
        FLAG,
        aliases=("在宅勤務", "リモート", "リモートワーク", "テレワーク", "remote_work", "wfh"),
        example_ja="○",
        example_en="1",
    ),
    Column(
        "flex",
        "フレックス",
        "flex",
        _("Flex time"),
        FLAG,
        aliases=("フレックスタイム", "flex_time", "flextime"),
        example_ja="",
        example_en="0",
    ),
    Column(
        "hourly_leave_hours",
        "時間単位有給",
        "hourly_leave_hours",
        _("Hourly paid leave (hours)"),
        HOURS,
        aliases=("時間有給", "時間単位年休", "時間休", "hourly_leave", "hourly_paid_leave"),
        example_ja="0",
        example_en="0",
    ),
    Column(
        "short_hours",
        "短時間勤務",
        "short_hours",
        _("Shorter hours"),
        FLAG,
        aliases=("時短", "時短勤務", "short_time", "reduced_hours"),
        example_ja="",
        example_en="0",
    ),
)
_FLAGS = tuple(c.field for c in COLUMNS if c.value in (FLAG, HOURS))

STATUS_ALIASES: dict[str, tuple[str, ...]] = {
    WorkStatus.PRESENT: ("出勤", "出社", "勤務", "在宅勤務日", "work", "worked", "attend"),
    WorkStatus.ABSENT: ("欠勤", "absence", "absent", "欠"),
    WorkStatus.PAID_LEAVE: (
        "有給休暇",
        "有給",
        "有休",
        "年休",
        "年次有給休暇",
        "paid leave",
        "annual leave",
        "pto",
    ),
    WorkStatus.SPECIAL_LEAVE: ("特別休暇", "特休", "慶弔休暇", "special leave"),
    WorkStatus.HOLIDAY: (
        "休日",
        "公休",
        "所定休日",
        "法定休日",
        "休み",
        "holiday",
        "day off",
        "off",
    ),
}
_STATUS_JA = {str(code): words[0] for code, words in STATUS_ALIASES.items()}

_TRUE = frozenset(
    {"1", "○", "〇", "◯", "●", "✓", "✔", "レ", "true", "yes", "y", "はい", "有", "あり"}
)
_FALSE = frozenset({"0", "×", "✕", "false", "no", "n", "いいえ", "無", "なし", "-", "ー", "―"})

MESSAGES: dict[str, str | Promise] = {
    "unknown_employee": _(
        "Unknown employee number “%(value)s”. Import the employee first or fix the number."
    ),
    "duplicate_day": _(
        "Employee “%(value)s” already has a row for %(date)s (row %(first_row)s). Keep one "
        "row per employee per day."
    ),
    "before_hire": _(
        "%(date)s is before employee “%(value)s” joined (%(hire)s). Check the date or the "
        "employee number."
    ),
    "after_leave": _(
        "%(date)s is after employee “%(value)s” left (%(leave)s). Check the date or the "
        "employee number."
    ),
    "invalid_mark": _(
        "“%(value)s” is not understood. Write 1 or ○ for yes; 0 or an empty cell for no."
    ),
    "invalid_hours": _(
        "“%(value)s” is not a number of hours from 0 to 8. Write a whole number such as 2."
    ),
    "not_worked": _(
        "This cannot be marked on a day with the work status “%(status)s”: the person did "
        "not work that day. Clear the cell or correct the work status."
    ),
}


# --- columns and values ------------------------------------------------------------------


def _alias_table() -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in COLUMNS:
        for spelling in (column.ja, column.en, column.field, *column.aliases):
            table.setdefault(header_key(spelling), column)
    return table


def match_header(header: list[str]) -> tuple[list[HeaderColumn], list[HeaderProblem]]:
    """Map header cells to columns, with the employee import's problem codes."""
    aliases = _alias_table()
    found: list[HeaderColumn] = []
    problems: list[HeaderProblem] = []
    seen: dict[str, str] = {}
    for index, text in enumerate(header):
        if not text:
            continue
        column = aliases.get(header_key(text))
        if column is None:
            close = difflib.get_close_matches(header_key(text), list(aliases), n=1, cutoff=0.75)
            if close:
                near = aliases[close[0]]
                suggestion = near.ja if re.search(r"[^\x00-\x7f]", text) else near.en
                problems.append(
                    (text, "unknown_column_suggest", {"column": text, "suggestion": suggestion})
                )
            else:
                problems.append((text, "unknown_column", {"column": text}))
        elif column.field in seen:
            problems.append(
                (text, "duplicate_column", {"column": text, "other": seen[column.field]})
            )
        else:
            seen[column.field] = text
            found.append(HeaderColumn(index, text, column=column))
    return found, problems


def status_lookup() -> dict[str, str]:
    return spellings(WorkStatus, STATUS_ALIASES)


def accepted_statuses(language: str) -> list[str]:
    return suggested_values(WorkStatus, _STATUS_JA, language)


def parse_mark(cell: Cell) -> bool:
    word = normalised(cell).casefold()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise CellError("invalid_mark", value=text_of(cell))


def parse_hours(cell: Cell) -> int:
    text = normalised(cell).casefold().removesuffix("時間").removesuffix("h").strip()
    if re.fullmatch(r"\d+(?:\.0+)?", text):
        hours = int(text.split(".")[0])
        if 0 <= hours <= MAX_HOURS:
            return hours
    raise CellError("invalid_hours", value=text_of(cell))


def preview_columns() -> list[tuple[str, str]]:
    return [(column.field, str(column.label)) for column in COLUMNS]


def template_csv(language: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    ja = language.startswith("ja")
    writer.writerow([column.header(language) for column in COLUMNS])
    writer.writerow([column.example_ja if ja else column.example_en for column in COLUMNS])
    return buffer.getvalue()


# --- messages ----------------------------------------------------------------------------


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def message(error: RowError) -> str:
    """The translated message for ``error`` in the active language."""
    if error.code == "invalid_choice" and error.params.get("field") == "status":
        language = get_language() or settings.LANGUAGE_CODE
        separator = "、" if language.startswith("ja") else ", "
        choices = separator.join(accepted_statuses(language))
        return str(org_messages.MESSAGES["invalid_choice"]) % _Params(error.params, choices=choices)
    if error.code == "not_worked":
        status = error.params.get("status", "")
        label = str(WorkStatus(status).label) if status in WorkStatus.values else status
        return str(MESSAGES["not_worked"]) % _Params(error.params, status=label)
    template = MESSAGES.get(error.code)
    if template is None:
        return org_messages.message(error)
    return str(template) % _Params(error.params)


def describe(error: RowError) -> str:
    """The error with its location ("row N, column X: message"), as the CLI shows it."""
    text = message(error)
    if error.row is not None and error.column:
        return gettext("row %(row)s, column %(column)s: %(message)s") % {
            "row": error.row,
            "column": error.column,
            "message": text,
        }
    if error.row is not None:
        return gettext("row %(row)s: %(message)s") % {"row": error.row, "message": text}
    if error.column:
        return gettext("column %(column)s: %(message)s") % {"column": error.column, "message": text}
    return text


def rejected_line(count: int) -> str:
    return ngettext(
        "The file was rejected (%(count)s error). Nothing was changed.",
        "The file was rejected (%(count)s errors). Nothing was changed.",
        count,
    ) % {"count": count}


# --- parsing -----------------------------------------------------------------------------


class AttendanceFile(ParsedFile):
    def preview(self) -> list[dict[str, str]]:
        fields = [name for name, _label in preview_columns()]
        return [
            {name: row.display.get(name, "") for name in fields} for row in self.rows[:PREVIEW_ROWS]
        ]


def parse_file(content: bytes, filename: str) -> AttendanceFile:
    parsed = AttendanceFile(kind=KIND)
    try:
        table = read_table(content, filename, settings.KIZUNA_IMPORT_MAX_ROWS)
    except FileRejected as rejected:
        parsed.errors.append(rejected.error)
        return parsed
    parsed.encoding = table.encoding
    for index, text in enumerate(table.header):
        parsed.positions.setdefault(text, index)
    found, problems = match_header(table.header)
    for header, code, params in problems:
        parsed.errors.append(RowError(table.header_row, header, code, params))
    by_index: dict[int, Column] = {}
    for item in found:
        assert item.column is not None
        by_index[item.index] = item.column
        parsed.headers[item.column.field] = item.header
    language = get_language() or settings.LANGUAGE_CODE
    for column in COLUMNS:
        if column.required and column.field not in parsed.headers:
            parsed.errors.append(
                RowError(
                    table.header_row,
                    column.header(language),
                    "missing_column",
                    {"ja": column.ja, "en": column.en},
                )
            )
    choices = {"status": status_lookup()}
    width = len(table.header)
    for number, cells in table.rows:
        row = ParsedRow(number)
        parsed.rows.append(row)
        for index, cell in enumerate(cells):
            here = by_index.get(index)
            if here is None:
                if cell != "" and (index >= width or not table.header[index]):
                    letter = get_column_letter(index + 1) if index < 18_278 else str(index + 1)
                    parsed.errors.append(RowError(number, letter, "unnamed_column", {}))
                    row.ok = False
                continue
            _parse_one(parsed, row, here, cell, choices)
        for item in found:
            if item.index >= len(cells):
                assert item.column is not None
                _parse_one(parsed, row, item.column, "", choices)
    return parsed


def _parse_one(
    parsed: ParsedFile, row: ParsedRow, column: Column, cell: Cell, choices: dict[str, Any]
) -> None:
    raw = text_of(cell).strip()
    if raw == "":
        if column.required:
            parsed.error(row, column.field, "required")
        else:
            row.values[column.field] = 0 if column.value == HOURS else False
        return
    try:
        if column.value == FLAG:
            value: Any = parse_mark(cell)
        elif column.value == HOURS:
            value = parse_hours(cell)
        else:
            value = parse_cell(column, cell, choices, dt.date.today().year)
    except CellError as problem:
        parsed.error(row, column.field, problem.code, **problem.params)
        row.display[column.field] = raw
        return
    row.values[column.field] = value
    if isinstance(value, dt.date):
        row.display[column.field] = value.isoformat()
    elif column.value == CHOICE:
        row.display[column.field] = str(WorkStatus(value).label)
    elif isinstance(value, bool):
        row.display[column.field] = "○" if value else ""
    else:
        row.display[column.field] = str(value)


# --- checking against the database -------------------------------------------------------


@dataclass
class Plan:
    parsed: AttendanceFile
    # (employee id, date) -> target values, for the valid rows
    targets: dict[tuple[int, dt.date], dict[str, Any]] = field(default_factory=dict)
    existing: dict[tuple[int, dt.date], AttendanceDay] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[RowError]:
        return self.parsed.sorted_errors()

    @property
    def first_day(self) -> dt.date | None:
        return min((day for _e, day in self.targets), default=None)

    @property
    def last_day(self) -> dt.date | None:
        return max((day for _e, day in self.targets), default=None)

    def apply(self, progress: Progress | None = None) -> dict[str, int]:
        new: list[AttendanceDay] = []
        changed: list[AttendanceDay] = []
        for key, target in self.targets.items():
            current = self.existing.get(key)
            if current is None:
                new.append(AttendanceDay(employee_id=key[0], date=key[1], **target))
            elif any(getattr(current, name) != value for name, value in target.items()):
                for name, value in target.items():
                    setattr(current, name, value)
                changed.append(current)
        total, done = len(new) + len(changed), 0
        for start in range(0, len(new), CHUNK):
            AttendanceDay.objects.bulk_create(new[start : start + CHUNK])
            done += len(new[start : start + CHUNK])
            if progress:
                progress(done, total)
        for start in range(0, len(changed), CHUNK):
            AttendanceDay.objects.bulk_update(changed[start : start + CHUNK], ["status", *_FLAGS])
            done += len(changed[start : start + CHUNK])
            if progress:
                progress(done, total)
        return dict(self.summary)


def plan(content: bytes, filename: str) -> Plan:
    parsed = parse_file(content, filename)
    result = Plan(parsed=parsed)
    if not parsed.rows:
        result.summary = dict.fromkeys(SUMMARY_KEYS, 0)
        return result
    numbers = {
        row.values["employee_number"] for row in parsed.rows if row.values.get("employee_number")
    }
    employees = {
        e.employee_number: e
        for e in Employee.objects.filter(employee_number__in=numbers).only(
            "id", "employee_number", "hire_date", "leave_date"
        )
    }
    seen: dict[tuple[str, dt.date], int] = {}
    for row in parsed.rows:
        number = row.values.get("employee_number")
        day = row.values.get("date")
        employee = employees.get(number) if number else None
        if number and employee is None:
            parsed.error(row, "employee_number", "unknown_employee", value=number)
        if number and isinstance(day, dt.date):
            key = (number, day)
            if key in seen:
                parsed.error(
                    row,
                    "date",
                    "duplicate_day",
                    value=number,
                    date=day.isoformat(),
                    first_row=seen[key],
                )
                continue
            seen[key] = row.number
        if employee is not None and isinstance(day, dt.date):
            if day < employee.hire_date:
                parsed.error(
                    row,
                    "date",
                    "before_hire",
                    value=number,
                    date=day.isoformat(),
                    hire=employee.hire_date.isoformat(),
                )
            elif employee.leave_date is not None and day > employee.leave_date:
                parsed.error(
                    row,
                    "date",
                    "after_leave",
                    value=number,
                    date=day.isoformat(),
                    leave=employee.leave_date.isoformat(),
                )
        status = row.values.get("status")
        if status in NOT_WORKED or status == WorkStatus.HOLIDAY:
            for name in _FLAGS:
                if row.values.get(name):
                    parsed.error(row, name, "not_worked", status=status)
        if row.ok and employee is not None and isinstance(day, dt.date):
            result.targets[(employee.pk, day)] = {
                "status": status,
                **{
                    name: row.values.get(name) or (0 if name == "hourly_leave_hours" else False)
                    for name in _FLAGS
                },
            }
    if result.targets:
        days = [day for _e, day in result.targets]
        ids = {employee_id for employee_id, _d in result.targets}
        for item in AttendanceDay.objects.filter(
            employee_id__in=ids, date__gte=min(days), date__lte=max(days)
        ):
            result.existing[(item.employee_id, item.date)] = item
    counts = dict.fromkeys(SUMMARY_KEYS, 0)
    for key, target in result.targets.items():
        current = result.existing.get(key)
        if current is None:
            counts[CREATED] += 1
        elif any(getattr(current, name) != value for name, value in target.items()):
            counts[UPDATED] += 1
        else:
            counts[UNCHANGED] += 1
    result.summary = counts
    return result


def _result(checked: Plan, summary: dict[str, int]) -> ValidationResult:
    return ValidationResult(
        encoding=checked.parsed.encoding,
        total_rows=checked.parsed.total_rows,
        errors=checked.errors,
        summary=dict.fromkeys(SUMMARY_KEYS, 0) | summary,
        preview=checked.parsed.preview(),
    )


def validate(content: bytes, filename: str) -> ValidationResult:
    """Check ``content`` without writing anything; ``summary`` counts what ``apply`` would
    do over the valid rows."""
    checked = plan(content, filename)
    return _result(checked, checked.summary)


def apply(
    content: bytes,
    filename: str,
    *,
    actor: object = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Validate and write, all or nothing, with one audit entry. Raises
    ``ImportRejected`` (and changes nothing) when any row is bad."""
    return _apply(content, filename, actor, progress)[1]


def _apply(
    content: bytes, filename: str, actor: object, progress: Progress | None
) -> tuple[Plan, dict[str, int]]:
    with transaction.atomic():
        checked = plan(content, filename)
        errors = checked.errors
        if errors:
            raise ImportRejected(errors)
        counts = checked.apply(progress)
        audit.record(
            actor,
            "flexwork.import.attendance",
            target_type="import",
            filename=filename,
            first_day=checked.first_day.isoformat() if checked.first_day else None,
            last_day=checked.last_day.isoformat() if checked.last_day else None,
            counts=counts,
        )
    return checked, counts


def import_file(
    content: bytes, filename: str, dry_run: bool, *, actor: object = None
) -> ValidationResult:
    """Check (``dry_run``) or import a file; never raises for a bad file. The result's
    ``errors`` is empty when the file is valid; then ``summary`` holds created / updated /
    unchanged counts of what was (or would be) done. With errors nothing was changed."""
    if dry_run:
        return validate(content, filename)
    try:
        checked, counts = _apply(content, filename, actor, None)
    except ImportRejected:
        # Re-plan outside the rolled-back transaction, for the counts over valid rows.
        return validate(content, filename)
    return _result(checked, counts)
