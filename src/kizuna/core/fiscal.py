"""Fiscal years that start in any month (April for most Japanese companies).

A fiscal year is named after the calendar year it starts in: with an April start,
2026-04-01 … 2027-03-31 is 2026年度.
"""

from __future__ import annotations

import datetime as dt


def fiscal_year(day: dt.date, start_month: int = 4) -> int:
    return day.year if day.month >= start_month else day.year - 1


def fiscal_year_start(year: int, start_month: int = 4) -> dt.date:
    return dt.date(year, start_month, 1)


def fiscal_year_end(year: int, start_month: int = 4) -> dt.date:
    """The last day of the fiscal year (inclusive)."""
    if start_month == 1:
        return dt.date(year, 12, 31)
    return dt.date(year + 1, start_month, 1) - dt.timedelta(days=1)
