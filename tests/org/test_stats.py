"""Headcount figures on the home page, against counts worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from kizuna.org import stats
from kizuna.org.models import Employee


@pytest.fixture
def moves(company):  # type: ignore[no-untyped-def]
    dev = company["departments"]["DEV"]
    # two hires in May 2026, one leaver whose last day was 2026-06-30, one future hire
    for number, hired in [
        ("H1", dt.date(2026, 5, 1)),
        ("H2", dt.date(2026, 5, 20)),
        ("H3", dt.date(2026, 8, 1)),
    ]:
        Employee.objects.create(
            employee_number=number,
            family_name="新",
            given_name="人",
            hire_date=hired,
            department=dev,
        )
    Employee.objects.filter(employee_number="E006").update(
        leave_date=dt.date(2026, 6, 30), leave_reason="voluntary"
    )
    return company


@pytest.mark.django_db
def test_headcount_summary_counts_the_fiscal_year_to_date(moves) -> None:  # type: ignore[no-untyped-def]
    today = dt.date(2026, 7, 15)
    summary = stats.headcount_summary(Employee.objects.all(), today, fy_start=4)
    # 6 founders − 伊藤 (left 6/30) + H1 + H2 = 7; H3 joins in August
    assert summary["headcount"] == 7
    assert summary["hires"] == 2 and summary["leavers"] == 1
    assert summary["fiscal_year"] == 2026 and summary["fiscal_year_start"] == dt.date(2026, 4, 1)


@pytest.mark.django_db
def test_monthly_movements(moves) -> None:  # type: ignore[no-untyped-def]
    rows = stats.monthly_movements(Employee.objects.all(), dt.date(2026, 7, 15), months=4)
    assert [r["month"] for r in rows] == [dt.date(2026, m, 1) for m in (4, 5, 6, 7)]
    assert [r["hires"] for r in rows] == [0, 2, 0, 0]
    assert [r["leavers"] for r in rows] == [0, 0, 1, 0]
    # month-end headcount: 伊藤 is still employed on 6/30 (his last day) and gone by 7/15
    assert [r["headcount"] for r in rows] == [6, 8, 8, 7]


@pytest.mark.django_db
def test_home_page_shows_figures_and_charts_with_tables(moves, role_users, login) -> None:  # type: ignore[no-untyped-def]
    html = login(role_users["hr"]).get("/").content.decode()
    assert "在籍者数" in html
    assert 'data-chart="chart-monthly"' in html and 'id="chart-monthly"' in html
    assert "表で見る" in html
