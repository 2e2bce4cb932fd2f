"""The period picker: fiscal months, quarters and years (``kizuna.core.fiscal``).

A period is named by a short key used in URLs and the API: ``m2026-04`` (a month),
``q2026-1`` (the first quarter of 2026年度) and ``y2026`` (2026年度). Start and end are
both days of the period.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kizuna.core.fiscal import fiscal_year, fiscal_year_end, fiscal_year_start

_MONTH = re.compile(r"^m(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^q(\d{4})-([1-4])$")
_YEAR = re.compile(r"^y(\d{4})$")


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter, year
    key: str
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        if self.kind == "month":
            return date_format(self.start, "YEAR_MONTH_FORMAT")
        if self.kind == "quarter":
            year, quarter = self.key[1:].split("-")
            return _("FY%(year)s Q%(quarter)s") % {"year": year, "quarter": quarter}
        return _("FY%(year)s") % {"year": self.key[1:]}


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month(day: dt.date) -> Period:
    start = day.replace(day=1)
    return Period("month", f"m{start:%Y-%m}", start, _add_months(start, 1) - dt.timedelta(days=1))


def quarter(day: dt.date, start_month: int = 4) -> Period:
    year = fiscal_year(day, start_month)
    begin = fiscal_year_start(year, start_month)
    number = ((day.year * 12 + day.month) - (begin.year * 12 + begin.month)) // 3 + 1
    start = _add_months(begin, 3 * (number - 1))
    end = _add_months(start, 3) - dt.timedelta(days=1)
    return Period("quarter", f"q{year}-{number}", start, end)


def year(day: dt.date, start_month: int = 4) -> Period:
    number = fiscal_year(day, start_month)
    return Period(
        "year",
        f"y{number}",
        fiscal_year_start(number, start_month),
        fiscal_year_end(number, start_month),
    )


def parse(key: str, start_month: int = 4) -> Period | None:
    """The period a key names, or None for a malformed key."""
    try:
        if match := _MONTH.match(key):
            return month(dt.date(int(match[1]), int(match[2]), 1))
        if match := _QUARTER.match(key):
            begin = fiscal_year_start(int(match[1]), start_month)
            return quarter(_add_months(begin, 3 * (int(match[2]) - 1)), start_month)
        if match := _YEAR.match(key):
            return year(fiscal_year_start(int(match[1]), start_month), start_month)
    except ValueError:
        return None
    return None


def choices(today: dt.date, start_month: int = 4) -> dict[str, list[Period]]:
    """What the picker offers: the last 12 months, 8 quarters and 3 fiscal years."""
    months = [month(_add_months(today.replace(day=1), -n)) for n in range(12)]
    quarters: list[Period] = []
    day = today
    while len(quarters) < 8:
        q = quarter(day, start_month)
        quarters.append(q)
        day = q.start - dt.timedelta(days=1)
    years = []
    day = today
    for _n in range(3):
        y = year(day, start_month)
        years.append(y)
        day = y.start - dt.timedelta(days=1)
    return {"month": months, "quarter": quarters, "year": years}
