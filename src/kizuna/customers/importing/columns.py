"""The columns of the customer import files, their Japanese and English headers, and the
accepted spellings of choice values.

Columns are ``kizuna.org.importing.columns.Column`` objects and headers are compared with
the same ``header_key`` (width, case, spaces and punctuation ignored), so customer files
follow exactly the rules people already know from employee imports. Three value kinds
are added here: money (whole yen), percent and yes/no flags (see ``values``).
"""

from __future__ import annotations

import csv
import difflib
import io
import re

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from kizuna.customers.models import BillingPeriod, LifecycleStage, SizeBand
from kizuna.org.importing.columns import (
    CHOICE,
    CODE,
    DATE,
    EMAIL,
    INTEGER,
    Column,
    HeaderColumn,
    HeaderProblem,
    header_key,
    spellings,
    suggested_values,
)

ACCOUNTS, CONTACTS, SUBSCRIPTIONS = "accounts", "contacts", "subscriptions"
KINDS = (ACCOUNTS, CONTACTS, SUBSCRIPTIONS)

# Value kinds added to those of ``kizuna.org.importing.columns``.
MONEY, PERCENT, FLAG = "money", "percent", "flag"

ACCOUNT_COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        "取引先ID",
        "external_id",
        _("Account ID"),
        CODE,
        required=True,
        max_length=100,
        aliases=("顧客ID", "顧客コード", "取引先コード", "account_id", "id"),
        example_ja="A-0001",
        example_en="A-0001",
    ),
    Column(
        "name",
        "取引先名",
        "name",
        _("Account name"),
        required=True,
        max_length=200,
        aliases=("顧客名", "会社名", "企業名", "account_name", "company"),
        example_ja="株式会社さくら商事",
        example_en="株式会社さくら商事",
    ),
    Column(
        "name_kana",
        "取引先名カナ",
        "name_kana",
        _("Account name (kana)"),
        max_length=200,
        aliases=("取引先名(カナ)", "フリガナ", "会社名カナ", "account_name_kana"),
        example_ja="サクラショウジ",
        example_en="サクラショウジ",
    ),
    Column(
        "industry",
        "業種",
        "industry",
        _("Industry"),
        max_length=100,
        aliases=("業界",),
        example_ja="卸売業",
        example_en="Wholesale",
    ),
    Column(
        "size_band",
        "従業員規模",
        "size_band",
        _("Company size"),
        CHOICE,
        aliases=("企業規模", "規模", "company_size", "size"),
        example_ja="50〜299名",
        example_en="medium",
    ),
    Column(
        "parent_external_id",
        "親取引先ID",
        "parent_external_id",
        _("Parent account ID"),
        CODE,
        max_length=100,
        aliases=("親会社ID", "親取引先コード", "parent_account_id", "parent_id", "parent"),
    ),
    Column(
        "csm_email",
        "担当CSMメールアドレス",
        "csm_email",
        _("CSM email address"),
        EMAIL,
        max_length=254,
        aliases=("担当CSM", "CSMメールアドレス", "担当者メールアドレス", "csm", "csm_owner"),
        example_ja="csm@example.co.jp",
        example_en="csm@example.com",
    ),
    Column(
        "lifecycle_stage",
        "ライフサイクルステージ",
        "lifecycle_stage",
        _("Lifecycle stage"),
        CHOICE,
        aliases=("ステージ", "フェーズ", "stage", "lifecycle"),
        example_ja="オンボーディング",
        example_en="onboarding",
    ),
    Column(
        "stage_changed_on",
        "ステージ変更日",
        "stage_changed_on",
        _("In stage since"),
        DATE,
        aliases=("ステージ開始日", "stage_since", "stage_date"),
    ),
)

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        "担当者ID",
        "external_id",
        _("Contact ID"),
        CODE,
        required=True,
        max_length=100,
        aliases=("連絡先ID", "コンタクトID", "contact_id", "id"),
        example_ja="C-0001",
        example_en="C-0001",
    ),
    Column(
        "account_external_id",
        "取引先ID",
        "account_external_id",
        _("Account ID"),
        CODE,
        required=True,
        max_length=100,
        aliases=("顧客ID", "顧客コード", "取引先コード", "account_id", "account"),
        example_ja="A-0001",
        example_en="A-0001",
    ),
    Column(
        "name",
        "氏名",
        "name",
        _("Name"),
        required=True,
        max_length=200,
        aliases=("担当者名", "名前", "contact_name", "full_name"),
        example_ja="佐藤 花子",
        example_en="Hanako Sato",
    ),
    Column(
        "email",
        "メールアドレス",
        "email",
        _("Email address"),
        EMAIL,
        max_length=254,
        aliases=("メール", "email_address", "e-mail", "mail"),
        example_ja="hanako.sato@example.co.jp",
        example_en="hanako.sato@example.com",
    ),
    Column(
        "title",
        "役職",
        "title",
        _("Role or title"),
        max_length=200,
        aliases=("役割", "肩書", "部署・役職", "role", "job_title"),
        example_ja="情報システム部 部長",
        example_en="IT Manager",
    ),
    Column(
        "is_primary",
        "主担当",
        "is_primary",
        _("Primary contact"),
        FLAG,
        aliases=("主担当者", "メイン担当", "primary", "primary_contact"),
        example_ja="はい",
        example_en="yes",
    ),
)

SUBSCRIPTION_COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        "契約ID",
        "external_id",
        _("Subscription ID"),
        CODE,
        required=True,
        max_length=100,
        aliases=("契約番号", "サブスクリプションID", "subscription_id", "contract_id", "id"),
        example_ja="S-0001",
        example_en="S-0001",
    ),
    Column(
        "account_external_id",
        "取引先ID",
        "account_external_id",
        _("Account ID"),
        CODE,
        required=True,
        max_length=100,
        aliases=("顧客ID", "顧客コード", "取引先コード", "account_id", "account"),
        example_ja="A-0001",
        example_en="A-0001",
    ),
    Column(
        "product",
        "製品",
        "product",
        _("Product"),
        required=True,
        max_length=200,
        aliases=("製品名", "サービス", "サービス名", "product_name"),
        example_ja="Kizuna Cloud",
        example_en="Kizuna Cloud",
    ),
    Column(
        "plan",
        "プラン",
        "plan",
        _("Plan"),
        max_length=200,
        aliases=("プラン名", "plan_name"),
        example_ja="スタンダード",
        example_en="Standard",
    ),
    Column(
        "mrr",
        "MRR",
        "mrr",
        _("MRR (yen per month)"),
        MONEY,
        required=True,
        aliases=("月額", "月額料金", "月額(円)", "月間経常収益", "monthly_amount"),
        example_ja="120000",
        example_en="120000",
    ),
    Column(
        "quantity",
        "数量",
        "quantity",
        _("Seats"),
        INTEGER,
        aliases=("席数", "ライセンス数", "ID数", "seats", "licenses"),
        example_ja="30",
        example_en="30",
    ),
    Column(
        "start_date",
        "開始日",
        "start_date",
        _("Start date"),
        DATE,
        required=True,
        aliases=("契約開始日", "利用開始日", "start"),
        example_ja="2025/04/01",
        example_en="2025-04-01",
    ),
    Column(
        "end_date",
        "終了日",
        "end_date",
        _("End date (first day not covered)"),
        DATE,
        aliases=("契約終了日", "解約日", "end"),
        example_ja="2026/04/01",
        example_en="2026-04-01",
    ),
    Column(
        "billing_period",
        "請求周期",
        "billing_period",
        _("Billing period"),
        CHOICE,
        aliases=("支払周期", "請求サイクル", "契約形態", "billing", "billing_cycle"),
        example_ja="年額",
        example_en="annual",
    ),
    Column(
        "discount_pct",
        "割引率",
        "discount_pct",
        _("Discount (%)"),
        PERCENT,
        aliases=("割引率(%)", "値引率", "discount", "discount_percent"),
        example_ja="10",
        example_en="10",
    ),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    ACCOUNTS: ACCOUNT_COLUMNS,
    CONTACTS: CONTACT_COLUMNS,
    SUBSCRIPTIONS: SUBSCRIPTION_COLUMNS,
}

# Choice columns: the model's choices plus the words customer lists actually contain.
CHOICES: dict[str, type[TextChoices]] = {
    "size_band": SizeBand,
    "lifecycle_stage": LifecycleStage,
    "billing_period": BillingPeriod,
}
CHOICE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "size_band": {
        SizeBand.SMALL: ("1〜49名", "1-49", "1-49名", "小規模", "small"),
        SizeBand.MEDIUM: ("50〜299名", "50-299", "50-299名", "中規模", "medium"),
        SizeBand.LARGE: ("300〜999名", "300-999", "300-999名", "大規模", "large"),
        SizeBand.ENTERPRISE: ("1,000名以上", "1000名以上", "1000+", "エンタープライズ"),
    },
    "lifecycle_stage": {
        LifecycleStage.ONBOARDING: ("オンボーディング", "導入", "導入中"),
        LifecycleStage.ADOPTION: ("活用定着", "定着", "活用", "利用定着"),
        LifecycleStage.EXPANSION: ("拡大", "アップセル", "エクスパンション"),
        LifecycleStage.RENEWAL: ("契約更新", "更新", "リニューアル"),
        LifecycleStage.AT_RISK: ("解約リスク", "リスク", "要注意", "at risk"),
        LifecycleStage.CHURNED: ("解約済み", "解約", "チャーン"),
    },
    "billing_period": {
        BillingPeriod.MONTHLY: ("月額", "月払い", "月次", "毎月", "month", "monthly"),
        BillingPeriod.ANNUAL: ("年額", "年払い", "年次", "年間", "毎年", "yearly", "annual"),
    },
}
# The first word of each value is its Japanese label (shown in "accepted values" lists).
_CHOICE_JA = {
    field: {str(code): words[0] for code, words in table.items()}
    for field, table in CHOICE_ALIASES.items()
}


def columns_for(kind: str) -> tuple[Column, ...]:
    try:
        return COLUMNS[kind]
    except KeyError:
        raise ValueError(f"unknown import kind {kind!r}") from None


def _alias_table(kind: str) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in columns_for(kind):
        for spelling in (column.ja, column.en, column.field, *column.aliases):
            table.setdefault(header_key(spelling), column)
    return table


def match_header(kind: str, header: list[str]) -> tuple[list[HeaderColumn], list[HeaderProblem]]:
    """Map each header cell to a column, with the same problem codes as employee files
    (``unknown_column``, ``unknown_column_suggest``, ``duplicate_column``). Customer files
    have no custom attribute columns. Blank header cells are skipped (data under them is
    reported per row)."""
    aliases = _alias_table(kind)
    found: list[HeaderColumn] = []
    problems: list[HeaderProblem] = []
    seen: dict[str, str] = {}
    for index, text in enumerate(header):
        if not text:
            continue
        column = aliases.get(header_key(text))
        if column is None:
            problems.append((text, *_unknown(text, aliases)))
        elif column.field in seen:
            problems.append(
                (text, "duplicate_column", {"column": text, "other": seen[column.field]})
            )
        else:
            seen[column.field] = text
            found.append(HeaderColumn(index, text, column=column))
    return found, problems


def _unknown(text: str, aliases: dict[str, Column]) -> tuple[str, dict[str, str]]:
    close = difflib.get_close_matches(header_key(text), list(aliases), n=1, cutoff=0.75)
    if close:
        column = aliases[close[0]]
        suggestion = column.ja if re.search(r"[^\x00-\x7f]", text) else column.en
        return "unknown_column_suggest", {"column": text, "suggestion": suggestion}
    return "unknown_column", {"column": text}


def choice_lookup(field: str) -> dict[str, str]:
    return spellings(CHOICES[field], CHOICE_ALIASES[field])


def choice_label(field: str, code: str) -> str:
    return str(CHOICES[field](code).label)


def accepted_values(field: str, language: str) -> list[str]:
    return suggested_values(CHOICES[field], _CHOICE_JA[field], language)


def preview_columns(kind: str) -> list[tuple[str, str]]:
    return [(column.field, str(column.label)) for column in columns_for(kind)]


def template_csv(kind: str, language: str) -> str:
    """A header line in ``language`` plus one example row, for users to fill in."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = columns_for(kind)
    ja = language.startswith("ja")
    writer.writerow([column.header(language) for column in columns])
    writer.writerow([column.example_ja if ja else column.example_en for column in columns])
    return buffer.getvalue()
