"""Evaluation in a real browser, in Japanese: the member writes an annual self-assessment
with a wish to transfer (anchored radio labels, inline errors), reads it back on the
results page; HR opens calibration (chart and table) and adjusts a band. Any console
error (a CSP violation included) fails the test."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kizuna.core.models import AuditLog, User
from kizuna.practices.evaluation import services
from kizuna.practices.evaluation.models import Cycle, Participant, Review
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD


@pytest.fixture
def cycle(transactional_db: None, company: dict[str, Any], role_users: dict[str, User]) -> Cycle:
    services.create_criteria(
        title="全社共通の評価基準",
        body="成果と挑戦・プロセスの2軸で評価します。",
        department=None,
        job_level="",
        by=role_users["hr"],
        publish=True,
    )
    return services.create_cycle(
        name="2026年度 年次評価",
        kind="annual",
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2027, 3, 31),
        due_on=dt.date(2027, 4, 20),
        audience={"all": True},
        by=role_users["hr"],
    )


def _login(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_self_assessment_and_calibration(page, live_server, cycle, company, role_users) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    _login(page, base, "employee@test.example")
    page.goto(f"{base}/reviews/")
    page.locator("main table a.button").first.click()
    page.locator("#goals").fill("新規顧客を10社開拓する")
    page.locator("input[name=outcome][value='4']").check()
    # submitting without the process rating shows the error next to it, nothing is stored
    page.locator("button[value=submit]").click()
    page.locator("#err-process").wait_for()
    assert not Review.objects.filter(submitted_on__isnull=False).exists()
    page.locator("input[name=process][value='5']").check()
    page.locator("input[name=wish_transfer]").check()
    page.locator("#wish_comment").fill("マーケティング部で経験を積みたいです")
    screenshot(page, "evaluation-self-assessment")
    page.locator("button[value=submit]").click()
    page.locator("#self-h").wait_for()
    assert "マーケティング部で経験を積みたいです" in page.content()
    review = Review.objects.get(kind="self")
    assert (review.outcome, review.process, review.wish_transfer) == (4, 5, True)
    screenshot(page, "evaluation-results")
    assert not page.console_errors, page.console_errors

    page.context.clear_cookies()
    _login(page, base, "hr@test.example")
    page.goto(f"{base}/reviews/manage/cycles/{cycle.pk}/calibration/")
    page.locator("canvas[data-chart='calibration-chart']").wait_for()
    takahashi = Participant.objects.get(cycle=cycle, employee=company["people"]["E004"])
    page.locator(f"#pick-{takahashi.pk}").check()
    page.locator("#bulk-band").select_option("A")
    page.locator("#bulk-note").fill("部門間の調整")
    page.locator("form button.primary").last.click()
    page.locator(".messages").wait_for()
    takahashi.refresh_from_db()
    assert takahashi.band == "A"
    assert AuditLog.objects.filter(action="evaluation.final_rating").count() == 1
    screenshot(page, "evaluation-calibration")
    assert not page.console_errors, page.console_errors
