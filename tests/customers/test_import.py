"""Customer imports end to end: what a good file does, and that a bad file does nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from kizuna.core.models import AuditLog, User
from kizuna.customers import importing
from kizuna.customers.importing import columns
from kizuna.customers.models import (
    Account,
    BillingPeriod,
    Contact,
    LifecycleStage,
    SizeBand,
    Subscription,
)
from kizuna.org.importing.types import ImportRejected
from tests.org.conftest import csv_text

AS_OF = dt.date(2025, 10, 1)
ACCOUNT_HEADER = [
    "取引先ID",
    "取引先名",
    "取引先名カナ",
    "業種",
    "従業員規模",
    "親取引先ID",
    "担当CSMメールアドレス",
    "ライフサイクルステージ",
    "ステージ変更日",
]
CONTACT_HEADER = ["担当者ID", "取引先ID", "氏名", "メールアドレス", "役職", "主担当"]
SUBSCRIPTION_HEADER = [
    "契約ID",
    "取引先ID",
    "製品",
    "プラン",
    "MRR",
    "数量",
    "開始日",
    "終了日",
    "請求周期",
    "割引率",
]
HEADERS = {
    "accounts": ACCOUNT_HEADER,
    "contacts": CONTACT_HEADER,
    "subscriptions": SUBSCRIPTION_HEADER,
}


def csv_bytes(
    header: Sequence[str], rows: Sequence[Sequence[object]], encoding: str = "utf-8"
) -> bytes:
    return csv_text(header, rows).encode(encoding)


def run(kind: str, rows: Sequence[Sequence[object]], **kwargs: Any) -> Any:
    content = csv_bytes(HEADERS[kind], rows, kwargs.pop("encoding", "utf-8"))
    return importing.import_kind(kind, content, f"{kind}.csv", AS_OF, kwargs.pop("dry_run", False))


@pytest.fixture
def csm(make_user: Callable[..., User]) -> User:
    return make_user("csm.tanaka@example.co.jp", "csm")


@pytest.fixture
def existing(db: None, csm: User) -> dict[str, Account]:
    """P1 (親会社) and its subsidiary C1, each with a contact and a subscription."""
    parent = Account.objects.create(
        external_id="P1",
        name="親会社ホールディングス",
        lifecycle_stage=LifecycleStage.ADOPTION,
        stage_changed_on=dt.date(2025, 1, 1),
        csm_owner=csm,
    )
    child = Account.objects.create(external_id="C1", name="子会社", parent=parent)
    Contact.objects.create(
        account=parent, external_id="K1", name="山本 一郎", email="y@p1.example", is_primary=True
    )
    Subscription.objects.create(
        account=parent,
        external_id="S1",
        product="Kizuna Cloud",
        mrr=Decimal(100_000),
        start_date=dt.date(2024, 4, 1),
    )
    return {"P1": parent, "C1": child}


def account_row(
    external_id: str,
    name: str,
    *,
    kana: str = "",
    industry: str = "",
    size: str = "",
    parent: str = "",
    csm: str = "",
    stage: str = "",
    since: str = "",
) -> list[str]:
    return [external_id, name, kana, industry, size, parent, csm, stage, since]


def subscription_row(
    external_id: str,
    account: str,
    mrr: str = "50000",
    *,
    start: str = "2025/04/01",
    end: str = "",
    product: str = "Kizuna Cloud",
    plan: str = "スタンダード",
    quantity: str = "",
    billing: str = "",
    discount: str = "",
) -> list[str]:
    return [external_id, account, product, plan, mrr, quantity, start, end, billing, discount]


# --- Good files --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_good_accounts_file_creates_accounts_with_parents_and_csm(
    existing: dict[str, Account], csm: User
) -> None:
    rows = [
        # A child listed before its (new) parent, a CSM address in capitals.
        account_row("N2", "さくら物流", parent="N1", csm="CSM.Tanaka@example.co.jp"),
        account_row(
            "N1",
            "株式会社さくら",
            kana="サクラ",
            industry="卸売業",
            size="50〜299名",
            parent="P1",
            stage="定着",
            since="2025/09/15",
        ),
        account_row("C1", "子会社", parent="P1"),  # unchanged
    ]
    result = run("accounts", rows)
    assert result.errors == []
    assert result.summary == {"created": 2, "updated": 0, "unchanged": 1}
    n1, n2 = Account.objects.get(external_id="N1"), Account.objects.get(external_id="N2")
    assert (n1.parent, n2.parent, n2.csm_owner) == (existing["P1"], n1, csm)
    assert (n1.name_kana, n1.industry, n1.size_band) == ("サクラ", "卸売業", SizeBand.MEDIUM)
    assert (n1.lifecycle_stage, n1.stage_changed_on) == (
        LifecycleStage.ADOPTION,
        dt.date(2025, 9, 15),
    )
    # No stage given: onboarding since the import's effective date.
    assert (n2.lifecycle_stage, n2.stage_changed_on) == (LifecycleStage.ONBOARDING, AS_OF)
    assert n2.days_in_stage(dt.date(2025, 10, 11)) == 10
    assert AuditLog.objects.filter(action="customers.import.accounts").count() == 1


@pytest.mark.django_db
def test_reimporting_accounts_updates_stage_clock_keeps_absent_columns_and_clears_empty(
    existing: dict[str, Account],
) -> None:
    header = ["取引先ID", "取引先名", "ライフサイクルステージ", "業種"]
    Account.objects.filter(external_id="C1").update(industry="製造業")
    content = csv_bytes(
        header,
        [
            ["P1", "親会社ホールディングス", "解約リスク", "金融"],  # stage changes
            ["C1", "子会社", "", ""],  # empty stage keeps it; empty industry clears
        ],
    )
    result = importing.import_kind("accounts", content, "a.csv", AS_OF, False)
    assert result.errors == []
    assert result.summary == {"created": 0, "updated": 2, "unchanged": 0}
    parent, child = Account.objects.get(external_id="P1"), Account.objects.get(external_id="C1")
    assert (parent.lifecycle_stage, parent.stage_changed_on) == (LifecycleStage.AT_RISK, AS_OF)
    assert parent.industry == "金融"
    # Parent and CSM columns are absent: both kept.
    assert parent.csm_owner is not None and child.parent == parent
    assert (child.lifecycle_stage, child.industry) == (LifecycleStage.ONBOARDING, "")


@pytest.mark.django_db
def test_a_good_contacts_file_and_the_primary_contact_moves(existing: dict[str, Account]) -> None:
    rows = [
        ["K2", "P1", "佐藤 花子", "ｈａｎａｋｏ@p1.example", "情報システム部長", "○"],
        ["K3", "C1", "鈴木 一郎", "", "", ""],
        ["K1", "P1", "山本 一郎", "y@p1.example", "", "いいえ"],
    ]
    result = run("contacts", rows)
    assert result.errors == []
    assert result.summary == {"created": 2, "updated": 1, "unchanged": 0}
    primary = Contact.objects.get(account=existing["P1"], is_primary=True)
    assert (primary.external_id, primary.email, primary.title) == (
        "K2",
        "hanako@p1.example",
        "情報システム部長",
    )
    assert Contact.objects.get(external_id="K3").is_primary is False


@pytest.mark.django_db
def test_a_new_primary_contact_replaces_one_absent_from_the_file(
    existing: dict[str, Account],
) -> None:
    result = run("contacts", [["K9", "P1", "新しい 担当", "", "", "はい"]])
    assert result.errors == []
    assert list(
        Contact.objects.filter(account=existing["P1"], is_primary=True).values_list(
            "external_id", flat=True
        )
    ) == ["K9"]
    assert Contact.objects.filter(external_id="K1").exists()  # kept as an ordinary contact


@pytest.mark.django_db
def test_a_good_subscriptions_file(existing: dict[str, Account]) -> None:
    rows = [
        subscription_row(
            "S2",
            "P1",
            "¥120,000",
            start="2025年4月1日",
            end="2026/04/01",
            quantity="３０",
            billing="年額",
            discount="10%",
        ),
        subscription_row("S3", "C1", "１２０，０００円", plan=""),
        subscription_row("S1", "P1", "100000", start="2024-04-01", plan=""),  # unchanged
    ]
    result = run("subscriptions", rows)
    assert result.errors == []
    assert result.summary == {"created": 2, "updated": 0, "unchanged": 1}
    s2 = Subscription.objects.get(external_id="S2")
    assert (s2.account, s2.mrr, s2.quantity) == (existing["P1"], Decimal(120_000), 30)
    assert (s2.start_date, s2.end_date) == (dt.date(2025, 4, 1), dt.date(2026, 4, 1))
    assert (s2.billing_period, s2.discount_pct) == (BillingPeriod.ANNUAL, Decimal("10.00"))
    s3 = Subscription.objects.get(external_id="S3")
    # Defaults for empty cells: 1 seat, monthly, no discount, open-ended.
    assert (s3.mrr, s3.quantity, s3.billing_period, s3.discount_pct, s3.end_date) == (
        Decimal(120_000),
        1,
        BillingPeriod.MONTHLY,
        Decimal(0),
        None,
    )
    # Ending a subscription by re-import: S1 now ends on 2025-10-01 (exclusive).
    result = run(
        "subscriptions",
        [subscription_row("S1", "P1", "100000", start="2024-04-01", end="2025-10-01", plan="")],
    )
    assert result.summary == {"created": 0, "updated": 1, "unchanged": 0}
    assert existing["P1"].is_active_on(dt.date(2025, 9, 30))
    assert Subscription.objects.get(external_id="S1").end_date == dt.date(2025, 10, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["accounts", "contacts", "subscriptions"])
def test_cp932_files_import(kind: str, existing: dict[str, Account]) -> None:
    rows = {
        "accounts": [account_row("N1", "髙橋商店", kana="タカハシショウテン", industry="小売業")],
        "contacts": [["K5", "P1", "髙橋 ①子", "", "営業部長", "いいえ"]],
        "subscriptions": [subscription_row("S5", "C1", "￥30,000", plan="ﾌﾟﾚﾐｱﾑ")],
    }[kind]
    result = run(kind, rows, encoding="cp932")
    assert result.errors == []
    assert result.encoding == "cp932"
    assert result.summary["created"] == 1
    if kind == "accounts":
        assert Account.objects.get(external_id="N1").name == "髙橋商店"
    elif kind == "contacts":
        assert Contact.objects.get(external_id="K5").name == "髙橋 ①子"
    else:
        assert Subscription.objects.get(external_id="S5").mrr == Decimal(30_000)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("written", "encoding"),
    [("50～299名", "cp932"), ("50〜299名", "utf-8"), ("50-299名", "utf-8"), ("50~299", "utf-8")],
)
def test_size_bands_read_whatever_range_mark_the_file_uses(
    written: str, encoding: str, existing: dict[str, Account]
) -> None:
    """Excel saves the template's "50〜299名" as Shift_JIS with a FULLWIDTH TILDE."""
    result = run("accounts", [account_row("N2", "中堅商事", size=written)], encoding=encoding)
    assert result.errors == []
    assert Account.objects.get(external_id="N2").size_band == SizeBand.MEDIUM


@pytest.mark.django_db
def test_an_excel_file_with_date_and_number_cells(
    existing: dict[str, Account], make_xlsx: Callable[..., bytes]
) -> None:
    content = make_xlsx(
        ["契約ID", "取引先ID", "製品", "MRR", "開始日", "終了日"],
        [["S7", "P1", "Kizuna Cloud", 45000, dt.datetime(2025, 5, 1), dt.date(2025, 8, 1)]],
    )
    result = importing.import_kind("subscriptions", content, "s.xlsx", AS_OF, False)
    assert result.errors == []
    s7 = Subscription.objects.get(external_id="S7")
    assert (s7.mrr, s7.start_date, s7.end_date) == (
        Decimal(45_000),
        dt.date(2025, 5, 1),
        dt.date(2025, 8, 1),
    )


@pytest.mark.django_db
def test_english_headers(existing: dict[str, Account]) -> None:
    content = csv_bytes(
        ["external_id", "Account ID", "name", "Email", "is_primary"],
        [["K8", "C1", "Jane Doe", "jane@c1.example", "yes"]],
    )
    result = importing.import_kind("contacts", content, "c.csv", AS_OF, False)
    assert result.errors == []
    assert Contact.objects.get(external_id="K8").is_primary is True


@pytest.mark.django_db
def test_a_dry_run_counts_and_changes_nothing(
    existing: dict[str, Account], snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    result = run(
        "accounts", [account_row("N1", "新規"), account_row("C1", "子会社(改称)")], dry_run=True
    )
    assert result.errors == []
    assert result.summary == {"created": 1, "updated": 1, "unchanged": 0}
    assert snapshot() == before
    assert result.preview[0]["external_id"] == "N1"


# --- Bad files ---------------------------------------------------------------------------

BAD_ROWS: list[tuple[str, list[str], str, str]] = [
    # (kind, row, column as written in the file, error code)
    ("accounts", account_row("N1", "新規", parent="NOPE"), "親取引先ID", "unknown_parent_account"),
    ("accounts", account_row("N1", "新規", parent="N1"), "親取引先ID", "parent_account_self"),
    # The database has C1 under P1; putting P1 under C1 closes a loop.
    ("accounts", account_row("P1", "親会社", parent="C1"), "親取引先ID", "parent_account_cycle"),
    (
        "accounts",
        account_row("N1", "新規", csm="nobody@example.co.jp"),
        "担当CSMメールアドレス",
        "unknown_user",
    ),
    (
        "accounts",
        account_row("N1", "新規", csm="not an address"),
        "担当CSMメールアドレス",
        "invalid_email",
    ),
    (
        "accounts",
        account_row("N1", "新規", stage="休眠"),
        "ライフサイクルステージ",
        "invalid_choice",
    ),
    ("accounts", account_row("N1", "新規", size="巨大"), "従業員規模", "invalid_choice"),
    ("accounts", account_row("N1", "新規", since="2025/02/30"), "ステージ変更日", "invalid_date"),
    ("accounts", account_row("N1", ""), "取引先名", "required"),
    ("accounts", account_row("Q1", "重複"), "取引先ID", "duplicate_external_id"),
    ("contacts", ["K5", "NOPE", "名前", "", "", ""], "取引先ID", "unknown_account"),
    ("contacts", ["K5", "P1", "名前", "x@@example", "", ""], "メールアドレス", "invalid_email"),
    ("contacts", ["K5", "P1", "名前", "", "", "たぶん"], "主担当", "invalid_flag"),
    ("contacts", ["K5", "P1", "名前", "", "", "はい"], "主担当", "duplicate_primary"),
    ("subscriptions", subscription_row("S5", "NOPE"), "取引先ID", "unknown_account"),
    ("subscriptions", subscription_row("S5", "P1", "-100"), "MRR", "negative_amount"),
    ("subscriptions", subscription_row("S5", "P1", "100.5"), "MRR", "fractional_yen"),
    ("subscriptions", subscription_row("S5", "P1", "12万"), "MRR", "invalid_amount"),
    ("subscriptions", subscription_row("S5", "P1", ""), "MRR", "required"),
    ("subscriptions", subscription_row("S5", "P1", start="2025/13/01"), "開始日", "invalid_date"),
    (
        "subscriptions",
        subscription_row("S5", "P1", start="2025/04/01", end="2025/04/01"),
        "終了日",
        "end_not_after_start",
    ),
    (
        "subscriptions",
        subscription_row("S5", "P1", start="2025/04/01", end="2025/03/01"),
        "終了日",
        "end_not_after_start",
    ),
    ("subscriptions", subscription_row("S5", "P1", quantity="-3"), "数量", "negative_number"),
    ("subscriptions", subscription_row("S5", "P1", quantity="2.5"), "数量", "invalid_integer"),
    ("subscriptions", subscription_row("S5", "P1", billing="隔月"), "請求周期", "invalid_choice"),
    ("subscriptions", subscription_row("S5", "P1", discount="150"), "割引率", "invalid_percent"),
    ("subscriptions", subscription_row("S1", "P1"), "契約ID", "duplicate_external_id"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "bad", "column", "code"),
    BAD_ROWS,
    ids=[f"{k}-{c}-{i}" for i, (k, _r, _c, c) in enumerate(BAD_ROWS)],
)
def test_each_kind_of_bad_row_rejects_the_file_and_changes_nothing(
    existing: dict[str, Account],
    snapshot: Callable[[], Any],
    kind: str,
    bad: list[str],
    column: str,
    code: str,
) -> None:
    good = {
        "accounts": [
            account_row("Q1", "別会社", stage="拡大"),
            account_row("Q2", "別会社の子会社", parent="Q1"),
        ],
        "contacts": [
            ["K1", "P1", "山本 一郎", "y@p1.example", "", "はい"],
            ["K2", "C1", "新人", "", "", ""],
        ],
        "subscriptions": [
            subscription_row("S1", "P1", "100000", start="2024-04-01"),
            subscription_row("S2", "C1"),
        ],
    }[kind]
    before = snapshot()
    audit_before = AuditLog.objects.count()
    # The bad row is the last row (row 4: header, two good rows, then the bad one).
    result = run(kind, [*good, bad])
    assert [(e.row, e.column, e.code) for e in result.errors] == [(4, column, code)]
    assert snapshot() == before
    assert AuditLog.objects.count() == audit_before
    content = csv_bytes(HEADERS[kind], [*good, bad])
    with pytest.raises(ImportRejected):
        importing.apply(kind, content, "bad.csv", AS_OF)
    assert snapshot() == before
    with translation.override("en"):
        text = importing.describe(result.errors[0])
    assert text.startswith(f"row 4, column {column}: ")
    assert "%(" not in text and "“?”" not in text


@pytest.mark.django_db
def test_error_messages_are_translated_and_name_the_values(existing: dict[str, Account]) -> None:
    result = run(
        "subscriptions",
        [
            subscription_row(
                "S5", "NOPE", "-1", billing="隔月", start="2025/04/01", end="2025/03/01"
            )
        ],
    )
    with translation.override("en"):
        described = [importing.describe(error) for error in result.errors]
    assert described == [
        "row 2, column 取引先ID: Unknown account ID “NOPE”. "
        "Import the account first or fix the ID.",
        "row 2, column MRR: “-1” is negative. An amount cannot be less than 0 yen.",
        "row 2, column 終了日: The end date 2025-03-01 is not after the start date 2025-04-01. "
        "The end date is the first day no longer covered, so it must be later than the start date.",
        "row 2, column 請求周期: “隔月” is not an accepted value. Use one of: monthly, annual.",
    ]
    with translation.override("ja"):
        choice = importing.message(result.errors[-1])
    assert "月額、年額" in choice


@pytest.mark.django_db
def test_header_problems_reject_the_file(existing: dict[str, Account]) -> None:
    content = csv_bytes(
        ["契約ID", "取引先ID", "製品", "開始日", "MRRR"], [["S9", "P1", "X", "2025-04-01", "1"]]
    )
    result = importing.import_kind("subscriptions", content, "s.csv", AS_OF, False)
    assert [(e.row, e.column, e.code) for e in result.errors] == [
        (1, "MRRR", "unknown_column_suggest"),
        (1, "MRR", "missing_column"),
    ]
    assert not Subscription.objects.filter(external_id="S9").exists()


@pytest.mark.django_db
def test_an_unreadable_file_is_rejected_with_a_file_level_error(
    existing: dict[str, Account],
) -> None:
    content = "取引先ID,取引先名\nX1,テスト\n".encode("euc_jp")
    result = importing.import_kind("accounts", content, "a.csv", AS_OF, False)
    assert [e.code for e in result.errors] in (["encoding"], ["encoding_unknown"])
    assert not Account.objects.filter(external_id="X1").exists()


def test_the_supported_kinds() -> None:
    assert importing.KINDS == ("accounts", "contacts", "subscriptions")
    with pytest.raises(ValueError):
        importing.import_kind("employees", b"", "x.csv", AS_OF, True)
    template = columns.template_csv("subscriptions", "ja").splitlines()
    assert template[0].split(",") == SUBSCRIPTION_HEADER
