"""HR works through the flexible-work pages in a real browser, in Japanese: creates a
policy, imports attendance with a preview, reads the utilisation page (its chart draws);
an employee applies for a side job and HR approves it. Any console error (a CSP
violation included) fails the test. Selectors use ids, URLs and form values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kizuna.core import access
from kizuna.core.models import User
from kizuna.practices.flexwork.models import AttendanceDay, Policy, SideJobRequest
from tests.browser.conftest import screenshot
from tests.practices.flexwork.conftest import HEADER_JA, csv_bytes

PASSWORD = "browser test password"


@pytest.fixture
def people(transactional_db: None, company: dict[str, Any]) -> dict[str, User]:
    hr = User.objects.create_user("hr@flex.example", PASSWORD, display_name="人事 花子")
    access.set_roles(hr, {"hr"})
    member = User.objects.create_user("member@flex.example", PASSWORD, display_name="高橋 二郎")
    access.set_roles(member, {"employee"})
    employee = company["people"]["E004"]
    employee.user = member
    employee.save(update_fields=["user"])
    return {"hr": hr, "member": member}


def _login(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_hr_sets_up_flexible_work(page, live_server, people, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    _login(page, base, "hr@flex.example")
    page.goto(f"{base}/flex/policies/new/")
    page.locator("select[name=kind]").select_option("remote")
    page.locator("input[name=name]").fill("在宅勤務")
    page.locator("input[name=max_days_per_week]").fill("3")
    page.locator("main form button.primary").click()
    assert page.url.endswith("/flex/policies/")
    page.goto(f"{base}/flex/policies/new/")
    page.locator("select[name=kind]").select_option("side_job")
    page.locator("input[name=name]").fill("副業・兼業")
    page.locator("main form button.primary").click()
    assert Policy.objects.count() == 2

    rows = [
        ["E004", "2026-04-01", "出勤", "○", "1", "", "", ""],
        ["E006", "2026-04-01", "出勤", "", "", "1", "2", ""],
        ["E006", "2026-04-02", "有給休暇", "", "", "", "", ""],
    ]
    upload = tmp_path / "勤怠.csv"
    upload.write_bytes(csv_bytes(HEADER_JA, rows, "cp932"))
    page.goto(f"{base}/flex/attendance/import/")
    page.locator("input[name=file]").set_input_files(str(upload))
    page.locator("main form button.primary").click()
    assert page.locator("#import-preview tbody tr").count() == 3
    assert AttendanceDay.objects.count() == 0
    page.locator("main form button.primary").click()
    page.locator("#import-result").wait_for()
    assert AttendanceDay.objects.count() == 3

    page.goto(f"{base}/flex/utilisation/?period=m2026-04")
    page.locator("canvas[data-chart=chart-managers]").wait_for()
    assert page.locator("#utilisation-teams tbody tr").count() == 4
    assert "6" in page.locator("#utilisation-overall tbody tr").first.inner_text()
    screenshot(page, "flexwork-utilisation")
    assert page.console_errors == []


def test_side_job_application_and_approval(page, live_server, people) -> None:  # type: ignore[no-untyped-def]
    Policy.objects.create(kind="side_job", name="副業・兼業")
    base = live_server.url
    _login(page, base, "member@flex.example")
    page.goto(f"{base}/flex/")
    page.locator('a[href="/flex/side-jobs/apply/"]').click()
    page.locator("input[name=employer]").fill("NPO法人さくら")
    page.locator("textarea[name=work]").fill("週末の講師")
    page.locator("input[name=hours_per_week]").fill("4")
    page.locator("input[name=confirm]").check()
    page.locator("main form button.primary").click()
    page.locator("#my-side-jobs").wait_for()
    screenshot(page, "flexwork-policies")
    assert page.console_errors == []
    page.context.clear_cookies()
    _login(page, base, "hr@flex.example")
    page.goto(f"{base}/flex/side-jobs/")
    request = SideJobRequest.objects.get()
    card = page.locator(f"#request-{request.pk}")
    card.locator("input[value=approve]").check()
    card.locator("button.primary").click()
    page.locator("#decided").wait_for()
    request.refresh_from_db()
    assert request.status == "approved"
    assert page.console_errors == []
