"""A CSM works through the customer success pages in a real browser, in Japanese: the
portfolio's charts draw, the at-risk list names the red account, the account page loads
its usage with htmx and draws every chart, an assessment is saved; an administrator
imports accounts with a preview and sees the result. Any console error (a CSP violation
included) fails the test.

Selectors use ids, URLs and form values rather than words, so the test holds before and
after the translation catalogues are merged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from kizuna.core import access
from kizuna.core.models import User
from kizuna.customers.models import Account, Contact, CsmAssessment, HealthScore, Subscription
from kizuna.usage import store
from kizuna.usage.models import Feature
from tests.browser.conftest import screenshot

PASSWORD = "browser test password"
TOKYO = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture
def customer_book(transactional_db: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.EVENTS_URL = f"duckdb:///{tmp_path / 'events.duckdb'}"
    settings.DATA_DIR = tmp_path / "data"
    csm = User.objects.create_user("csm@browser.example", PASSWORD, display_name="木村 直人")
    access.set_roles(csm, {"csm"})
    admin = User.objects.create_user("admin@browser.example", PASSWORD, display_name="小川 恵")
    access.set_roles(admin, {"admin"})
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    red = Account.objects.create(
        external_id="R1", name="株式会社あかね商事", size_band="medium", csm_owner=csm
    )
    green = Account.objects.create(
        external_id="G1", name="株式会社みどり工業", size_band="large", csm_owner=csm
    )
    for n, (account, mrr) in enumerate(((red, 80_000), (green, 150_000))):
        Subscription.objects.create(
            account=account,
            external_id=f"SB{n}",
            product="サンプルクラウド",
            plan="スタンダード",
            mrr=Decimal(mrr),
            quantity=20,
            start_date=start,
            end_date=today + dt.timedelta(days=25 + 40 * n),
        )
    Contact.objects.create(account=red, external_id="CT1", name="佐藤 花子", is_primary=True)
    parts = {
        "stickiness": {
            "raw": 0.1,
            "normalised": 20.0,
            "weight": 25,
            "effective_weight": 0.6,
            "points": 12.0,
            "missing": False,
        },
        "seats": {
            "raw": 0.3,
            "normalised": 30.0,
            "weight": 20,
            "effective_weight": 0.4,
            "points": 12.0,
            "missing": False,
        },
    }
    for back in range(30, 0, -1):
        day = today - dt.timedelta(days=back)
        HealthScore.objects.create(
            account=red,
            day=day,
            score=40 - back / 3,
            band="red" if back < 20 else "yellow",
            contributions=parts,
        )
        HealthScore.objects.create(account=green, day=day, score=82, band="green")
    Feature.objects.create(name="レポート作成", slug="reports", event_names=["Report Created"])
    rows = []
    for back in range(1, 20):
        at = dt.datetime.combine(today - dt.timedelta(days=back), dt.time(10), tzinfo=TOKYO)
        rows.append((f"m{back}a", "track", "Report Created", None, "u1", "R1", at, at))
        rows.append((f"m{back}b", "page", None, "Dashboard", "u2", "R1", at, at))
    with store.connect(read_only=False) as con:
        con.executemany(
            "INSERT INTO events (message_id, source_id, type, event, name, user_id, group_id, "
            '"timestamp", received_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)',
            rows,
        )
    return {"csm": csm, "admin": admin, "red": red, "green": green}


def _login(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _charts_drawn(page: Any) -> int:
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-chart]')]"
        ".every(c => c.dataset.ready === '1')"
    )
    return page.locator("canvas[data-chart]").count()


def test_csm_walks_the_customer_pages(page, live_server, customer_book) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    _login(page, base, "csm@browser.example")
    assert page.locator("html").get_attribute("lang") == "ja"

    page.locator('#sidenav a[href="/customers/"]').click()
    page.wait_for_url(f"{base}/customers/")
    assert _charts_drawn(page) == 2  # bands, CSMs
    bands = page.locator("#bands tbody tr")
    assert bands.nth(0).locator("td").nth(1).inner_text() == "1"  # red: あかね
    assert bands.nth(2).locator("td").nth(1).inner_text() == "1"  # green: みどり
    assert "¥230,000" in page.locator("main").inner_text()
    screenshot(page, "customers-portfolio-ja")

    # sorting the account table by score swaps it in with htmx, lowest first
    page.locator('#accounts th a[href*="sort=score"]').click()
    page.wait_for_function(
        "() => document.querySelector('#accounts tbody tr td a').textContent.includes('あかね')"
    )

    page.locator('#sidenav a[href="/customers/at-risk/"]').click()
    page.wait_for_url(f"{base}/customers/at-risk/")
    rows = page.locator("#at-risk tbody tr")
    assert rows.count() == 1
    assert "株式会社あかね商事" in rows.first.inner_text()

    # the account page: usage arrives with htmx, then every chart draws
    rows.first.locator("a").first.click()
    page.locator("#feature-usage").wait_for()
    # contributions, history, active users, features, MRR over time
    assert _charts_drawn(page) == 5
    usage = page.locator("#feature-usage tbody tr").first.inner_text()
    # last 28 days: u1 created reports, u2 only opened the dashboard → 1 of 2 = 50.0 %
    assert "レポート作成" in usage and "50.0%" in usage
    screenshot(page, "customers-account-ja")

    page.locator("#assessment-form input[name=rating][value='2']").check()
    page.locator("#assessment-form textarea[name=note]").fill("決裁者が異動しました")
    page.locator("#assessment-form button[type=submit]").click()
    page.locator("#assessments").wait_for()
    assert "決裁者が異動しました" in page.locator("#assessments").inner_text()
    saved = CsmAssessment.objects.get()
    assert (saved.rating, saved.by) == (2, customer_book["csm"])

    page.locator('#sidenav a[href="/customers/renewals/"]').click()
    page.wait_for_url(f"{base}/customers/renewals/")
    assert page.locator("#renewals tbody tr").count() == 2
    assert _charts_drawn(page) == 1
    assert not page.console_errors, page.console_errors


ACCOUNTS = "取引先ID,取引先名,業種\nN1,株式会社あおば,小売業\nN2,株式会社わかば,製造業\n"


def test_admin_imports_accounts_with_preview(page, live_server, customer_book, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    _login(page, base, "admin@browser.example")
    page.locator('#sidenav a[href="/customers/import/"]').click()
    page.locator("#id_kind").select_option("accounts")
    path = tmp_path / "accounts.csv"
    path.write_bytes(ACCOUNTS.encode("cp932"))
    page.locator("#id_file").set_input_files(str(path))
    page.locator("main form button.primary").click()
    page.locator("#import-preview").wait_for()
    assert "株式会社わかば" in page.locator("#import-preview").inner_text()
    assert not Account.objects.filter(external_id__in=["N1", "N2"]).exists()
    page.locator("main form[action$='/apply/'] button.primary").click()
    page.locator("#import-result").wait_for()
    assert set(
        Account.objects.filter(external_id__startswith="N").values_list("name", flat=True)
    ) == {
        "株式会社あおば",
        "株式会社わかば",
    }
    screenshot(page, "customers-import-done-ja")
    assert not page.console_errors, page.console_errors
