"""A member and their manager prepare and hold a 1on1 in a real browser, in Japanese:
the member adds a topic (Japanese text) and writes a private note; the manager sees the
topic but not the member's note, marks the meeting as held; the member rates it. Any
console error (a CSP violation included) fails the test.

Selectors use ids, URLs and form values rather than words, so the test holds before and
after the translation catalogues are merged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kizuna.core import access
from kizuna.core.models import User
from kizuna.practices.oneonones import services
from kizuna.practices.oneonones.models import Meeting, Pair
from tests.browser.conftest import screenshot

PASSWORD = "browser test password"
SECRET = "自分だけのメモ：実は異動を考えている"


@pytest.fixture
def one_on_one(transactional_db: None, company: dict[str, Any]) -> dict[str, Any]:
    people = company["people"]
    users = {}
    for number, email, role in (
        ("E003", "boss@browser.example", "manager"),
        ("E004", "member@browser.example", "employee"),
    ):
        user = User.objects.create_user(email, PASSWORD, display_name=email.split("@")[0])
        access.set_roles(user, {role})
        people[number].user = user
        people[number].save(update_fields=["user"])
        users[number] = user
    services.sync_pairs(dt.date(2026, 1, 1))
    pair = Pair.objects.get(manager=people["E003"], member=people["E004"])
    meeting = Meeting.objects.create(pair=pair, scheduled_at=timezone.now() + dt.timedelta(days=1))
    return {"pair": pair, "meeting": meeting}


def _login(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def test_member_and_manager_hold_a_1on1(page, browser, live_server, one_on_one) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    meeting, pair = one_on_one["meeting"], one_on_one["pair"]
    _login(page, base, "member@browser.example")
    page.goto(f"{base}/one-on-ones/")
    page.locator(f'a[href="/one-on-ones/pairs/{pair.pk}/"]').first.click()
    page.wait_for_url(f"{base}/one-on-ones/pairs/{pair.pk}/")
    page.locator(f'a[href="/one-on-ones/meetings/{meeting.pk}/"]').first.click()
    page.wait_for_url(f"{base}/one-on-ones/meetings/{meeting.pk}/")
    # the agenda form is open while the agenda is empty; its label points at its input
    page.locator("#agenda-text").fill("来期のキャリアについて相談したい")
    page.locator("#agenda-topic").select_option("career")
    page.locator("#agenda-support").select_option("advise")
    page.locator('form[action$="/agenda/"] button[type=submit]').click()
    page.wait_for_url(f"{base}/one-on-ones/meetings/{meeting.pk}/#agenda")
    assert "来期のキャリアについて相談したい" in page.locator("#agenda").inner_text()
    page.locator("#private-text").fill(SECRET)
    page.locator('form[action$="/private-note/"] button[type=submit]').click()
    page.wait_for_url(f"{base}/one-on-ones/meetings/{meeting.pk}/#private-note")
    assert page.locator("#private-text").input_value() == SECRET
    screenshot(page, "oneonones-meeting-member-ja")
    assert not page.console_errors, page.console_errors

    # the manager, in a separate browser context
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    boss = context.new_page()
    errors: list[str] = []
    boss.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(boss, base, "boss@browser.example")
    boss.goto(f"{base}/one-on-ones/meetings/{meeting.pk}/")
    assert "来期のキャリアについて相談したい" in boss.locator("#agenda").inner_text()
    assert SECRET not in boss.content()
    assert boss.locator("#private-text").input_value() == ""
    boss.locator('form[action$="/status/"] input[value=held] ~ button').click()
    boss.wait_for_url(f"{base}/one-on-ones/meetings/{meeting.pk}/#status")
    screenshot(boss, "oneonones-meeting-manager-ja")
    assert not errors, errors
    context.close()

    # back to the member: the rating form is there now
    page.goto(f"{base}/one-on-ones/meetings/{meeting.pk}/")
    page.locator("#rating-rating_3").check()
    page.locator('form[action$="/rating/"] button[type=submit]').click()
    page.wait_for_url(f"{base}/one-on-ones/meetings/{meeting.pk}/#rating")
    meeting.refresh_from_db()
    assert (meeting.status, meeting.rating) == ("held", 4)
    assert not page.console_errors, page.console_errors
