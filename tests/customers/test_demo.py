"""The customer demo at a small scale (200 accounts, 1,500 users, 400,000 events).

Everything is measured from the generated rows themselves with pandas (subscriptions
from the database, events from the DuckDB file), never from the builder's internal plan:
consistency of accounts, subscriptions and events, the planted behaviour (accounts that
stopped using a key feature before a renewal churn at it far more often), and plausible
levels of churn, net retention and stickiness for a Japanese B2B SaaS.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from kizuna.core.models import User, UserRole
from kizuna.core.roles import Role
from kizuna.customers.demo import (
    DEMO_SOURCE_NAME,
    PLANS,
    CustomerDemoError,
    build_customer_demo,
)
from kizuna.customers.models import Account, Contact, LifecycleStage, Subscription
from kizuna.usage.demo_events import japanese_holidays
from kizuna.usage.models import Feature, Source

TODAY = dt.date(2026, 11, 26)
START = dt.date(2025, 5, 26)  # 18 months before TODAY
ACCOUNTS, USERS, EVENTS = 200, 1500, 400_000
KEY_FEATURES = ("reports", "dashboards", "workflows")


@pytest.fixture(autouse=True)
def events_store(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "events.duckdb"
    settings.EVENTS_URL = f"duckdb:///{path}"
    return path


def build(**overrides: Any) -> Any:
    options: dict[str, Any] = {
        "accounts": ACCOUNTS,
        "users": USERS,
        "events": EVENTS,
        "today": TODAY,
    }
    return build_customer_demo(**(options | overrides))


@pytest.fixture
def demo(db: None) -> Any:
    return build()


def events_frame(path: Path) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        frame = con.execute(
            "SELECT message_id, source_id, type, event, name, user_id, group_id, "
            "epoch_us(timestamp) AS us FROM events"
        ).df()
    finally:
        con.close()
    frame["day"] = (
        pd.to_datetime(frame["us"], unit="us", utc=True).dt.tz_convert("Asia/Tokyo").dt.date
    )
    return frame


def table(path: Path, name: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT * FROM {name}").df()  # noqa: S608
    finally:
        con.close()


def subscriptions() -> pd.DataFrame:
    return pd.DataFrame(
        Subscription.objects.values(
            "account_id",
            "account__external_id",
            "product",
            "plan",
            "mrr",
            "quantity",
            "start_date",
            "end_date",
            "billing_period",
            "discount_pct",
        )
    )


def covers(subs: pd.DataFrame, day: dt.date) -> pd.Series:
    return (subs["start_date"] <= day) & (subs["end_date"].isna() | (subs["end_date"] > day))


def active_on(subs: pd.DataFrame, day: dt.date) -> set[str]:
    return set(subs.loc[covers(subs, day), "account__external_id"])


def feature_events() -> dict[str, set[str]]:
    return {f.slug: set(f.event_names) for f in Feature.objects.all()}


def qualifying(events: pd.DataFrame) -> pd.DataFrame:
    q = events[events["type"].isin(["track", "page"]) & events["user_id"].notna()].copy()
    q["event_name"] = q["event"].where(q["type"] == "track", q["name"])
    return q


# --- Building once and only once -----------------------------------------------------------


def snapshot(path: Path) -> dict[str, Any]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        stored = con.execute(
            "SELECT count(*), sum(hash(message_id)), sum(epoch_us(timestamp)) FROM events"
        ).fetchone()
        others = con.execute(
            "SELECT (SELECT count(*) FROM identities), (SELECT count(*) FROM group_memberships)"
        ).fetchone()
    finally:
        con.close()
    rows = {
        model.__name__: list(model.objects.order_by("pk").values_list())
        for model in (Account, Contact, Subscription, User, UserRole, Feature, Source)
    }
    return {"events": stored, "others": others, **rows}


def test_second_build_changes_nothing(demo: Any, events_store: Path) -> None:
    assert demo.created
    before = snapshot(events_store)
    again = build()
    assert not again.created
    assert snapshot(events_store) == before
    assert again.accounts == demo.accounts == ACCOUNTS
    assert again.events == demo.events == EVENTS
    assert again.history_start == demo.history_start == START


def test_interrupted_event_writing_is_completed_by_the_next_build(
    demo: Any, events_store: Path
) -> None:
    """Events are committed span by span and the identify calls last: a run that died
    before those leaves a partial set, which the next build replaces with the whole."""
    before = snapshot(events_store)
    con = duckdb.connect(str(events_store))
    try:
        con.execute("DELETE FROM events WHERE type = 'identify' OR message_id LIKE 'demo-1%'")
        con.execute("DELETE FROM identities")
        con.execute("DELETE FROM group_memberships")
    finally:
        con.close()
    again = build()
    assert not again.created
    assert snapshot(events_store) == before


def test_refuses_a_database_with_accounts_of_its_own(db: None, events_store: Path) -> None:
    Account.objects.create(external_id="X-1", name="株式会社既存")
    with pytest.raises(CustomerDemoError):
        build()
    assert list(Account.objects.values_list("external_id", flat=True)) == ["X-1"]
    assert not Source.objects.filter(name=DEMO_SOURCE_NAME).exists()
    assert not events_store.exists() or table(events_store, "events").empty


def test_same_seed_same_customers(db: None, events_store: Path, tmp_path: Path) -> None:
    from kizuna.customers.demo import plan_customers

    first = plan_customers(ACCOUNTS, USERS, seed=3, today=TODAY)
    second = plan_customers(ACCOUNTS, USERS, seed=3, today=TODAY)
    assert [a.name for a in first.accounts] == [a.name for a in second.accounts]
    assert [u.email for u in first.users] == [u.email for u in second.users]
    other = plan_customers(ACCOUNTS, USERS, seed=4, today=TODAY)
    assert [a.name for a in first.accounts] != [a.name for a in other.accounts]


# --- Consistency ------------------------------------------------------------------------------


def test_accounts_contacts_and_owners(demo: Any) -> None:
    accounts = pd.DataFrame(
        Account.objects.values(
            "id",
            "external_id",
            "name",
            "name_kana",
            "industry",
            "size_band",
            "parent_id",
            "csm_owner_id",
            "lifecycle_stage",
            "stage_changed_on",
        )
    )
    assert len(accounts) == ACCOUNTS
    assert accounts["external_id"].str.fullmatch(r"ACC-\d{4}").all()
    assert accounts["name"].is_unique
    assert accounts["name"].str.contains("株式会社").all()
    assert accounts["name_kana"].str.fullmatch(r"[ァ-ヶー]+").all()
    assert accounts["industry"].nunique() >= 8
    assert set(accounts["size_band"]) == {"small", "medium", "large", "enterprise"}
    children = accounts[accounts["parent_id"].notna()]
    assert 1 <= len(children) <= ACCOUNTS * 0.15
    assert set(children["parent_id"]) <= set(accounts["id"])
    assert not set(children["id"]) & set(children["parent_id"])  # one level
    # Owners are CSMs; most accounts have one.
    owners = set(accounts["csm_owner_id"].dropna().astype(int))
    csms = set(UserRole.objects.filter(role=Role.CSM).values_list("user_id", flat=True))
    assert owners and owners <= csms and len(owners) >= 2
    assert accounts["csm_owner_id"].notna().mean() > 0.85
    assert (accounts["stage_changed_on"] <= TODAY).all()
    # Contacts: 1–4 per account, exactly one primary.
    contacts = pd.DataFrame(Contact.objects.values("account_id", "is_primary", "email", "name"))
    per_account = contacts.groupby("account_id").agg(
        n=("name", "size"), primary=("is_primary", "sum")
    )
    assert len(per_account) == ACCOUNTS
    assert per_account["n"].between(1, 4).all()
    assert (per_account["primary"] == 1).all()
    assert contacts["email"].str.contains("@").all()


def test_subscriptions_are_valid_and_lifecycle_follows_them(demo: Any) -> None:
    subs = subscriptions()
    assert ((subs["end_date"].isna()) | (subs["end_date"] > subs["start_date"])).all()
    assert (subs["quantity"] >= 1).all()
    assert (subs["mrr"] > 0).all()
    assert (subs["start_date"] <= TODAY).all()
    # Annual main lines run exactly one year and cost (base + seats × price) less the
    # discount; monthly lines carry no discount.
    prices = {name: (base, seat) for name, base, seat in PLANS.values()}
    main = subs[subs["plan"].isin(prices)]
    annual = main[main["billing_period"] == "annual"]
    assert len(annual) > 0
    one_year = annual.apply(
        lambda r: r["end_date"] == r["start_date"].replace(year=r["start_date"].year + 1),
        axis=1,
    )
    assert one_year.all()
    expected = main.apply(
        lambda r: round(
            (prices[r["plan"]][0] + r["quantity"] * prices[r["plan"]][1])
            * (100 - float(r["discount_pct"]))
            / 100
        ),
        axis=1,
    )
    assert (main["mrr"].astype(int) == expected).all()
    assert (subs.loc[subs["billing_period"] == "monthly", "discount_pct"] == 0).all()
    # Coverage has no gaps: from its first day until it ends, an account is always covered.
    for _account, rows in subs.groupby("account__external_id"):
        reach = rows["start_date"].min()
        for start, end in sorted(
            zip(rows["start_date"], rows["end_date"].fillna(dt.date.max), strict=True)
        ):
            assert start <= reach, f"gap before {start}"
            reach = max(reach, end)
    # Lifecycle: churned exactly when nothing covers today.
    active = active_on(subs, TODAY)
    stages = dict(Account.objects.values_list("external_id", "lifecycle_stage"))
    for external_id, stage in stages.items():
        assert (stage == LifecycleStage.CHURNED) == (external_id not in active), external_id
    # A renewals pipeline: annual terms ending in the next 90 days.
    upcoming = subs[(subs["end_date"] > TODAY) & (subs["end_date"] <= TODAY + dt.timedelta(90))]
    assert upcoming["account__external_id"].nunique() >= 5


def test_events_belong_to_accounts_and_stop_at_churn(demo: Any, events_store: Path) -> None:
    events = events_frame(events_store)
    usage = qualifying(events)
    assert len(usage) == EVENTS
    assert events["message_id"].is_unique
    external_ids = set(Account.objects.values_list("external_id", flat=True))
    assert set(usage["group_id"]) <= external_ids
    assert usage["group_id"].notna().all()
    subs = subscriptions()
    first_day = subs.groupby("account__external_id")["start_date"].min()
    churned = set(external_ids) - active_on(subs, TODAY)
    assert churned, "the demo has churned accounts"
    last_day = (
        subs[subs["account__external_id"].isin(churned)]
        .groupby("account__external_id")["end_date"]
        .max()
    )
    usage = usage.join(first_day.rename("first"), on="group_id")
    usage = usage.join(last_day.rename("churned_on"), on="group_id")
    assert (usage["day"] >= usage["first"]).all()
    after = usage[usage["churned_on"].notna() & (usage["day"] >= usage["churned_on"])]
    assert after.empty
    assert usage["day"].min() >= START and usage["day"].max() < TODAY
    # Users: identities and memberships agree with the events.
    identities = table(events_store, "identities")
    memberships = table(events_store, "group_memberships")
    assert len(identities) == USERS == demo.users
    assert set(usage["user_id"]) <= set(identities["user_id"])
    membership = dict(zip(memberships["user_id"], memberships["group_id"], strict=True))
    assert (usage["user_id"].map(membership) == usage["group_id"]).all()
    # Every feature's events occur, and every usage event is a known name.
    names = feature_events()
    assert {slug for slug in names if Feature.objects.get(slug=slug).is_key} == set(KEY_FEATURES)
    seen = set(usage["event_name"])
    for slug, events_of_feature in names.items():
        assert events_of_feature <= seen, slug


def test_japanese_office_calendar(demo: Any, events_store: Path) -> None:
    # The Cabinet Office's list of 2026 national holidays (incl. 振替休日 and 国民の休日).
    assert japanese_holidays(2026) == {
        dt.date(2026, m, d)
        for m, d in [
            (1, 1),
            (1, 12),
            (2, 11),
            (2, 23),
            (3, 20),
            (4, 29),
            (5, 3),
            (5, 4),
            (5, 5),
            (5, 6),
            (7, 20),
            (8, 11),
            (9, 21),
            (9, 22),
            (9, 23),
            (10, 12),
            (11, 3),
            (11, 23),
        ]
    }
    per_day = qualifying(events_frame(events_store)).groupby("day").size()
    per_day = per_day.reindex(
        [START + dt.timedelta(n) for n in range((TODAY - START).days)], fill_value=0
    )
    days = pd.Series(per_day.index, index=per_day.index)
    weekday = days.map(lambda d: d.weekday() < 5)
    holiday = days.map(lambda d: d in japanese_holidays(d.year))
    year_end = days.map(lambda d: (d.month, d.day) >= (12, 29) or (d.month, d.day) <= (1, 3))
    ordinary = per_day[weekday & ~holiday & ~year_end].median()
    assert per_day[~weekday].median() < 0.15 * ordinary
    assert per_day[weekday & holiday & ~year_end].median() < 0.2 * ordinary
    assert per_day[year_end].max() < 0.1 * ordinary


# --- The planted behaviour and plausible levels --------------------------------------------


def renewals_with_stops(events_store: Path) -> pd.DataFrame:
    """Every annual renewal in the history (the end of an annual main line, at least 150
    days into the history): did the account churn at it (nothing covers the renewal day)
    and had it stopped a key feature (used it before R − 120 days, not at all in
    [R − 120, R))?"""
    subs = subscriptions()
    usage = qualifying(events_frame(events_store))
    names = feature_events()
    prices = {name for name, _base, _seat in PLANS.values()}
    annual = subs[(subs["billing_period"] == "annual") & subs["plan"].isin(prices)]
    renewals = annual[
        annual["end_date"].notna()
        & (annual["end_date"] <= TODAY)
        & (annual["end_date"] >= START + dt.timedelta(150))
    ][["account__external_id", "end_date"]].drop_duplicates()
    rows = []
    for account, renewal in renewals.itertuples(index=False):
        mine = usage[usage["group_id"] == account]
        cut = renewal - dt.timedelta(120)
        stopped = False
        for slug in KEY_FEATURES:
            used = mine[mine["event_name"].isin(names[slug])]
            before = (used["day"] < cut).any()
            during = ((used["day"] >= cut) & (used["day"] < renewal)).any()
            stopped |= bool(before and not during)
        churned = account not in active_on(subs, renewal)
        rows.append(
            {"account": account, "renewal": renewal, "stopped": stopped, "churned": churned}
        )
    return pd.DataFrame(rows)


def test_accounts_that_stop_a_key_feature_churn_more(demo: Any, events_store: Path) -> None:
    renewals = renewals_with_stops(events_store)
    rates = renewals.groupby("stopped")["churned"].agg(["mean", "size", "sum"])
    assert rates.loc[True, "size"] >= 8 and rates.loc[False, "size"] >= 50
    assert rates.loc[True, "mean"] >= 0.3
    assert rates.loc[False, "mean"] <= 0.12
    assert rates.loc[True, "mean"] >= 3 * rates.loc[False, "mean"]
    table_ = [
        [int(rates.loc[True, "sum"]), int(rates.loc[True, "size"] - rates.loc[True, "sum"])],
        [int(rates.loc[False, "sum"]), int(rates.loc[False, "size"] - rates.loc[False, "sum"])],
    ]
    assert fisher_exact(table_, alternative="greater").pvalue < 0.01


def test_churn_and_retention_are_plausible(demo: Any) -> None:
    """METRICS.md definitions over the last year, recomputed here with pandas."""
    subs = subscriptions()
    year_ago = TODAY - dt.timedelta(365)
    mrr = {
        day: subs[covers(subs, day)].groupby("account__external_id")["mrr"].sum().astype(int)
        for day in (year_ago, TODAY)
    }
    start, end = mrr[year_ago], mrr[TODAY]
    churned = start.index.difference(end.index)
    logo_churn = len(churned) / len(start)
    assert 0.04 <= logo_churn <= 0.25
    kept = start.index.intersection(end.index)
    change = end[kept] - start[kept]
    contraction, expansion = -change[change < 0].sum(), change[change > 0].sum()
    nrr = (start.sum() - start[churned].sum() - contraction + expansion) / start.sum()
    grr = (start.sum() - start[churned].sum() - contraction) / start.sum()
    assert 0.9 <= nrr <= 1.2
    assert 0.75 <= grr <= 0.98
    assert len(end.index.difference(start.index)) >= 5  # new logos


def test_stickiness_is_plausible(demo: Any, events_store: Path) -> None:
    """Mean DAU over the last 28 days / users active in them (overall and the median
    account), with the 28 calendar days including weekends."""
    usage = qualifying(events_frame(events_store))
    window = usage[usage["day"] >= TODAY - dt.timedelta(28)]
    days = 28
    overall = window.groupby("day")["user_id"].nunique().sum() / days / window["user_id"].nunique()
    assert 0.1 <= overall <= 0.5
    per_account = (
        window.groupby(["group_id", "day"])["user_id"].nunique().groupby("group_id").sum() / days
    ) / window.groupby("group_id")["user_id"].nunique()
    assert 0.1 <= per_account.median() <= 0.5


def test_owners_are_the_csm_login_and_customer_success_members(
    db: None, events_store: Path
) -> None:
    from kizuna.org.demo import build_demo
    from kizuna.org.models import Employee

    build_demo(300, today=TODAY)
    built = build(accounts=60, users=400, events=20_000)
    emails = [csm.email for csm in built.csms]
    assert emails[0] == "csm@sample.example"
    assert len(emails) == 5
    for email in emails[1:]:
        employee = Employee.objects.select_related("department", "user").get(email=email)
        assert employee.department.name.startswith("カスタマーサクセス")
        assert employee.user is not None and employee.user.email == email
        assert UserRole.objects.filter(user=employee.user, role=Role.CSM).exists()
        assert employee.user.check_password("kizuna-demo")
    owners = set(Account.objects.values_list("csm_owner__email", flat=True)) - {None}
    assert owners == set(emails)
    assert (
        sum(csm.accounts for csm in built.csms)
        == Account.objects.filter(csm_owner__isnull=False).count()
    )
