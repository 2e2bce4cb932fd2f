"""Recognition in a real browser, in Japanese: an employee sends thanks to two
colleagues (the remaining budget drops by points × 2), a colleague claps it (htmx swaps
the button), the value leaderboard draws its chart. Any console error (a CSP violation
included) fails the test."""

from __future__ import annotations

from typing import Any

import pytest

from kizuna.core import access
from kizuna.core.models import User
from kizuna.practices.recognition.models import Clap, CompanyValue, Thanks
from tests.browser.conftest import screenshot

PASSWORD = "browser test password"


@pytest.fixture
def people(transactional_db: None, company: dict[str, Any]) -> dict[str, User]:
    users = {}
    for key, email, number in (
        ("member", "member@rec.example", "E004"),
        ("colleague", "colleague@rec.example", "E005"),
    ):
        user = User.objects.create_user(email, PASSWORD, display_name=key)
        access.set_roles(user, {"employee"})
        employee = company["people"][number]
        employee.user = user
        employee.save(update_fields=["user"])
        users[key] = user
    for i, name in enumerate(("顧客起点", "挑戦", "チームワーク")):
        CompanyValue.objects.create(name=name, order=i)
    return users


def _login(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_send_thanks_clap_and_leaderboard(page, live_server, people, company) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    _login(page, base, "member@rec.example")
    page.goto(f"{base}/recognition/")
    assert page.locator("#budget .value").inner_text().startswith("400")
    staff = company["people"]
    # typing filters the list of colleagues (the page script; Enter never submits)
    page.locator("[data-recipient-filter]").fill("伊藤")
    page.locator("[data-recipient-filter]").press("Enter")
    visible = page.locator("select[name=recipients] option:not([hidden])")
    assert visible.all_inner_texts() == ["伊藤 健（開発部）"]
    assert Thanks.objects.count() == 0
    page.locator("[data-recipient-filter]").fill("")
    page.locator("select[name=recipients]").select_option(
        [str(staff["E005"].pk), str(staff["E006"].pk)]
    )
    page.locator("input[name=values]").nth(2).check()
    page.locator("textarea[name=message]").fill("リリース対応ありがとうございました")
    page.locator("input[name=points]").fill("50")
    # the cost is shown before sending: 50 × 2 people = 100, 300 left
    cost = page.locator("[data-cost]").inner_text()
    assert "100" in cost and "300" in cost
    page.locator("aside form button.primary").click()
    page.locator(".rec-card").first.wait_for()
    assert Thanks.objects.count() == 1
    # 400 − 50 × 2 = 300
    assert page.locator("#budget .value").inner_text().startswith("300")
    screenshot(page, "recognition-feed")
    assert page.console_errors == []

    page.context.clear_cookies()
    _login(page, base, "colleague@rec.example")
    page.goto(f"{base}/recognition/")
    thanks = Thanks.objects.get()
    button = page.locator(f"#clap-{thanks.pk} button")
    button.click()
    page.locator(f"#clap-{thanks.pk} button[aria-pressed=true]").wait_for()
    assert Clap.objects.filter(thanks=thanks).count() == 1
    assert page.locator(f"#clap-{thanks.pk} .rec-clap-count").inner_text() == "1"

    page.goto(f"{base}/recognition/values/")
    page.locator("canvas[data-chart=rec-values-chart]").wait_for()
    screenshot(page, "recognition-values")
    assert page.console_errors == []
