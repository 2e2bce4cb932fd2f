"""Turnover, retention and hire-cohort retention, as ``../shared/METRICS.md`` §HR KPIs
defines them, on fiscal periods (month, quarter, year).

Definitions (also in docs/hr-kpis.md and the dashboard's help texts):

- **Headcount at the period start**: people employed on the start day
  (hire date ≤ start ≤ leave date, or no leave date). The leave date is the last working
  day (``Employee.is_employed_on``), so someone leaving on the start day still counts.
- **Leaver in the period**: leave date within [start, end] (both inclusive). People hired
  during the period who also left in it count as leavers although they are not in the
  starting headcount: the usual Japanese practice for 離職率 (e.g. 厚生労働省「雇用動向
  調査」counts every leaver of the year over the headcount at its start). They are counted
  separately too (``hired_and_left``) so the choice is visible.
- **Turnover rate (離職率)** = leavers / headcount at the period start × 100.
  **Annualised (年換算)** = rate × 12 / months in the period (a fiscal month 1, a quarter 3,
  a year 12; a period cut at today counts its elapsed part, e.g. 1 April – 15 May = 1.5).
- **Retention (定着率)** = 100 − turnover rate (of the same period, not annualised).
- **Voluntary / involuntary**: ``Employee.leave_reason`` — voluntary = 自己都合
  (``voluntary``); involuntary = 解雇・人員整理 (``involuntary``); everything else
  (retirement, end of contract, other, blank) is "other".
- **Departments**: the headcount counts each person in the department they were in on the
  start day (``org.services.org_as_of``); a leaver belongs to the department they left
  from (their last ``EmployeeHistory`` row starting on or before the leave date). A
  department's figure covers its whole subtree, on today's tree.
- **Hire-cohort retention at N years (N = 1, 3)**: people hired in one fiscal year who are
  still employed on the N-th anniversary of their own hire date / people hired in that
  fiscal year. Only cohorts whose every member has reached the anniversary are shown
  (fiscal year end + N years ≤ as of). A cohort belongs to a department by the department
  of the person's first history row (where they were hired into).

The people facts are loaded once into numpy arrays (``Staff``), so a 24-month series is one
query plus vectorised counting, not 48 queries.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kizuna.core import fiscal
from kizuna.org.models import Department, Employee, EmployeeHistory, LeaveReason, Organization
from kizuna.practices.kpi import Ratio

MONTH, QUARTER, YEAR = "month", "quarter", "year"
KINDS = (MONTH, QUARTER, YEAR)
KIND_LABELS = {
    MONTH: gettext_lazy("Fiscal month"),
    QUARTER: gettext_lazy("Fiscal quarter"),
    YEAR: gettext_lazy("Fiscal year"),
}
VOLUNTARY, INVOLUNTARY, OTHER = 0, 1, 2
_FAR = np.datetime64("9999-12-31", "D")

# --- periods -------------------------------------------------------------------------------


def start_month() -> int:
    return int(Organization.current().fiscal_year_start_month)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_between(start: dt.date, end: dt.date) -> float:
    """Calendar months in [start, end], whole months counting 1 and a part month its share
    of days (1 April – 15 May = 1 + 15/31)."""
    if end < start:
        return 0.0
    total = 0.0
    first = start.replace(day=1)
    while first <= end:
        last = month_end(first)
        days = calendar.monthrange(first.year, first.month)[1]
        overlap = (min(last, end) - max(first, start)).days + 1
        total += overlap / days
        first = add_months(first, 1)
    return total


@dataclass(frozen=True)
class Period:
    """A fiscal month (number 1–12 from the fiscal year's first month), quarter (1–4) or
    the year (number 1). ``end`` is inclusive; ``cut`` when it stops at today."""

    kind: str
    fiscal_year: int
    number: int
    start: dt.date
    end: dt.date
    cut: bool = False

    @property
    def months(self) -> float:
        return months_between(self.start, self.end)

    @property
    def key(self) -> str:
        """``2026``, ``2026-Q1``, ``2026-M01`` (fiscal numbering), for URLs and the API."""
        if self.kind == YEAR:
            return str(self.fiscal_year)
        if self.kind == QUARTER:
            return f"{self.fiscal_year}-Q{self.number}"
        return f"{self.fiscal_year}-M{self.number:02d}"

    def label(self) -> str:
        if self.kind == YEAR:
            text = _("FY%(year)s") % {"year": self.fiscal_year}
        elif self.kind == QUARTER:
            text = _("FY%(year)s Q%(quarter)s") % {
                "year": self.fiscal_year,
                "quarter": self.number,
            }
        else:
            text = _("%(month)s/%(year)s") % {"year": self.start.year, "month": self.start.month}
        if self.cut:
            text = _("%(period)s (to date)") % {"period": text}
        return text

    def until(self, today: dt.date) -> Period:
        """The same period stopped at ``today`` when it is still running."""
        if self.start <= today < self.end:
            return Period(self.kind, self.fiscal_year, self.number, self.start, today, True)
        return self


def period(kind: str, fiscal_year: int, number: int = 1, month0: int | None = None) -> Period:
    """The fiscal period; raises ``ValueError`` for an unknown kind or number."""
    month0 = month0 or start_month()
    fy_start = fiscal.fiscal_year_start(fiscal_year, month0)
    if kind == YEAR:
        if number != 1:
            raise ValueError("a fiscal year has number 1")
        return Period(YEAR, fiscal_year, 1, fy_start, fiscal.fiscal_year_end(fiscal_year, month0))
    if kind == QUARTER:
        if not 1 <= number <= 4:
            raise ValueError("quarter must be 1–4")
        start = add_months(fy_start, 3 * (number - 1))
        return Period(QUARTER, fiscal_year, number, start, add_months(start, 3) - dt.timedelta(1))
    if kind == MONTH:
        if not 1 <= number <= 12:
            raise ValueError("fiscal month must be 1–12")
        start = add_months(fy_start, number - 1)
        return Period(MONTH, fiscal_year, number, start, month_end(start))
    raise ValueError(f"unknown period kind {kind!r}")


def period_containing(kind: str, day: dt.date, month0: int | None = None) -> Period:
    month0 = month0 or start_month()
    fy = fiscal.fiscal_year(day, month0)
    offset = (day.month - month0) % 12
    number = {YEAR: 1, QUARTER: offset // 3 + 1, MONTH: offset + 1}[kind]
    return period(kind, fy, number, month0)


def parse_period(key: str, month0: int | None = None) -> Period:
    """The inverse of ``Period.key``; ``ValueError`` when malformed."""
    key = key.strip()
    if "-Q" in key:
        year, number = key.split("-Q", 1)
        return period(QUARTER, int(year), int(number), month0)
    if "-M" in key:
        year, number = key.split("-M", 1)
        return period(MONTH, int(year), int(number), month0)
    return period(YEAR, int(key), 1, month0)


def previous_periods(
    kind: str, last: Period, count: int, month0: int | None = None
) -> list[Period]:
    """``count`` consecutive periods of ``kind`` ending with the one that holds ``last.end``,
    oldest first."""
    month0 = month0 or start_month()
    step = {MONTH: 1, QUARTER: 3, YEAR: 12}[kind]
    newest = period_containing(kind, last.end, month0)
    out = []
    for i in range(count - 1, -1, -1):
        out.append(period_containing(kind, add_months(newest.start, -step * i), month0))
    return out


# --- scope ---------------------------------------------------------------------------------


def scope_ids(roots: Iterable[Department] | None) -> frozenset[int] | None:
    """Department ids in the subtrees of ``roots``; ``None`` = the whole company."""
    if roots is None:
        return None
    paths = [d.path for d in roots]
    return (
        frozenset(
            pk
            for pk, path in Department.objects.values_list("pk", "path")
            if path.startswith(tuple(paths))
        )
        if paths
        else frozenset()
    )


# --- the people facts ----------------------------------------------------------------------


def _days(values: Sequence[dt.date | None]) -> npt.NDArray[np.datetime64]:
    """Dates as ``datetime64[D]``; ``None`` (no leave date, an open row) → 9999-12-31."""
    out = np.array(values, dtype="datetime64[D]")
    out[np.isnat(out)] = _FAR
    return out


def _reason_code(reason: str) -> int:
    if reason == LeaveReason.VOLUNTARY:
        return VOLUNTARY
    if reason == LeaveReason.INVOLUNTARY:
        return INVOLUNTARY
    return OTHER


class Staff:
    """Hire and leave dates and the department history of everyone, as arrays.

    ``emp_*``: one entry per employee (``ids``, ``hire``, ``leave`` — ``9999-12-31`` when
    none —, ``reason`` code, ``leave_dept``: the department left from, ``hire_dept``: the
    department hired into). ``row_*``: one entry per history row (``emp`` index,
    ``start``, ``stop`` exclusive, ``dept``)."""

    def __init__(
        self,
        employees: Sequence[tuple[int, dt.date, dt.date | None, str, int]],
        history: Sequence[tuple[int, dt.date, dt.date | None, int]],
    ) -> None:
        self.ids = np.array([e[0] for e in employees], dtype=np.int64)
        self.hire = _days([e[1] for e in employees])
        self.leave = _days([e[2] for e in employees])
        self.reason = np.array([_reason_code(e[3]) for e in employees], dtype=np.int8)
        current = np.array([e[4] for e in employees], dtype=np.int64)
        order = np.argsort(self.ids)
        if history:
            h_emp = np.array([h[0] for h in history], dtype=np.int64)
            h_start = _days([h[1] for h in history])
            h_stop = _days([h[2] for h in history])
            h_dept = np.array([h[3] for h in history], dtype=np.int64)
        else:
            h_emp = np.zeros(0, dtype=np.int64)
            h_start = h_stop = np.zeros(0, dtype="datetime64[D]")
            h_dept = np.zeros(0, dtype=np.int64)
        known = np.isin(h_emp, self.ids)
        h_emp, h_start, h_stop, h_dept = h_emp[known], h_start[known], h_stop[known], h_dept[known]
        # employee pk -> position in ``ids``
        h_idx = order[np.searchsorted(self.ids, h_emp, sorter=order)]
        # people without history (data written around the services): their current department
        missing = np.flatnonzero(~np.isin(np.arange(len(self.ids)), h_idx))
        h_idx = np.concatenate([h_idx, missing])
        h_start = np.concatenate([h_start, self.hire[missing]])
        h_stop = np.concatenate([h_stop, np.full(missing.size, _FAR, dtype="datetime64[D]")])
        h_dept = np.concatenate([h_dept, current[missing]])
        sort = np.lexsort((h_start, h_idx))
        self.row_emp = h_idx[sort]
        self.row_start = h_start[sort]
        self.row_stop = h_stop[sort]
        self.row_dept = h_dept[sort]
        self.leave_dept = self._dept_on(self.leave, current)
        self.hire_dept = self._first_dept(current)

    @classmethod
    def load(cls) -> Staff:
        employees = list(
            Employee.objects.values_list(
                "pk", "hire_date", "leave_date", "leave_reason", "department_id"
            ).order_by("pk")
        )
        history = list(
            EmployeeHistory.objects.values_list(
                "employee_id", "valid_from", "valid_to", "department_id"
            ).order_by("employee_id", "valid_from")
        )
        return cls(employees, history)

    def _dept_on(
        self, days: npt.NDArray[np.datetime64], fallback: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        """Each employee's department in the last history row starting on or before their
        ``days`` entry (rows are sorted by employee, then start)."""
        out = fallback.copy()
        idx = np.flatnonzero(self.row_start <= days[self.row_emp])
        emp = self.row_emp[idx]
        last = idx[np.r_[emp[1:] != emp[:-1], True]] if idx.size else idx
        out[self.row_emp[last]] = self.row_dept[last]
        return out

    def _first_dept(self, fallback: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        out = fallback.copy()
        first = np.ones(len(self.row_emp), dtype=bool)
        first[1:] = self.row_emp[1:] != self.row_emp[:-1]
        out[self.row_emp[first]] = self.row_dept[first]
        return out

    # -- counting -----------------------------------------------------------------------

    def headcount_rows(self, day: dt.date) -> npt.NDArray[np.bool_]:
        """Mask over history rows: the row that holds each person employed on ``day``."""
        d = np.datetime64(day, "D")
        emp = self.row_emp
        return (
            (self.row_start <= d)
            & (d < self.row_stop)
            & (self.hire[emp] <= d)
            & (d <= self.leave[emp])
        )

    def _people(self, rows: npt.NDArray[np.bool_]) -> int:
        """Distinct people among the masked history rows (one row each in clean history;
        overlapping rows from imperfect data still count a person once)."""
        return int(np.count_nonzero(np.bincount(self.row_emp[rows], minlength=len(self.ids))))

    def leaver_mask(self, start: dt.date, end: dt.date) -> npt.NDArray[np.bool_]:
        return (self.leave >= np.datetime64(start, "D")) & (self.leave <= np.datetime64(end, "D"))

    def turnover(
        self, start: dt.date, end: dt.date, departments: frozenset[int] | None = None
    ) -> Turnover:
        rows = self.headcount_rows(start)
        leaving = self.leaver_mask(start, end)
        if departments is not None:
            allowed = np.array(sorted(departments), dtype=np.int64)
            rows &= np.isin(self.row_dept, allowed)
            leaving &= np.isin(self.leave_dept, allowed)
        reasons = self.reason[leaving]
        hired_in = self.hire[leaving] > np.datetime64(start, "D")
        return Turnover(
            start=start,
            end=end,
            months=months_between(start, end),
            headcount=self._people(rows),
            leavers=int(leaving.sum()),
            voluntary=int((reasons == VOLUNTARY).sum()),
            involuntary=int((reasons == INVOLUNTARY).sum()),
            other=int((reasons == OTHER).sum()),
            hired_and_left=int(hired_in.sum()),
        )

    def by_department(
        self, start: dt.date, end: dt.date, groups: dict[int, int]
    ) -> dict[int, Turnover]:
        """Turnover per group: ``groups`` maps each department id to the id of the group
        (subtree) it counts for; departments not in it are left out."""
        rows = self.headcount_rows(start)
        leaving = self.leaver_mask(start, end)
        group_of_row = np.array([groups.get(int(d), -1) for d in self.row_dept], dtype=np.int64)
        group_of_leaver = np.array(
            [groups.get(int(d), -1) for d in self.leave_dept], dtype=np.int64
        )
        out = {}
        s = np.datetime64(start, "D")
        for group in sorted(set(groups.values())):
            in_rows = rows & (group_of_row == group)
            gone = leaving & (group_of_leaver == group)
            reasons = self.reason[gone]
            out[group] = Turnover(
                start=start,
                end=end,
                months=months_between(start, end),
                headcount=self._people(in_rows),
                leavers=int(gone.sum()),
                voluntary=int((reasons == VOLUNTARY).sum()),
                involuntary=int((reasons == INVOLUNTARY).sum()),
                other=int((reasons == OTHER).sum()),
                hired_and_left=int((self.hire[gone] > s).sum()),
            )
        return out


@dataclass(frozen=True)
class Turnover:
    """Turnover of one period and scope; every rate derives from the counts."""

    start: dt.date
    end: dt.date
    months: float
    headcount: int  # employed on the start day
    leavers: int  # leave date in [start, end], including people hired in the period
    voluntary: int
    involuntary: int
    other: int
    hired_and_left: int  # of the leavers: hired after the start day

    @property
    def ratio(self) -> Ratio:
        return Ratio(self.leavers, self.headcount)

    @property
    def voluntary_ratio(self) -> Ratio:
        return Ratio(self.voluntary, self.headcount)

    @property
    def rate(self) -> float | None:
        return self.ratio.rate

    @property
    def annualised(self) -> float | None:
        """年換算: rate × 12 / months in the period."""
        rate = self.rate
        if rate is None or self.months <= 0:
            return None
        return rate * 12 / self.months

    @property
    def voluntary_annualised(self) -> float | None:
        rate = self.voluntary_ratio.rate
        if rate is None or self.months <= 0:
            return None
        return rate * 12 / self.months

    @property
    def retention(self) -> float | None:
        """定着率 = 100 − turnover rate."""
        rate = self.rate
        return None if rate is None else 100.0 - rate


# --- public functions ------------------------------------------------------------------------


def turnover(
    start: dt.date,
    end: dt.date,
    scope: Iterable[Department] | None = None,
    *,
    staff: Staff | None = None,
) -> Turnover:
    """離職率 of [start, end] for the company (``scope=None``) or the subtrees of ``scope``."""
    staff = staff or Staff.load()
    return staff.turnover(start, end, scope_ids(scope))


def turnover_series(
    periods: Sequence[Period],
    scope: Iterable[Department] | None = None,
    *,
    staff: Staff | None = None,
) -> list[Turnover]:
    """One ``Turnover`` per period, from one load of the people facts."""
    staff = staff or Staff.load()
    ids = scope_ids(scope)
    return [staff.turnover(p.start, p.end, ids) for p in periods]


@dataclass(frozen=True)
class DepartmentTurnover:
    department: Department
    turnover: Turnover
    has_children: bool
    direct: bool = False  # the people directly in the parent, not in a child


def department_breakdown(
    start: dt.date,
    end: dt.date,
    parent: Department | None,
    scope: Iterable[Department] | None = None,
    *,
    staff: Staff | None = None,
) -> list[DepartmentTurnover]:
    """One row per child of ``parent`` (its whole subtree), plus a row for the people
    directly in ``parent``. ``parent=None``: the top level (the departments the scope
    starts at: the root's children for the whole company, a manager's own departments).
    Departments outside the scope are never listed."""
    staff = staff or Staff.load()
    allowed = scope_ids(scope)
    departments = list(Department.objects.order_by("path"))
    by_id = {d.pk: d for d in departments}
    if parent is None:
        if scope is None:
            roots = [d for d in departments if d.parent_id is None]
            tops = [d for d in departments if d.parent_id in {r.pk for r in roots}]
            direct_parent: Department | None = roots[0] if len(roots) == 1 else None
        else:
            listed = list(scope)
            tops = [
                d
                for d in listed
                if not any(d.path.startswith(o.path) and d.pk != o.pk for o in listed)
            ]
            direct_parent = None
    else:
        tops = [d for d in departments if d.parent_id == parent.pk]
        direct_parent = parent
    if allowed is not None:
        tops = [d for d in tops if d.pk in allowed]
    groups: dict[int, int] = {}
    for dept in departments:
        for top in tops:
            if dept.path.startswith(top.path):
                groups[dept.pk] = top.pk
                break
    if direct_parent is not None and (allowed is None or direct_parent.pk in allowed):
        groups[direct_parent.pk] = -2
    figures = staff.by_department(start, end, groups)
    with_children = set(
        Department.objects.filter(parent__in=[t.pk for t in tops]).values_list(
            "parent_id", flat=True
        )
    )
    rows = [
        DepartmentTurnover(
            by_id[top.pk],
            figures.get(top.pk, Turnover(start, end, months_between(start, end), 0, 0, 0, 0, 0, 0)),
            top.pk in with_children,
        )
        for top in tops
    ]
    if direct_parent is not None and -2 in figures:
        direct = figures[-2]
        if direct.headcount or direct.leavers:
            rows.append(DepartmentTurnover(direct_parent, direct, False, direct=True))
    return rows


@dataclass(frozen=True)
class Leaver:
    employee: Employee
    department: Department | None  # the department they left from
    hired_in_period: bool


def leavers(
    start: dt.date,
    end: dt.date,
    department: Department | None,
    scope: Iterable[Department] | None = None,
    *,
    staff: Staff | None = None,
) -> list[Leaver]:
    """The people who left in [start, end] from ``department``'s subtree (``None``: the
    whole scope), by the department they left from; newest leave date first."""
    staff = staff or Staff.load()
    allowed = scope_ids(scope)
    mask = staff.leaver_mask(start, end)
    if department is not None:
        subtree = scope_ids([department]) or frozenset()
        allowed = subtree if allowed is None else allowed & subtree
    if allowed is not None:
        mask &= np.isin(staff.leave_dept, np.array(sorted(allowed), dtype=np.int64))
    ids = staff.ids[mask].tolist()
    left_from = dict(zip(ids, staff.leave_dept[mask].tolist(), strict=True))
    people = Employee.objects.filter(pk__in=ids).order_by("-leave_date", "employee_number")
    departments = Department.objects.in_bulk(set(left_from.values()))
    return [Leaver(p, departments.get(left_from[p.pk]), p.hire_date > start) for p in people]


@dataclass(frozen=True)
class Cohort:
    fiscal_year: int
    years: int
    ratio: Ratio  # still employed on the N-th anniversary / hired in the fiscal year

    @property
    def rate(self) -> float | None:
        return self.ratio.rate


def _anniversary(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def cohort_retention(
    years: int,
    as_of: dt.date,
    scope: Iterable[Department] | None = None,
    *,
    count: int = 6,
    staff: Staff | None = None,
    month0: int | None = None,
) -> list[Cohort]:
    """Hire-cohort retention at ``years`` years for the latest ``count`` fiscal-year cohorts
    old enough (fiscal year end + ``years`` years ≤ ``as_of``), oldest first. Empty cohorts
    are left out."""
    staff = staff or Staff.load()
    month0 = month0 or start_month()
    allowed = scope_ids(scope)
    last_fy = fiscal.fiscal_year(as_of, month0)
    while _anniversary(fiscal.fiscal_year_end(last_fy, month0), years) > as_of:
        last_fy -= 1
    hire = staff.hire
    in_scope = np.ones(len(staff.ids), dtype=bool)
    if allowed is not None:
        in_scope = np.isin(staff.hire_dept, np.array(sorted(allowed), dtype=np.int64))
    out = []
    for fy in range(last_fy - count + 1, last_fy + 1):
        first = np.datetime64(fiscal.fiscal_year_start(fy, month0), "D")
        last = np.datetime64(fiscal.fiscal_year_end(fy, month0), "D")
        members = np.flatnonzero(in_scope & (hire >= first) & (hire <= last))
        if members.size == 0:
            continue
        anniversaries = np.array(
            [np.datetime64(_anniversary(h.astype(dt.date), years), "D") for h in hire[members]],
            dtype="datetime64[D]",
        )
        retained = int((staff.leave[members] >= anniversaries).sum())
        out.append(Cohort(fy, years, Ratio(retained, int(members.size))))
    return out
