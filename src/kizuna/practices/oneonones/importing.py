"""Import of past 1on1s from CSV or Excel (columns 上長社員番号, 社員番号, 実施日): all or
nothing, with a translated error per row.

The file is read by the employee import's ``read_table`` (UTF-8 with or without BOM,
Shift_JIS/CP932, .xlsx) and its messages are reused, so both imports say the same thing
about the same problem. Each row becomes a held meeting of the pair (manager, member) on
that day (the pairs are first brought up to date with the org chart, so every current
reporting line has its pair, with or without imported meetings):

* an existing pair is used, and its ``started_on`` moves back to the earliest imported
  day when that is earlier (it evidently existed then);
* a missing pair is created: active when it is today's reporting line (starting when
  the line began, or at the first imported meeting if earlier), otherwise ended the day
  after its last imported meeting;
* a meeting already recorded as held on that day for the pair, or a repeated row, is
  skipped (importing the same file twice changes nothing).

Any error (unknown employee, a day in the future or before the member was hired, a bad
date, a missing column) rejects the whole file and nothing is saved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kizuna.org.importing import messages as org_messages
from kizuna.org.importing.columns import header_key
from kizuna.org.importing.reading import Cell, FileRejected, read_table
from kizuna.org.importing.types import RowError
from kizuna.org.importing.values import CellError, normalised, parse_date
from kizuna.org.models import Employee
from kizuna.practices.oneonones import services
from kizuna.practices.oneonones.models import (
    CADENCE_DAYS,
    DEFAULT_CADENCE,
    Meeting,
    MeetingStatus,
    Pair,
)

MAX_ROWS = 50_000
IMPORT_TIME = dt.time(10, 0)

# field -> (Japanese header, English header, other accepted spellings)
COLUMNS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "manager": ("上長社員番号", "manager employee number", ("上長", "manager", "上司社員番号")),
    "member": ("社員番号", "employee number", ("member employee number", "部下社員番号")),
    "held_on": ("実施日", "date", ("held on", "1on1実施日", "日付")),
}

MESSAGES: dict[str, Promise] = {
    "unknown_employee": _(
        "Unknown employee number “%(value)s”. Import the employee first or fix the number."
    ),
    "same_person": _(
        "The manager and the member are the same person (“%(value)s”). Fix one of the numbers."
    ),
    "future_date": _("“%(value)s” is in the future. Only 1on1s that were held can be imported."),
    "before_hire": _(
        "%(value)s is before %(name)s joined the company (%(hired)s). Check the date."
    ),
}


@dataclass
class ImportResult:
    total_rows: int = 0
    errors: list[str] = field(default_factory=list)
    # the same problems as structured errors, for ``kizuna import one-on-ones --format json``
    row_errors: list[RowError] = field(default_factory=list)
    meetings_created: int = 0
    skipped: int = 0
    pairs_created: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def message(error: RowError) -> str:
    """The translated message of ``error`` without its location."""
    template = MESSAGES.get(error.code)
    if template is None:
        return org_messages.message(error)
    return str(template) % error.params


def _describe(error: RowError) -> str:
    template = MESSAGES.get(error.code)
    if template is None:
        return org_messages.describe(error)
    text = str(template) % error.params
    if error.row is not None and error.column:
        return gettext("row %(row)s, column %(column)s: %(message)s") % {
            "row": error.row,
            "column": error.column,
            "message": text,
        }
    return text


def _columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    keys = {header_key(h): i for i, h in enumerate(header)}
    found: dict[str, int] = {}
    errors: list[RowError] = []
    for name, (ja, en, others) in COLUMNS.items():
        index = next(
            (keys[header_key(s)] for s in (ja, en, *others) if header_key(s) in keys), None
        )
        if index is None:
            errors.append(RowError(None, ja, "missing_column", {"ja": ja, "en": en}))
        else:
            found[name] = index
    return found, errors


def _cell(cells: list[Cell], index: int) -> Cell:
    return cells[index] if index < len(cells) else ""


describe = _describe


class _DryRun(Exception):
    """Raised inside the dry run's transaction so everything it did is rolled back."""


def import_meetings(
    content: bytes, filename: str, today: dt.date | None = None, *, dry_run: bool = False
) -> ImportResult:
    """Validate the whole file and, when it has no error, save every row as a held 1on1.
    With ``dry_run`` the counts are those of a real import, and nothing is kept."""
    today = today or timezone.localdate()
    result = ImportResult()
    try:
        table = read_table(content, filename, MAX_ROWS)
    except FileRejected as rejected:
        result.row_errors.append(rejected.error)
        result.errors.append(_describe(rejected.error))
        return result
    result.total_rows = len(table.rows)
    columns, problems = _columns(table.header)
    if problems:
        result.row_errors.extend(problems)
        result.errors.extend(_describe(p) for p in problems)
        return result
    header = {name: table.header[i] for name, i in columns.items()}
    numbers = {
        normalised(_cell(cells, columns[name]))
        for _row, cells in table.rows
        for name in ("manager", "member")
    }
    people = {e.employee_number: e for e in Employee.objects.filter(employee_number__in=numbers)}
    rows: list[tuple[Employee, Employee, dt.date]] = []
    errors: list[RowError] = []
    for row_number, cells in table.rows:
        parsed: dict[str, Employee] = {}
        for name in ("manager", "member"):
            number = normalised(_cell(cells, columns[name]))
            if not number:
                errors.append(RowError(row_number, header[name], "required"))
            elif number not in people:
                errors.append(
                    RowError(row_number, header[name], "unknown_employee", {"value": number})
                )
            else:
                parsed[name] = people[number]
        raw_day = _cell(cells, columns["held_on"])
        day: dt.date | None = None
        if not normalised(raw_day):
            errors.append(RowError(row_number, header["held_on"], "required"))
        else:
            try:
                day = parse_date(raw_day)
            except CellError as exc:
                errors.append(RowError(row_number, header["held_on"], exc.code, exc.params))
        if day is not None and day > today:
            errors.append(
                RowError(row_number, header["held_on"], "future_date", {"value": day.isoformat()})
            )
            day = None
        if len(parsed) < 2 or day is None:
            continue
        manager, member = parsed["manager"], parsed["member"]
        if manager.pk == member.pk:
            errors.append(
                RowError(
                    row_number, header["member"], "same_person", {"value": member.employee_number}
                )
            )
            continue
        if day < member.hire_date:
            errors.append(
                RowError(
                    row_number,
                    header["held_on"],
                    "before_hire",
                    {
                        "value": day.isoformat(),
                        "name": member.full_name,
                        "hired": member.hire_date.isoformat(),
                    },
                )
            )
            continue
        rows.append((manager, member, day))
    if errors:
        result.row_errors = errors
        result.errors = [_describe(e) for e in errors]
        return result
    if dry_run:
        try:
            with transaction.atomic():
                _save(rows, today, result)
                raise _DryRun
        except _DryRun:
            pass
        return result
    _save(rows, today, result)
    return result


def _save(
    rows: list[tuple[Employee, Employee, dt.date]], today: dt.date, result: ImportResult
) -> None:
    by_line: dict[tuple[int, int], list[dt.date]] = {}
    employees: dict[int, Employee] = {}
    for manager, member, day in rows:
        by_line.setdefault((manager.pk, member.pk), []).append(day)
        employees[manager.pk], employees[member.pk] = manager, member
    with transaction.atomic():
        services.sync_pairs(today)  # today's reporting lines all have their pair
        pairs = {
            (p.manager_id, p.member_id): p
            for p in Pair.objects.select_for_update().filter(
                manager__in=[k[0] for k in by_line], member__in=[k[1] for k in by_line]
            )
        }
        for (manager_id, member_id), days in by_line.items():
            first, last = min(days), max(days)
            pair = pairs.get((manager_id, member_id))
            if pair is None:
                member = employees[member_id]
                current = member.manager_id == manager_id and member.is_employed_on(today)
                start = first
                if current:  # today's reporting line: it may go back further than the file
                    hired = {
                        member_id: member.hire_date,
                        manager_id: employees[manager_id].hire_date,
                    }
                    history = services.history_of({member_id}).get(member_id, [])
                    start = min(
                        first, services.line_start(history, manager_id, today, hired, member_id)
                    )
                pair = Pair.objects.create(
                    manager_id=manager_id,
                    member_id=member_id,
                    cadence=DEFAULT_CADENCE,
                    interval_days=CADENCE_DAYS[DEFAULT_CADENCE],
                    started_on=start,
                    active=current,
                    ended_on=None if current else last + dt.timedelta(days=1),
                )
                result.pairs_created += 1
            elif first < pair.started_on:
                pair.started_on = first
                pair.save(update_fields=["started_on"])
            held = set(
                pair.meetings.filter(status=MeetingStatus.HELD, held_on__in=days).values_list(
                    "held_on", flat=True
                )
            )
            new = []
            for day in days:
                if day in held:
                    result.skipped += 1
                    continue
                held.add(day)
                new.append(
                    Meeting(
                        pair=pair,
                        scheduled_at=timezone.make_aware(dt.datetime.combine(day, IMPORT_TIME)),
                        status=MeetingStatus.HELD,
                        held_on=day,
                    )
                )
            Meeting.objects.bulk_create(new, batch_size=1000)
            result.meetings_created += len(new)


def template_csv() -> str:
    """A CSV template with the Japanese headers and one example row."""
    return "上長社員番号,社員番号,実施日\r\nE0001,E0002,2026-04-01\r\n"
