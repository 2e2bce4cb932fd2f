"""The customers of 株式会社サンプル: accounts, contacts, subscriptions and product usage.

株式会社サンプル sells a B2B SaaS product, サンプルクラウド (plans スタンダード, プロフェッショナル,
エンタープライズ; a base fee plus a price per seat; annual contracts at a discount, or
monthly ones), and an analysis option. ``build_customer_demo`` creates its customers with
eighteen months of history ending today, so that every customer-success screen and metric
has something true to show: logo churn around 10–15 % a year, NRR around 100–110 %, new
logos every month, a renewals pipeline (annual contracts start and renew on the first of
a month), and usage events for ~5,000 users of ~500 accounts in the event store.

**The planted behaviour** (what the back-test and the churn model must find; the tests
in tests/customers/test_demo.py measure it from the generated data alone):

- Before a renewal, an account sometimes *stops using a key feature*: all its users stop
  sending that feature's events (レポート作成 most often, else ダッシュボード閲覧 or
  ワークフロー自動化: ``STOP_FEATURE_WEIGHTS`` over the key features in use) 120–240 days
  before the renewal (``STOP_LEAD_DAYS``), so that the 28 days before "90 days before the
  renewal" already show no use at all. Annual contracts get such a stop before
  ``STOP_SHARE`` (12 %) of their renewals, scaled by size (``STOP_SIZE``: ×1.3 small …
  ×0.5 enterprise); monthly ones stop with ``MONTHLY_STOP_HAZARD`` a month and reach
  their "renewal" (the month they would leave) 120–200 days later.
- An account whose key-feature stop precedes a renewal churns at that renewal with
  probability ``STOP_CHURN`` (50 %); otherwise with the size band's baseline
  (``BASE_CHURN``: 8 % small … 2 % enterprise a renewal; monthly contracts a small
  monthly hazard). At 500 accounts that is ≈ 55 % vs ≈ 5 % at annual renewals, ≈ 12 %
  logo churn over the last year, GRR ≈ 92 % and NRR ≈ 104 %. Accounts that stay on
  resume the feature with probability 60 % after renewing.
- Noise, so that it is not trivial: baseline churners use the product less (×0.7) over
  their last 60–180 days (so some of them, not all, look fading 90 days before);
  stopped accounts use it a little less overall (×0.85); some accounts never take a key
  feature up or take it up late (no stop, no extra risk); activity depends on size (small
  companies' users are more active), on the user (a habit drawn per user), on weekends,
  Japanese holidays, 年末年始, お盆 and the fiscal year end
  (``kizuna.usage.demo_events.calendar_factors``); users join as seats grow and leave
  (≈ 12 % a year, most replaced).
- Churned accounts have no event on or after the day their last subscription ended.

Everything is planned in memory from one seed (same seed, ``today`` and sizes → same
customers), written with ``bulk_create`` in one transaction, and the events go straight
into the DuckDB store from Arrow (``kizuna.usage.demo_events``).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kizuna.core import access
from kizuna.core.models import User
from kizuna.core.roles import Role
from kizuna.customers.models import (
    Account,
    BillingPeriod,
    Contact,
    LifecycleStage,
    SizeBand,
    Subscription,
)
from kizuna.org.demo_names import FAMILY_NAMES, FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES
from kizuna.usage import demo_events, store
from kizuna.usage.models import Source

DEMO_SOURCE_NAME = "サンプルクラウド（デモ）"
"""The event source the demo's events belong to; its existence marks the demo as built."""

DEMO_PASSWORD = "kizuna-demo"  # noqa: S105 - the demo's shared, printed password
DEMO_DOMAIN = "sample.example"
CSM_TEAM_PREFIX = "カスタマーサクセス"  # its teams: カスタマーサクセス1課, … (not サポート)
EXTRA_CSMS = 4
PRODUCT = "サンプルクラウド"
OPTION_PRODUCT = "サンプルクラウド 分析オプション"

# Plans: (name, monthly base fee, monthly price per seat) in yen before discounts.
PLANS: dict[str, tuple[str, int, int]] = {
    "standard": ("スタンダード", 10_000, 1_800),
    "pro": ("プロフェッショナル", 30_000, 3_500),
    "enterprise": ("エンタープライズ", 100_000, 6_000),
}
PLAN_ORDER = ("standard", "pro", "enterprise")
OPTION_MRR = {"small": 20_000, "medium": 20_000, "large": 50_000, "enterprise": 50_000}

SIZES = ("small", "medium", "large", "enterprise")
SIZE_SHARE = (0.40, 0.35, 0.17, 0.08)
SEAT_MEDIAN = {"small": 4.0, "medium": 10.0, "large": 25.0, "enterprise": 60.0}
ANNUAL_SHARE = {"small": 0.45, "medium": 0.75, "large": 0.9, "enterprise": 1.0}
PLAN_SHARE = {
    "small": (0.8, 0.2, 0.0),
    "medium": (0.35, 0.6, 0.05),
    "large": (0.0, 0.6, 0.4),
    "enterprise": (0.0, 0.2, 0.8),
}
ACTIVITY = {"small": 1.15, "medium": 1.0, "large": 0.9, "enterprise": 0.8}
CONTACTS = {"small": (1, 2), "medium": (1, 3), "large": (2, 4), "enterprise": (2, 4)}

NEW_LOGO_SHARE = 0.2  # accounts that become customers within the history window
MIN_SEATS = 3
STOP_SHARE = 0.12
STOP_SIZE = {"small": 1.3, "medium": 1.0, "large": 0.7, "enterprise": 0.5}
STOP_LEAD_DAYS = (120, 240)
MONTHLY_STOP_LEAD_DAYS = (120, 200)
MONTHLY_STOP_HAZARD = 0.009
STOP_CHURN = 0.5
RESUME_AFTER_RENEWAL = 0.6
BASE_CHURN = {"small": 0.08, "medium": 0.05, "large": 0.03, "enterprise": 0.02}  # a year
MONTHLY_HAZARD = {"small": 0.006, "medium": 0.004, "large": 0.003, "enterprise": 0.002}
STOP_FEATURE_WEIGHTS = {"reports": 0.55, "workflows": 0.25, "dashboards": 0.20}
EXPAND, CONTRACT = 0.35, 0.15  # chances at an annual renewal
MONTHLY_EXPAND, MONTHLY_CONTRACT = 0.025, 0.01
USER_LEAVE_RATE = 0.12  # a year
PRE_CHURN_FACTOR, STOPPED_FACTOR = 0.7, 0.85
PRE_CHURN_DAYS = (60, 180)  # baseline churners fade over this many days before leaving

# Company names: stems (kanji or katakana, kana, romaji) and endings with their industry.
STEMS: tuple[tuple[str, str, str], ...] = (
    ("東邦", "トウホウ", "toho"),
    ("大和", "ヤマト", "yamato"),
    ("日進", "ニッシン", "nisshin"),
    ("三栄", "サンエイ", "sanei"),
    ("明和", "メイワ", "meiwa"),
    ("平和", "ヘイワ", "heiwa"),
    ("光洋", "コウヨウ", "koyo"),
    ("富士見", "フジミ", "fujimi"),
    ("東洋", "トウヨウ", "toyo"),
    ("中央", "チュウオウ", "chuo"),
    ("北斗", "ホクト", "hokuto"),
    ("旭", "アサヒ", "asahi"),
    ("大成", "タイセイ", "taisei"),
    ("協和", "キョウワ", "kyowa"),
    ("共栄", "キョウエイ", "kyoei"),
    ("北陸", "ホクリク", "hokuriku"),
    ("九州", "キュウシュウ", "kyushu"),
    ("関東", "カントウ", "kanto"),
    ("浪速", "ナニワ", "naniwa"),
    ("瀬戸内", "セトウチ", "setouchi"),
    ("信濃", "シナノ", "shinano"),
    ("越後", "エチゴ", "echigo"),
    ("武蔵野", "ムサシノ", "musashino"),
    ("湘南", "ショウナン", "shonan"),
    ("房総", "ボウソウ", "boso"),
    ("相模", "サガミ", "sagami"),
    ("若葉", "ワカバ", "wakaba"),
    ("青葉", "アオバ", "aoba"),
    ("緑川", "ミドリカワ", "midorikawa"),
    ("白鷺", "シラサギ", "shirasagi"),
    ("桜井", "サクライ", "sakurai"),
    ("松風", "マツカゼ", "matsukaze"),
    ("高砂", "タカサゴ", "takasago"),
    ("千代田", "チヨダ", "chiyoda"),
    ("日本橋", "ニホンバシ", "nihonbashi"),
    ("新星", "シンセイ", "shinsei"),
    ("天竜", "テンリュウ", "tenryu"),
    ("三河", "ミカワ", "mikawa"),
    ("尾張", "オワリ", "owari"),
    ("伊勢", "イセ", "ise"),
    ("紀州", "キシュウ", "kishu"),
    ("阿波", "アワ", "awa"),
    ("土佐", "トサ", "tosa"),
    ("肥後", "ヒゴ", "higo"),
    ("薩摩", "サツマ", "satsuma"),
    ("琉球", "リュウキュウ", "ryukyu"),
    ("北星", "ホクセイ", "hokusei"),
    ("南海", "ナンカイ", "nankai"),
    ("東和", "トウワ", "towa"),
    ("大洋", "タイヨウ", "taiyo"),
    ("日昇", "ニッショウ", "nissho"),
    ("永和", "エイワ", "eiwa"),
    ("栄光", "エイコウ", "eiko"),
    ("誠和", "セイワ", "seiwa"),
    ("双葉", "フタバ", "futaba"),
    ("三和", "サンワ", "sanwa"),
    ("八千代", "ヤチヨ", "yachiyo"),
    ("泉", "イズミ", "izumi"),
    ("岡田", "オカダ", "okada"),
    ("石原", "イシハラ", "ishihara"),
    ("小野寺", "オノデラ", "onodera"),
    ("藤森", "フジモリ", "fujimori"),
    ("杉山", "スギヤマ", "sugiyama"),
    ("森田", "モリタ", "morita"),
    ("川島", "カワシマ", "kawashima"),
    ("村上", "ムラカミ", "murakami"),
    ("西村", "ニシムラ", "nishimura"),
    ("原田", "ハラダ", "harada"),
    ("堀江", "ホリエ", "horie"),
    ("宮本", "ミヤモト", "miyamoto"),
    ("岩崎", "イワサキ", "iwasaki"),
    ("長谷川", "ハセガワ", "hasegawa"),
    ("アルファ", "アルファ", "alpha"),
    ("ネクスト", "ネクスト", "next"),
    ("ミライ", "ミライ", "mirai"),
    ("ブライト", "ブライト", "bright"),
    ("グローバル", "グローバル", "global"),
    ("エース", "エース", "ace"),
    ("ユニオン", "ユニオン", "union"),
    ("スマイル", "スマイル", "smile"),
    ("リンク", "リンク", "link"),
    ("コスモ", "コスモ", "cosmo"),
    ("ステラ", "ステラ", "stella"),
    ("やまびこ", "ヤマビコ", "yamabiko"),
    ("ひかり", "ヒカリ", "hikari"),
    ("さくら", "サクラ", "sakura"),
    ("みどり", "ミドリ", "midori"),
    ("あおぞら", "アオゾラ", "aozora"),
)
ENDINGS: tuple[tuple[str, str, str, str], ...] = (
    ("工業", "コウギョウ", "kogyo", "製造業"),
    ("製作所", "セイサクショ", "seisakusho", "製造業"),
    ("精機", "セイキ", "seiki", "製造業"),
    ("電機", "デンキ", "denki", "製造業"),
    ("化学", "カガク", "kagaku", "製造業"),
    ("金属", "キンゾク", "kinzoku", "製造業"),
    ("工機", "コウキ", "koki", "製造業"),
    ("商事", "ショウジ", "shoji", "卸売・商社"),
    ("物産", "ブッサン", "bussan", "卸売・商社"),
    ("産業", "サンギョウ", "sangyo", "卸売・商社"),
    ("商会", "ショウカイ", "shokai", "卸売・商社"),
    ("システムズ", "システムズ", "systems", "情報通信業"),
    ("ソフトウェア", "ソフトウェア", "software", "情報通信業"),
    ("テクノロジーズ", "テクノロジーズ", "technologies", "情報通信業"),
    ("ネットワークス", "ネットワークス", "networks", "情報通信業"),
    ("情報システム", "ジョウホウシステム", "johosystem", "情報通信業"),
    ("建設", "ケンセツ", "kensetsu", "建設業"),
    ("工務店", "コウムテン", "komuten", "建設業"),
    ("不動産", "フドウサン", "fudosan", "不動産業"),
    ("ハウジング", "ハウジング", "housing", "不動産業"),
    ("運輸", "ウンユ", "unyu", "運輸・物流"),
    ("物流", "ブツリュウ", "butsuryu", "運輸・物流"),
    ("ロジスティクス", "ロジスティクス", "logistics", "運輸・物流"),
    ("食品", "ショクヒン", "shokuhin", "食品"),
    ("フーズ", "フーズ", "foods", "食品"),
    ("製菓", "セイカ", "seika", "食品"),
    ("酒造", "シュゾウ", "shuzo", "食品"),
    ("リテール", "リテール", "retail", "小売業"),
    ("ストアーズ", "ストアーズ", "stores", "小売業"),
    ("メディカル", "メディカル", "medical", "医療・福祉"),
    ("ケアサービス", "ケアサービス", "care", "医療・福祉"),
    ("薬品", "ヤクヒン", "yakuhin", "医薬品"),
    ("コンサルティング", "コンサルティング", "consulting", "専門サービス"),
    ("エージェンシー", "エージェンシー", "agency", "広告・マーケティング"),
    ("人材サービス", "ジンザイサービス", "jinzai", "人材サービス"),
    ("エデュケーション", "エデュケーション", "education", "教育・学習支援"),
    ("リース", "リース", "lease", "金融・保険"),
    ("エナジー", "エナジー", "energy", "エネルギー"),
)
HOLDINGS = ("ホールディングス", "ホールディングス", "holdings")
CONTACT_TITLES = (
    "情報システム部 部長",
    "情報システム部 課長",
    "経営企画部 課長",
    "経営企画部 主任",
    "DX推進室 室長",
    "総務部 課長",
    "営業企画部 マネージャー",
    "管理部 部長",
)
SMALL_PRIMARY_TITLES = ("代表取締役", "取締役", "管理部 部長")


class CustomerDemoError(Exception):
    """The customer demo cannot be built here (the database holds other accounts)."""


# --- Dates ---------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _month_start_after(day: dt.date) -> dt.date:
    """The first first-of-a-month on or after ``day``."""
    return day if day.day == 1 else _add_months(day.replace(day=1), 1)


def history_start(today: dt.date, months: int) -> dt.date:
    """The first day of the usage history: ``months`` months before ``today``."""
    return _add_months(today, -months)


# --- The plan --------------------------------------------------------------------------------


@dataclass
class _Line:
    kind: str  # "main", "addon" or "option"
    plan: str
    units: float
    start: dt.date
    end: dt.date | None
    billing: str
    discount: int  # percent


@dataclass
class _Stop:
    feature: str
    on: dt.date
    resumed: dt.date | None = None
    renewal: dt.date | None = None  # the renewal it precedes (annual) / the month it may leave


@dataclass
class _Account:
    index: int
    size: str
    billing: str
    plan: str
    discount: int
    since: dt.date
    units: float
    utilisation: float
    activity: float
    adopted: dict[str, dt.date | None]
    option_from: dt.date | None
    external_id: str = ""
    name: str = ""
    kana: str = ""
    industry: str = ""
    domain: str = ""
    parent: int | None = None
    csm: int | None = None
    lines: list[_Line] = field(default_factory=list)
    stops: list[_Stop] = field(default_factory=list)
    declines: list[tuple[dt.date, dt.date, float]] = field(default_factory=list)
    growth: list[tuple[dt.date, float]] = field(default_factory=list)  # (day, added units)
    churned_on: dt.date | None = None
    term_end: dt.date | None = None
    stage: str = LifecycleStage.ADOPTION.value
    stage_since: dt.date | None = None

    def open_stop(self, before: dt.date) -> _Stop | None:
        """A stop that began before ``before`` and has not been resumed by then."""
        for stop in self.stops:
            if stop.on < before and (stop.resumed is None or stop.resumed > before):
                return stop
        return None


@dataclass
class _User:
    account: int
    user_id: str
    name: str
    email: str
    join: dt.date
    leave: dt.date | None
    admin: bool


@dataclass
class CustomerPlan:
    today: dt.date
    start: dt.date
    accounts: list[_Account]
    users: list[_User]
    seat_factor: float
    seed: int


class _Planner:
    def __init__(self, accounts: int, users: int, months: int, seed: int, today: dt.date):
        self.n_accounts, self.n_users, self.months = accounts, users, months
        self.today = today
        self.start = history_start(today, months)
        self.seed = seed
        self.rng = random.Random(seed)

    # -- accounts and their contracts --

    def plan(self, csms: int) -> CustomerPlan:
        accounts = [self._account(i) for i in range(self.n_accounts)]
        for account in accounts:
            if account.billing == BillingPeriod.ANNUAL:
                self._annual(account)
            else:
                self._monthly(account)
        self._names(accounts)
        self._csms(accounts, csms)
        factor = self._seat_factor(accounts)
        users = self._users(accounts, factor)
        for account in accounts:
            self._stage(account)
        return CustomerPlan(self.today, self.start, accounts, users, factor, self.seed)

    def _account(self, index: int) -> _Account:
        rng = self.rng
        size = rng.choices(SIZES, weights=SIZE_SHARE)[0]
        billing = (
            BillingPeriod.ANNUAL.value
            if rng.random() < ANNUAL_SHARE[size]
            else BillingPeriod.MONTHLY.value
        )
        plan = rng.choices(PLAN_ORDER, weights=PLAN_SHARE[size])[0]
        if billing == BillingPeriod.ANNUAL:
            extra = {"small": 0, "medium": 0, "large": 5, "enterprise": 10}[size]
            discount = rng.choice((0, 5, 10, 10, 15)) + extra
        else:
            discount = 0
        new = index >= round(self.n_accounts * (1 - NEW_LOGO_SHARE))
        since = self._new_logo_start() if new else self._old_start()
        units = max(float(MIN_SEATS), SEAT_MEDIAN[size] * math.exp(rng.gauss(0, 0.45)))
        adopted: dict[str, dt.date | None] = {}
        for feature in demo_events.FEATURES:
            share = feature.account_share
            if feature.slug == "workflows":
                share += {"small": -0.15, "medium": 0.0, "large": 0.15, "enterprise": 0.25}[size]
            if rng.random() >= share:
                adopted[feature.slug] = None
                continue
            quick = feature.slug in ("reports", "dashboards")
            delay = rng.randint(0, 21 if quick else 120)
            day = since + dt.timedelta(days=delay)
            if since < self.start and rng.random() < (0.03 if quick else 0.15):
                day = self.start + dt.timedelta(
                    days=rng.randint(30, (self.today - self.start).days)
                )
            adopted[feature.slug] = day
        option_from = None
        if rng.random() < 0.15:
            first = max(since, _add_months(self.start, -12))
            span = max(1, (self.today.year - first.year) * 12 + self.today.month - first.month)
            option_from = _add_months(first.replace(day=1), rng.randint(1, span))
            if option_from > self.today:
                option_from = None
        return _Account(
            index=index,
            size=size,
            billing=billing,
            plan=plan,
            discount=discount,
            since=since,
            units=units,
            utilisation=rng.uniform(0.55, 0.95) if size != "enterprise" else rng.uniform(0.5, 0.85),
            activity=ACTIVITY[size] * math.exp(rng.gauss(0, 0.2)),
            adopted=adopted,
            option_from=option_from,
        )

    def _old_start(self) -> dt.date:
        years = 0.1 + 7.5 * self.rng.random() ** 1.4
        return _add_months(self.start.replace(day=1), -max(1, round(years * 12)))

    def _new_logo_start(self) -> dt.date:
        first = _month_start_after(self.start + dt.timedelta(days=1))
        months: list[dt.date] = []
        day = first
        while day <= self.today:
            months.append(day)
            day = _add_months(day, 1)
        if not months:
            return self.today
        weights = [
            (2.0 if m.month == 4 else 1.3 if m.month == 10 else 1.0) * (1 + 0.5 * n / len(months))
            for n, m in enumerate(months)
        ]
        return self.rng.choices(months, weights=weights)[0]

    def _maybe_stop(self, account: _Account, renewal: dt.date, lead: tuple[int, int]) -> None:
        """Perhaps stop a key feature ``lead`` days before ``renewal`` (see the module
        docstring); only where the usage before the stop is in the history."""
        if account.open_stop(renewal) is not None:
            return
        on = renewal - dt.timedelta(days=self.rng.randint(*lead))
        if on < self.start + dt.timedelta(days=30) or on >= self.today:
            return
        candidates = [
            slug
            for slug in STOP_FEATURE_WEIGHTS
            if (adopted := account.adopted.get(slug)) is not None
            and adopted <= on - dt.timedelta(days=60)
        ]
        if not candidates:
            return
        feature = self.rng.choices(candidates, [STOP_FEATURE_WEIGHTS[s] for s in candidates])[0]
        account.stops.append(_Stop(feature, on, renewal=renewal))

    def _fade(self) -> dt.timedelta:
        return dt.timedelta(days=self.rng.randint(*PRE_CHURN_DAYS))

    def _annual(self, account: _Account) -> None:
        rng = self.rng
        term_start, units = account.since, account.units
        while True:
            term_end = _add_months(term_start, 12)
            account.lines.append(
                _Line(
                    "main",
                    account.plan,
                    units,
                    term_start,
                    term_end,
                    account.billing,
                    account.discount,
                )
            )
            added = 0.0
            if term_end > self.start and rng.random() < 0.12:
                first = _add_months(max(term_start, self.start.replace(day=1)), 1)
                last = _add_months(term_end, -2)
                choices = []
                day = first
                while day <= last and day <= self.today:
                    choices.append(day)
                    day = _add_months(day, 1)
                if choices:
                    on = rng.choice(choices)
                    added = max(1.0, units * rng.uniform(0.1, 0.3))
                    account.lines.append(
                        _Line(
                            "addon",
                            account.plan,
                            added,
                            on,
                            term_end,
                            account.billing,
                            account.discount,
                        )
                    )
                    account.growth.append((on, added))
            if account.option_from is not None and account.option_from < term_end:
                account.lines.append(
                    _Line(
                        "option",
                        account.plan,
                        0,
                        max(account.option_from, term_start),
                        term_end,
                        account.billing,
                        account.discount,
                    )
                )
            renewal = term_end
            if (
                renewal >= self.start + dt.timedelta(days=150)
                and rng.random() < STOP_SHARE * STOP_SIZE[account.size]
            ):
                self._maybe_stop(account, renewal, STOP_LEAD_DAYS)
            if renewal > self.today:
                account.term_end = renewal
                return
            stop = account.open_stop(renewal - dt.timedelta(days=STOP_LEAD_DAYS[0] - 1))
            if renewal > self.start:
                risk = STOP_CHURN if stop is not None else BASE_CHURN[account.size]
                if rng.random() < risk:
                    account.churned_on = renewal
                    if stop is None:
                        account.declines.append((renewal - self._fade(), renewal, PRE_CHURN_FACTOR))
                    return
            if stop is not None and stop.resumed is None:
                stop.resumed = (
                    renewal + dt.timedelta(days=rng.randint(7, 60))
                    if rng.random() < RESUME_AFTER_RENEWAL
                    else dt.date.max
                )
            units += added
            move = rng.random()
            if move < EXPAND:
                grown = units * rng.uniform(0.1, 0.5)
                units += grown
                if renewal > self.start:
                    account.growth.append((renewal, grown))
                if rng.random() < 0.08 and account.plan != PLAN_ORDER[-1]:
                    account.plan = PLAN_ORDER[PLAN_ORDER.index(account.plan) + 1]
            elif move < EXPAND + CONTRACT:
                units = max(float(MIN_SEATS), units * rng.uniform(0.7, 0.92))
            term_start = renewal

    def _monthly(self, account: _Account) -> None:
        rng = self.rng
        line = _Line("main", account.plan, account.units, account.since, None, account.billing, 0)
        account.lines.append(line)
        month = _add_months(account.since, 1)
        while month <= self.today:
            if month > self.start:
                stop = account.open_stop(month)
                due = stop is not None and stop.renewal == month
                risk = STOP_CHURN if due else MONTHLY_HAZARD[account.size]
                if rng.random() < risk:
                    line.end = month
                    account.churned_on = month
                    if not due:
                        account.declines.append((month - self._fade(), month, PRE_CHURN_FACTOR))
                    break
                if due and stop is not None:
                    stop.resumed = (
                        month + dt.timedelta(days=rng.randint(7, 60))
                        if rng.random() < RESUME_AFTER_RENEWAL
                        else dt.date.max
                    )
                if (
                    account.open_stop(month) is None
                    and rng.random() < MONTHLY_STOP_HAZARD * STOP_SIZE[account.size]
                ):
                    on = month + dt.timedelta(days=rng.randint(0, 27))
                    leave = _month_start_after(
                        on + dt.timedelta(days=rng.randint(*MONTHLY_STOP_LEAD_DAYS))
                    )
                    self._maybe_stop(account, leave, ((leave - on).days, (leave - on).days))
            move = rng.random()
            if move < MONTHLY_EXPAND + MONTHLY_CONTRACT:
                units = line.units
                if move < MONTHLY_EXPAND:
                    grown = units * rng.uniform(0.1, 0.4)
                    new_units = units + grown
                    if month > self.start:
                        account.growth.append((month, grown))
                else:
                    new_units = max(float(MIN_SEATS), units * rng.uniform(0.7, 0.9))
                line.end = month
                line = _Line("main", account.plan, new_units, month, None, account.billing, 0)
                account.lines.append(line)
            month = _add_months(month, 1)
        if account.option_from is not None:
            end = account.churned_on
            if end is None or account.option_from < end:
                account.lines.append(
                    _Line("option", account.plan, 0, account.option_from, end, account.billing, 0)
                )

    # -- names, groups and owners --

    def _names(self, accounts: list[_Account]) -> None:
        """Unique names; about 2.5 % of accounts are holding companies whose subsidiaries
        (1–3, sharing the holding's stem) are customers too."""
        rng = self.rng
        pairs = [(s, e) for s in range(len(STEMS)) for e in range(len(ENDINGS))]
        rng.shuffle(pairs)
        used_stems: set[int] = set()
        free = iter(pairs)
        order = list(range(len(accounts)))
        groups = max(1, round(len(accounts) * 0.025))
        parents = rng.sample(
            [a.index for a in accounts if a.size in ("large", "enterprise")] or order,
            k=min(groups, len(accounts) // 4),
        )
        children_pool = [i for i in order if i not in set(parents)]
        rng.shuffle(children_pool)
        width = max(4, len(str(len(accounts))))
        for position, account in enumerate(accounts):
            account.external_id = f"ACC-{position + 1:0{width}d}"
        taken: set[tuple[int, int]] = set()
        named: set[int] = set()
        for parent_index in parents:
            stem = next(s for s in rng.sample(range(len(STEMS)), len(STEMS)) if s not in used_stems)
            used_stems.add(stem)
            parent = accounts[parent_index]
            kanji, kana, romaji = STEMS[stem]
            parent.name = f"{kanji}{HOLDINGS[0]}株式会社"
            parent.kana = f"{kana}{HOLDINGS[1]}"
            parent.domain = f"{romaji}-{HOLDINGS[2]}.example.jp"
            named.add(parent_index)
            endings = rng.sample(range(len(ENDINGS)), 3)
            parent.industry = ENDINGS[endings[0]][3]
            for ending in endings[: rng.randint(1, 3)]:
                if not children_pool:
                    break
                child = accounts[children_pool.pop()]
                self._name(child, stem, ending)
                taken.add((stem, ending))
                child.parent = parent_index
                named.add(child.index)
        for account in accounts:
            if account.index in named:
                continue
            for stem, ending in free:
                if stem not in used_stems and (stem, ending) not in taken:
                    break
            else:  # more accounts than names: reuse a pair (told apart below)
                stem, ending = rng.randrange(len(STEMS)), rng.randrange(len(ENDINGS))
            taken.add((stem, ending))
            self._name(account, stem, ending)
        seen: dict[str, int] = {}
        for account in accounts:
            count = seen.get(account.name, 0)
            seen[account.name] = count + 1
            if count:
                account.name = f"{account.name}（{account.external_id}）"
                account.domain = f"{account.external_id.lower()}.{account.domain}"

    def _name(self, account: _Account, stem: int, ending: int) -> None:
        kanji, kana, romaji = STEMS[stem]
        e_kanji, e_kana, e_romaji, industry = ENDINGS[ending]
        if self.rng.random() < 0.6:
            account.name = f"株式会社{kanji}{e_kanji}"
        else:
            account.name = f"{kanji}{e_kanji}株式会社"
        account.kana = f"{kana}{e_kana}"
        account.industry = industry
        account.domain = f"{romaji}-{e_romaji}.example.jp"

    def _csms(self, accounts: list[_Account], csms: int) -> None:
        """Owners by index into the CSM list; a group shares its holding's CSM; a few
        small monthly accounts are left to the pooled (tech-touch) team, i.e. nobody."""
        if csms <= 0:
            return
        rng = random.Random(f"{self.seed}:csm")  # the rest of the plan does not depend on it
        for account in accounts:
            if account.parent is not None:
                continue
            if account.size == "small" and account.billing == "monthly" and rng.random() < 0.2:
                continue
            account.csm = rng.randrange(csms)
        for account in accounts:
            if account.parent is not None:
                account.csm = accounts[account.parent].csm

    # -- seats and users --

    def _units_on(self, account: _Account, day: dt.date) -> float:
        return sum(
            line.units
            for line in account.lines
            if line.kind != "option" and line.start <= day and (line.end is None or day < line.end)
        )

    def _seat_factor(self, accounts: list[_Account]) -> float:
        """Seats are drawn in arbitrary units; this scales them so that the users that
        fill them (utilisation × seats, plus expansions and replacements) are about the
        requested number."""
        estimate = 0.0
        for account in accounts:
            first = max(account.since, self.start)
            base = self._units_on(account, first) * account.utilisation
            grown = sum(units for _day, units in account.growth) * account.utilisation
            estimate += (base + grown) * (1 + 0.6 * USER_LEAVE_RATE * self.months / 12)
        return max(0.05, self.n_users / estimate) if estimate else 1.0

    def _users(self, accounts: list[_Account], factor: float) -> list[_User]:
        """Users fill ``utilisation`` of the seats when the account starts (new logos over
        their first six weeks, the admin — the primary contact — on day one) and of every
        seat added later; ≈ 12 % leave a year, 60 % of them replaced. The list is then
        trimmed (or topped up at the larger accounts) to exactly ``users``."""
        rng = self.rng
        end = self.today

        def until(account: _Account) -> dt.date:
            return min(end, account.churned_on or end)

        slots: list[tuple[int, dt.date, bool]] = []  # (account, join, admin)
        for account in accounts:
            first = max(account.since, self.start)
            if first >= until(account):
                continue
            seats = max(MIN_SEATS, round(self._units_on(account, first) * factor))
            initial = max(1, round(seats * account.utilisation))
            ramp = account.since >= self.start
            for k in range(initial):
                join = first + dt.timedelta(days=rng.randint(0, 45) if ramp and k else 0)
                slots.append((account.index, join, k == 0))
            for day, units in account.growth:
                for _k in range(round(units * factor * account.utilisation)):
                    slots.append(
                        (account.index, day + dt.timedelta(days=rng.randint(0, 30)), False)
                    )
        people: list[tuple[int, dt.date, bool, dt.date | None]] = []
        queue = list(slots)
        while queue:
            account_index, join, admin = queue.pop()
            stop = until(accounts[account_index])
            if join >= stop:
                continue
            leave = None
            if not admin:
                days = rng.expovariate(USER_LEAVE_RATE / 365)
                if join + dt.timedelta(days=days) < stop:
                    leave = join + dt.timedelta(days=max(14, int(days)))
                    if rng.random() < 0.6:
                        queue.append(
                            (account_index, leave + dt.timedelta(days=rng.randint(5, 40)), False)
                        )
            people.append((account_index, join, admin, leave))
        people.sort(key=lambda p: (p[0], not p[2], p[1]))
        if len(people) > self.n_users:
            admins = [p for p in people if p[2]]
            others = [p for p in people if not p[2]]
            rng.shuffle(others)
            people = admins + others[: max(0, self.n_users - len(admins))]
        candidates = [a for a in accounts if max(a.since, self.start) < until(a)]
        while len(people) < self.n_users and candidates:
            account = rng.choices(candidates, weights=[a.units for a in candidates])[0]
            first = max(account.since, self.start)
            span = (until(account) - first).days
            people.append(
                (
                    account.index,
                    first + dt.timedelta(days=rng.randint(0, min(60, span - 1))),
                    False,
                    None,
                )
            )
        people.sort(key=lambda p: (p[0], not p[2], p[1]))
        users: list[_User] = []
        emails: set[str] = set()
        for number, (account_index, join, admin, leave) in enumerate(people, start=1):
            account = accounts[account_index]
            if account.churned_on is not None and (leave is None or leave > account.churned_on):
                leave = account.churned_on
            family = rng.choice(FAMILY_NAMES)
            given = rng.choice(FEMALE_GIVEN_NAMES if rng.random() < 0.45 else MALE_GIVEN_NAMES)
            base = f"{given[2]}.{family[2]}".lower()
            email, suffix = f"{base}@{account.domain}", 1
            while email in emails:
                suffix += 1
                email = f"{base}{suffix}@{account.domain}"
            emails.add(email)
            users.append(
                _User(
                    account=account_index,
                    user_id=f"usr-{number:06d}",
                    name=f"{family[0]} {given[0]}",
                    email=email,
                    join=join,
                    leave=leave,
                    admin=admin,
                )
            )
        return users

    # -- lifecycle --

    def _stage(self, account: _Account) -> None:
        today = self.today
        if account.churned_on is not None and account.churned_on <= today:
            account.stage, account.stage_since = LifecycleStage.CHURNED.value, account.churned_on
            return
        stop = account.open_stop(today)
        recent_growth = [day for day, _u in account.growth if day <= today]
        if account.since > today - dt.timedelta(days=90):
            account.stage, account.stage_since = LifecycleStage.ONBOARDING.value, account.since
        elif stop is not None and stop.on + dt.timedelta(days=30) <= today:
            account.stage = LifecycleStage.AT_RISK.value
            account.stage_since = stop.on + dt.timedelta(days=30)
        elif account.term_end is not None and account.term_end <= today + dt.timedelta(days=90):
            account.stage = LifecycleStage.RENEWAL.value
            account.stage_since = account.term_end - dt.timedelta(days=90)
        elif recent_growth and max(recent_growth) > today - dt.timedelta(days=120):
            account.stage, account.stage_since = LifecycleStage.EXPANSION.value, max(recent_growth)
        else:
            account.stage = LifecycleStage.ADOPTION.value
            account.stage_since = max(
                account.since + dt.timedelta(days=90),
                max(recent_growth, default=account.since),
            )


def plan_customers(
    accounts: int = 500,
    users: int = 5000,
    months: int = 18,
    *,
    seed: int = 7,
    today: dt.date | None = None,
    csms: int = 5,
) -> CustomerPlan:
    """The whole customer base in memory (no database access)."""
    if not 10 <= accounts <= 3000:
        raise ValueError("accounts must be between 10 and 3,000")
    if not accounts <= users <= 200_000:
        raise ValueError("users must be at least the number of accounts and at most 200,000")
    if not 6 <= months <= 60:
        raise ValueError("months must be between 6 and 60")
    return _Planner(accounts, users, months, seed, today or timezone.localdate()).plan(csms)


# --- From the plan to rows -------------------------------------------------------------------


def _seats(units: float, factor: float, kind: str) -> int:
    if kind == "option":
        return 1
    return max(1 if kind == "addon" else MIN_SEATS, round(units * factor))


def line_mrr(line: _Line, seats: int, size: str) -> int:
    """Monthly amount in yen after the discount (annual plans too: METRICS' MRR)."""
    _name, base, per_seat = PLANS[line.plan]
    if line.kind == "option":
        gross = OPTION_MRR[size]
    elif line.kind == "addon":
        gross = seats * per_seat
    else:
        gross = base + seats * per_seat
    return round(gross * (100 - line.discount) / 100)


def usage_plan(plan: CustomerPlan) -> demo_events.UsagePlan:
    """What the event generator needs, as arrays (see ``demo_events.UsagePlan``)."""
    start, days = plan.start, (plan.today - plan.start).days
    rng = np.random.default_rng([plan.seed, len(plan.accounts), len(plan.users), days])
    n_accounts, n_features = len(plan.accounts), len(demo_events.FEATURES)

    def index(day: dt.date | None) -> int:
        if day is None:
            return days
        return min(days, max(0, (day - start).days))

    factor = np.zeros((n_accounts, days), dtype=np.float32)
    feature_on = np.zeros((n_accounts, n_features, days), dtype=bool)
    for account in plan.accounts:
        a = account.index
        first, last = index(max(account.since, start)), index(account.churned_on)
        factor[a, first:last] = account.activity
        if account.since >= start:  # onboarding: usage ramps up over two months
            ramp = np.linspace(0.5, 1.0, 60, dtype=np.float32)
            span = min(60, last - first)
            if span > 0:
                factor[a, first : first + span] *= ramp[:span]
        for begin, end, multiplier in account.declines:
            factor[a, index(begin) : index(end)] *= multiplier
        for f, feature in enumerate(demo_events.FEATURES):
            adopted = account.adopted.get(feature.slug)
            if adopted is not None:
                feature_on[a, f, max(first, index(adopted)) : last] = True
        for stop in account.stops:
            f = demo_events.FEATURE_SLUGS.index(stop.feature)
            resumed = None if stop.resumed in (None, dt.date.max) else stop.resumed
            feature_on[a, f, index(stop.on) : index(resumed)] = False
            factor[a, index(stop.on) : index(resumed)] *= STOPPED_FACTOR

    n_users = len(plan.users)
    admin = np.array([u.admin for u in plan.users])
    user_account = np.array([u.account for u in plan.users], dtype=np.int64)
    habit = np.where(admin, rng.uniform(0.7, 0.95, n_users), rng.beta(2.0, 2.6, n_users))
    intensity = np.exp(rng.normal(0.0, 0.5, n_users))
    affinity = np.zeros((n_users, n_features))
    for f, feature in enumerate(demo_events.FEATURES):
        takes_up = np.array(
            [plan.accounts[a].adopted.get(feature.slug) is not None for a in range(n_accounts)]
        )
        uses = admin | (rng.random(n_users) < feature.user_share)
        affinity[:, f] = np.where(
            takes_up[user_account] & uses, np.exp(rng.normal(0.0, 0.5, n_users)), 0.0
        )
    return demo_events.UsagePlan(
        start=start,
        days=days,
        account_ids=[a.external_id for a in plan.accounts],
        account_names=[a.name for a in plan.accounts],
        account_factor=factor,
        feature_on=feature_on,
        user_ids=[u.user_id for u in plan.users],
        user_names=[u.name for u in plan.users],
        user_emails=[u.email for u in plan.users],
        user_account=user_account,
        user_join=np.array([index(u.join) for u in plan.users], dtype=np.int64),
        user_leave=np.array([index(u.leave) for u in plan.users], dtype=np.int64),
        user_habit=habit,
        user_intensity=intensity,
        user_affinity=affinity,
    )


# --- Writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsmLogin:
    email: str
    name: str
    accounts: int


@dataclass(frozen=True)
class CustomerDemo:
    created: bool
    accounts: int
    active_accounts: int
    subscriptions: int
    contacts: int
    users: int
    events: int
    history_start: dt.date
    today: dt.date
    csms: list[CsmLogin] = field(default_factory=list)


def _csm_users(password_hash: str, create: bool) -> list[User]:
    """The demo's CSMs: csm@sample.example first, then up to ``EXTRA_CSMS`` members (not
    heads) of the カスタマーサクセス teams, given a login once. Without the org demo,
    logins of their own (cs1@sample.example, …) stand in."""
    from kizuna.org.models import Department, Employee

    users: list[User] = []
    main = User.objects.filter(email=f"csm@{DEMO_DOMAIN}").first()
    if main is not None:
        users.append(main)
    teams = Department.objects.filter(name__startswith=CSM_TEAM_PREFIX, children__isnull=True)
    heads = Department.objects.filter(head__isnull=False).values("head_id")
    members = Employee.objects.filter(
        department__in=teams, leave_date__isnull=True, email__contains="@"
    ).exclude(pk__in=heads)
    existing = list(
        User.objects.filter(role_assignments__role=Role.CSM)
        .exclude(email=f"csm@{DEMO_DOMAIN}")
        .filter(Q(employee__in=members) | Q(email__regex=rf"^cs[0-9]+@{DEMO_DOMAIN}$"))
        .order_by("pk")
        .distinct()
    )
    if existing or not create:
        return users + existing
    if members.exists():
        for employee in members.filter(user__isnull=True).order_by("employee_number")[:EXTRA_CSMS]:
            user = User.objects.create(
                email=employee.email.lower(),
                display_name=f"{employee.family_name} {employee.given_name}",
                password=password_hash,
            )
            access.set_roles(user, {Role.CSM})
            employee.user = user
            employee.save(update_fields=["user"])
            users.append(user)
    if len(users) < 2:
        rng = random.Random(EXTRA_CSMS)
        for n in range(1, EXTRA_CSMS + 1):
            family = rng.choice(FAMILY_NAMES[:40])
            given = rng.choice(FEMALE_GIVEN_NAMES[:40] + MALE_GIVEN_NAMES[:40])
            user = User.objects.create(
                email=f"cs{n}@{DEMO_DOMAIN}",
                display_name=f"{family[0]} {given[0]}",
                password=password_hash,
            )
            access.set_roles(user, {Role.CSM})
            users.append(user)
    return users


def _write_customers(plan: CustomerPlan, owners: list[User]) -> tuple[int, int]:
    """Accounts (holdings first, so subsidiaries can point at them), contacts and
    subscriptions; returns (contacts, subscriptions) written."""
    rng = random.Random(len(plan.accounts))
    rows: dict[int, Account] = {}
    tiers = [
        [a for a in plan.accounts if a.parent is None],
        [a for a in plan.accounts if a.parent is not None],
    ]
    for tier in tiers:
        created = Account.objects.bulk_create(
            [
                Account(
                    external_id=a.external_id,
                    name=a.name,
                    name_kana=a.kana,
                    industry=a.industry,
                    size_band=SizeBand(a.size).value,
                    parent_id=rows[a.parent].pk if a.parent is not None else None,
                    csm_owner_id=owners[a.csm].pk if a.csm is not None and owners else None,
                    lifecycle_stage=a.stage,
                    stage_changed_on=a.stage_since or a.since,
                )
                for a in tier
            ],
            batch_size=1000,
        )
        for account, row in zip(tier, created, strict=True):
            rows[account.index] = row
    users_by_account: dict[int, list[_User]] = {}
    for user in plan.users:
        users_by_account.setdefault(user.account, []).append(user)
    contacts: list[Contact] = []
    for account in plan.accounts:
        low, high = CONTACTS[account.size]
        people = users_by_account.get(account.index, [])
        for k in range(rng.randint(low, high)):
            if k < len(people) and (k == 0 or rng.random() < 0.5):
                name, email = people[k].name, people[k].email
            else:
                family = rng.choice(FAMILY_NAMES)
                given = rng.choice(FEMALE_GIVEN_NAMES + MALE_GIVEN_NAMES)
                name = f"{family[0]} {given[0]}"
                email = f"{given[2]}.{family[2]}".lower() + f"@{account.domain}"
            if k == 0 and account.size == "small":
                title = rng.choice(SMALL_PRIMARY_TITLES)
            else:
                title = rng.choice(CONTACT_TITLES)
            contacts.append(
                Contact(
                    account=rows[account.index],
                    external_id=f"CON-{len(contacts) + 1:05d}",
                    name=name,
                    email=email,
                    title=title,
                    is_primary=k == 0,
                )
            )
    Contact.objects.bulk_create(contacts, batch_size=1000)
    subscriptions: list[Subscription] = []
    for account in plan.accounts:
        for line in sorted(account.lines, key=lambda li: (li.start, li.kind)):
            seats = _seats(line.units, plan.seat_factor, line.kind)
            plan_name = PLANS[line.plan][0]
            subscriptions.append(
                Subscription(
                    account=rows[account.index],
                    external_id=f"SUB-{len(subscriptions) + 1:06d}",
                    product=OPTION_PRODUCT if line.kind == "option" else PRODUCT,
                    plan=(
                        "分析オプション"
                        if line.kind == "option"
                        else f"{plan_name}（追加ライセンス）"
                        if line.kind == "addon"
                        else plan_name
                    ),
                    mrr=Decimal(line_mrr(line, seats, account.size)),
                    quantity=seats,
                    start_date=line.start,
                    end_date=line.end,
                    billing_period=line.billing,
                    discount_pct=Decimal(line.discount),
                )
            )
    Subscription.objects.bulk_create(subscriptions, batch_size=1000)
    return len(contacts), len(subscriptions)


def _summary(
    created: bool, plan_today: dt.date, start: dt.date, events: int, owners: list[User]
) -> CustomerDemo:
    demo_accounts = Account.objects.all()
    counts = {user.pk: user.csm_accounts.count() for user in owners}
    with store.connect(read_only=True) as con:
        row = con.execute(
            "SELECT count(DISTINCT user_id) FROM identities WHERE user_id LIKE 'usr-%'"
        ).fetchone()
    return CustomerDemo(
        created=created,
        accounts=demo_accounts.count(),
        active_accounts=demo_accounts.active_on(plan_today).count(),
        subscriptions=Subscription.objects.count(),
        contacts=Contact.objects.count(),
        users=int(row[0]) if row else 0,
        events=events,
        history_start=start,
        today=plan_today,
        csms=[CsmLogin(u.email, u.display_name, counts[u.pk]) for u in owners],
    )


def _stored_events(source_id: int) -> tuple[int, dt.date | None]:
    """The demo's usage events in the store and the (Tokyo) day of the first."""
    with store.connect(read_only=True) as con:
        row = con.execute(
            "SELECT count(*), CAST(timezone('Asia/Tokyo', min(timestamp)) AS DATE) FROM events"
            " WHERE source_id = $1 AND type IN ('track', 'page')",
            [source_id],
        ).fetchone()
    return (int(row[0]), row[1]) if row else (0, None)


def _matches(plan: CustomerPlan) -> bool:
    """Whether the stored customers are the ones ``plan`` describes (same accounts and
    the same number of subscriptions), so that its events belong to them."""
    stored = dict(Account.objects.values_list("external_id", "name"))
    planned = {a.external_id: a.name for a in plan.accounts}
    lines = sum(len(a.lines) for a in plan.accounts)
    return stored == planned and Subscription.objects.count() == lines


def build_customer_demo(
    accounts: int = 500,
    users: int = 5000,
    months: int = 18,
    events: int | None = None,
    seed: int = 7,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> CustomerDemo:
    """Create the sample company's customers and their usage once (see the module
    docstring). Idempotent: when the demo's event source exists, the database is left
    as it is (events are only written if the store lacks them, e.g. after a crash
    between the two stores). Refuses (``CustomerDemoError``) to mix the demo into a
    database that already holds accounts of its own. ``events``: the exact number of
    usage events (default: about four per active user-day)."""
    report = progress or (lambda message: None)
    today = today or timezone.localdate()
    if events is not None and events < 0:
        raise ValueError("events must not be negative")
    source = Source.objects.filter(name=DEMO_SOURCE_NAME).first()
    built = source is not None and Account.objects.filter(external_id__startswith="ACC-").exists()
    if not built and Account.objects.exists():
        raise CustomerDemoError(
            _("The database already holds customer accounts; the customer demo needs none.")
        )
    password_hash = "" if built else make_password(DEMO_PASSWORD)
    with transaction.atomic():
        owners = _csm_users(password_hash, create=not built)
        plan = None
        if not built:
            report(
                _("Planning the customers (%(accounts)s accounts, %(users)s users)…")
                % {"accounts": f"{accounts:,}", "users": f"{users:,}"}
            )
            plan = plan_customers(accounts, users, months, seed=seed, today=today, csms=len(owners))
            report(_("Writing accounts, contacts and subscriptions…"))
            _write_customers(plan, owners)
            demo_events.ensure_features()
            source = Source.objects.create(
                name=DEMO_SOURCE_NAME, key_prefix="demo", key_hash=f"demo:{seed}:{today}"
            )
    assert source is not None
    with store.connect(read_only=False) as con:
        missing = not demo_events.has_demo_events(con, source.pk)
        written = 0
        if missing and plan is None:  # the customers exist but their events do not
            plan = plan_customers(accounts, users, months, seed=seed, today=today, csms=len(owners))
            if not _matches(plan):
                missing = False  # built with other settings: leave the store alone
        if missing and plan is not None:
            report(_("Writing usage events…"))
            started = last = time.monotonic()

            def counted(count: int) -> None:
                nonlocal last
                if time.monotonic() - last >= 5:
                    last = time.monotonic()
                    report(_("%(count)s events") % {"count": f"{count:,}"})

            written = demo_events.write_events(
                con, usage_plan(plan), source.pk, events=events, seed=seed, progress=counted
            )
            report(
                _("%(count)s usage events written in %(seconds).1f s.")
                % {"count": f"{written:,}", "seconds": time.monotonic() - started}
            )
    if plan is not None and written:
        stored, start = written, plan.start
    else:
        stored, first = _stored_events(source.pk)
        start = first or history_start(today, months)
    return _summary(not built, today, start, stored, owners)


__all__ = [
    "DEMO_SOURCE_NAME",
    "CustomerDemo",
    "CustomerDemoError",
    "CustomerPlan",
    "build_customer_demo",
    "history_start",
    "plan_customers",
    "usage_plan",
]
