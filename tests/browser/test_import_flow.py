"""A person from HR logs in, switches language, imports a Shift_JIS file with a bad row
(and sees the row's error), then a good file (and sees the result) — in a real browser."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kizuna.core import access
from kizuna.core.models import User
from kizuna.org import services
from kizuna.org.models import Employee
from tests.browser.conftest import screenshot

PASSWORD = "browser test password"

HEADER = "社員番号,姓,名,セイ,メイ,メールアドレス,入社日,部署コード,上長社員番号,雇用形態\n"
GOOD = HEADER + (
    "B001,山田,太郎,ヤマダ,タロウ,yamada@test.example,2021/04/01,HQ,,正社員\n"
    "B002,佐藤,花子,サトウ,ハナコ,sato@test.example,2022年4月1日,SALES,B001,正社員\n"
    "B003,鈴木,一郎,スズキ,イチロウ,suzuki@test.example,2023-10-01,SALES,B002,契約社員\n"
)
# row 3 names a department that does not exist
BAD = HEADER + (
    "B001,山田,太郎,ヤマダ,タロウ,yamada@test.example,2021/04/01,HQ,,正社員\n"
    "B002,佐藤,花子,サトウ,ハナコ,sato@test.example,2022/04/01,NOPE,B001,正社員\n"
)


@pytest.fixture
def hr_user(transactional_db: None) -> User:
    services.save_departments(
        [
            {"code": "HQ", "name": "本社", "name_en": "Head office"},
            {"code": "SALES", "name": "営業部", "name_en": "Sales", "parent_code": "HQ"},
        ],
        dt.date(2020, 1, 1),
    )
    user = User.objects.create_user("hr@browser.example", PASSWORD, display_name="人事 花子")
    access.set_roles(user, {"hr"})
    return user


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("cp932"))
    return path


def test_hr_imports_employees_in_a_real_browser(page, live_server, hr_user, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = live_server.url
    page.goto(f"{base}/")
    # anonymous → login page, in Japanese
    assert page.locator("html").get_attribute("lang") == "ja"
    page.get_by_label("メールアドレス").fill("hr@browser.example")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("button", name="ログアウト").is_visible()

    # switch to English and back
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Log out").is_visible()
    page.get_by_role("button", name="日本語").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ja"

    # a Shift_JIS file with one bad row is rejected with the row's error; nothing changes
    nav = page.get_by_role("navigation", name="メインメニュー")
    nav.get_by_role("link", name="取り込み").click()
    page.get_by_label("データ").select_option("employees")
    page.get_by_label("ファイル").set_input_files(str(_write(tmp_path, "bad.csv", BAD)))
    page.get_by_role("button", name="ファイルを確認").click()
    errors = page.locator("#import-errors tbody tr")
    errors.first.wait_for()
    assert errors.count() == 1
    cells = errors.first.locator("td")
    assert cells.nth(0).inner_text() == "3"
    assert cells.nth(1).inner_text() == "部署コード"
    assert "NOPE" in cells.nth(2).inner_text()
    screenshot(page, "import-rejected-ja")
    assert Employee.objects.count() == 0

    # the good file: preview, import, result
    page.get_by_role("link", name="修正したファイルをアップロード").click()
    page.get_by_label("データ").select_option("employees")
    page.get_by_label("ファイル").set_input_files(str(_write(tmp_path, "good.csv", GOOD)))
    page.get_by_role("button", name="ファイルを確認").click()
    page.get_by_text("プレビュー").wait_for()
    assert "佐藤" in page.locator("table").first.inner_text()
    page.get_by_role("button", name="取り込む").click()
    page.locator("#import-result").wait_for()
    screenshot(page, "import-done-ja")
    assert Employee.objects.count() == 3
    assert Employee.objects.get(employee_number="B003").manager.employee_number == "B002"

    # the people list shows them
    nav.get_by_role("link", name="社員", exact=True).click()
    assert page.get_by_role("link", name="鈴木 一郎").is_visible()
    screenshot(page, "people-ja")
    assert not page.console_errors, page.console_errors
