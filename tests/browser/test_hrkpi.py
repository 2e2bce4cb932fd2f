"""HR reads the HR KPI dashboard in a real browser, in Japanese: the turnover cards show
their base, the trend charts draw (canvas painted by Chart.js under the CSP), the period
picker changes the period, and the drill-down reaches the leaver list. Any console error
(a CSP violation included) fails the test."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kizuna.core import access
from kizuna.core.models import User
from kizuna.org.models import Employee
from tests.browser.conftest import screenshot

PASSWORD = "browser test password"


@pytest.fixture
def hr(transactional_db: None, company: dict[str, Any]) -> User:
    user = User.objects.create_user("hr@kpi.example", PASSWORD, display_name="人事 花子")
    access.set_roles(user, {"hr"})
    # 伊藤 (開発部) left on 2025-06-30: one leaver of six in fiscal 2025
    Employee.objects.filter(employee_number="E006").update(
        leave_date=dt.date(2025, 6, 30), leave_reason="voluntary"
    )
    return user


def test_hr_reads_the_dashboard(page, live_server, hr) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=email]").fill("hr@kpi.example")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.goto(f"{base}/hr-kpis/?period=2025")
    card = page.locator("#kpi-turnover")
    assert "16.7%" in card.inner_text()  # 1 of 6 people at the period start
    assert "期首" in card.inner_text() or "period start" in card.inner_text()
    page.wait_for_function(
        "document.querySelector('canvas[data-chart=chart-monthly-turnover]').dataset.ready === '1'"
    )
    page.locator("select[name=period]").select_option("2025-Q1")
    page.locator("form.hrkpi-period button[type=submit]").click()
    assert "period=2025-Q1" in page.url
    assert "16.7%" in page.locator("#kpi-turnover").inner_text()  # June is in Q1
    screenshot(page, "hrkpi-dashboard")
    page.locator("#department-turnover a[href*='/leavers/']").first.click()
    assert "/leavers/" in page.url
    assert "伊藤" in page.locator("#leavers").inner_text()
    assert page.console_errors == []
