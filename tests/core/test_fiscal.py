import datetime as dt

import pytest

from kizuna.core.fiscal import fiscal_year, fiscal_year_end, fiscal_year_start


@pytest.mark.parametrize(
    ("day", "start", "expected"),
    [
        (dt.date(2026, 3, 31), 4, 2025),  # 2025年度 runs 2025-04-01 … 2026-03-31
        (dt.date(2026, 4, 1), 4, 2026),
        (dt.date(2026, 12, 31), 1, 2026),
        (dt.date(2026, 9, 30), 10, 2025),
    ],
)
def test_fiscal_year(day: dt.date, start: int, expected: int) -> None:
    assert fiscal_year(day, start) == expected


def test_fiscal_year_bounds() -> None:
    assert fiscal_year_start(2026, 4) == dt.date(2026, 4, 1)
    assert fiscal_year_end(2026, 4) == dt.date(2027, 3, 31)
    assert fiscal_year_end(2026, 1) == dt.date(2026, 12, 31)
