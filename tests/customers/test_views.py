"""The customer success pages: what each role sees, that the numbers on the pages are the
ones computed by hand from the fixture, and that every change made from a page goes
through its service (and a bad input changes nothing).

Expected figures are worked out in the comments from the rows written here, never read
back from the code under test.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from sklearn.metrics import roc_auc_score

from kizuna.core.models import User
from kizuna.customers.models import (
    Account,
    ChurnModelRun,
    ChurnRisk,
    Contact,
    CsmAssessment,
    HealthProfile,
    HealthScore,
    Subscription,
)
from kizuna.usage import store
from kizuna.usage.models import Feature

TOKYO = dt.timezone(dt.timedelta(hours=9))


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def events_store(settings: Any, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "events.duckdb"
    settings.EVENTS_URL = f"duckdb:///{path}"
    settings.DATA_DIR = tmp_path / "data"
    yield path


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def users(make_user: Callable[..., User]) -> dict[str, User]:
    return {
        "admin": make_user("admin@cs.example", "admin"),
        "csm": make_user("csm@cs.example", "csm"),
        "csm2": make_user("csm2@cs.example", "csm"),
        "executive": make_user("exec@cs.example", "executive"),
        "support": make_user("support@cs.example", "support"),
        "marketer": make_user("marketer@cs.example", "marketer"),
        "hr": make_user("hr@cs.example", "hr"),
    }


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


_sub_ids = iter(range(1, 1_000_000))


def sub(
    account: Account, mrr: int, start: dt.date, end: dt.date | None = None, **kw: Any
) -> Subscription:
    return Subscription.objects.create(
        account=account,
        external_id=f"S{next(_sub_ids):06d}",
        product=kw.pop("product", "Kizuna Cloud"),
        mrr=Decimal(mrr),
        start_date=start,
        end_date=end,
        **kw,
    )


def score(account: Account, day: dt.date, value: float, band: str, **parts: Any) -> HealthScore:
    return HealthScore.objects.create(
        account=account, day=day, score=value, band=band, contributions=parts or {}
    )


def text_of(response: Any) -> str:
    """The page's visible text with tags and repeated whitespace removed."""
    html = response.content.decode()
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def book(users: dict[str, User], today: dt.date) -> dict[str, Account]:
    """Four active accounts and one that churned 10 days ago.

    A (csm, large)  MRR 100,000 + 20,000 (two subscriptions), latest score 30 → red
    B (csm, small)  MRR 50,000, latest score 55 → yellow
    C (csm2, small) MRR 30,000, latest score 80 → green; an older red score too
    D (no CSM)      MRR 10,000, never scored
    E               churned: its only subscription ended 10 days ago (not active)
    """
    long_ago = today - dt.timedelta(days=400)
    a = Account.objects.create(
        external_id="A",
        name="株式会社エー",
        name_kana="エー",
        size_band="large",
        csm_owner=users["csm"],
        industry="製造業",
    )
    b = Account.objects.create(
        external_id="B",
        name="株式会社ビー",
        name_kana="ビー",
        size_band="small",
        csm_owner=users["csm"],
    )
    c = Account.objects.create(
        external_id="C",
        name="株式会社シー",
        name_kana="シー",
        size_band="small",
        csm_owner=users["csm2"],
    )
    d = Account.objects.create(external_id="D", name="株式会社ディー", name_kana="ディー")
    e = Account.objects.create(external_id="E", name="株式会社イー", name_kana="イー")
    sub(a, 100_000, long_ago, today + dt.timedelta(days=20), quantity=10)
    sub(a, 20_000, long_ago, today + dt.timedelta(days=75), product="Kizuna Support")
    sub(b, 50_000, long_ago, today + dt.timedelta(days=45))
    sub(c, 30_000, long_ago)
    sub(d, 10_000, long_ago, today + dt.timedelta(days=200))
    sub(e, 40_000, long_ago, today - dt.timedelta(days=10))
    yesterday = today - dt.timedelta(days=1)
    score(a, yesterday, 30.0, "red")
    score(b, yesterday, 55.0, "yellow")
    score(c, today - dt.timedelta(days=30), 20.0, "red")
    score(c, yesterday, 80.0, "green")
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


# --- Portfolio -----------------------------------------------------------------------------


def test_portfolio_counts_accounts_and_mrr_by_band(
    book: dict[str, Account], users: dict[str, User]
) -> None:
    response = as_user(users["csm"]).get(reverse("customers:portfolio"))
    assert response.status_code == 200
    bands = {t.band: t for t in response.context["bands"]}
    # active: A, B, C, D (E churned). Latest scores: A red, B yellow, C green, D none.
    assert response.context["accounts"] == 4
    assert response.context["mrr"] == 100_000 + 20_000 + 50_000 + 30_000 + 10_000
    assert (bands["red"].accounts, bands["red"].mrr) == (1, 120_000)
    assert (bands["yellow"].accounts, bands["yellow"].mrr) == (1, 50_000)
    assert (bands["green"].accounts, bands["green"].mrr) == (1, 30_000)
    assert (bands["none"].accounts, bands["none"].mrr) == (1, 10_000)
    assert bands["red"].share == pytest.approx(0.25)
    page = text_of(response)
    assert "¥210,000" in page
    assert "株式会社イー" not in page
    # by CSM: csm has A and B (170,000), csm2 has C, nobody owns D
    by_csm = {row["csm_id"]: row for row in response.context["by_csm"]}
    assert by_csm[users["csm"].pk]["accounts"] == 2
    assert by_csm[users["csm"].pk]["mrr"] == 170_000
    assert by_csm[users["csm"].pk]["mean_score"] == pytest.approx((30 + 55) / 2)
    assert by_csm[None]["accounts"] == 1


def test_portfolio_filters_by_csm_band_and_segment(
    book: dict[str, Account], users: dict[str, User]
) -> None:
    client = as_user(users["executive"])
    mine = client.get(reverse("customers:portfolio"), {"csm": users["csm"].pk})
    assert [row["name"] for row in mine.context["table"]] == ["株式会社エー", "株式会社ビー"]
    small = client.get(reverse("customers:portfolio"), {"segment": "small", "band": "green"})
    assert [row["name"] for row in small.context["table"]] == ["株式会社シー"]
    unowned = client.get(reverse("customers:portfolio"), {"csm": "none"})
    assert [row["name"] for row in unowned.context["table"]] == ["株式会社ディー"]
    unscored = client.get(reverse("customers:portfolio"), {"band": "none"})
    assert unscored.context["accounts"] == 1


def test_portfolio_sorts_by_score_lowest_first(
    book: dict[str, Account], users: dict[str, User]
) -> None:
    response = as_user(users["csm"]).get(reverse("customers:portfolio"), {"sort": "score"})
    assert [row["name"] for row in response.context["table"]] == [
        "株式会社エー",
        "株式会社ビー",
        "株式会社シー",
        "株式会社ディー",
    ]
    partial = as_user(users["csm"]).get(
        reverse("customers:portfolio"), {"sort": "mrr", "part": "accounts"}, HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200
    assert "<h1>" not in partial.content.decode()
    assert partial.context["table"][0]["name"] == "株式会社エー"


def test_portfolio_revenue_figures_with_their_bases(
    book: dict[str, Account], users: dict[str, User], today: dt.date
) -> None:
    """Period [today − 30, today): active at start A, B, C, D, E (MRR 250,000); E churned
    (40,000); no downsell or expansion. Logo churn 1/5 = 20.0 %; MRR churn 40,000/250,000
    = 16.0 %; GRR 210,000/250,000 = 84.0 %; NRR the same."""
    start = today - dt.timedelta(days=30)
    response = as_user(users["csm"]).get(
        reverse("customers:portfolio"), {"start": start.isoformat(), "end": today.isoformat()}
    )
    figures = {f.key: f for f in response.context["revenue"]}
    assert figures["logo-churn"].value == "20.0%"
    assert "5 社のうち 1 社" in figures["logo-churn"].base  # "1 of 5 accounts", in Japanese
    assert figures["mrr-churn"].value == "16.0%"
    assert "¥40,000" in figures["mrr-churn"].base and "¥250,000" in figures["mrr-churn"].base
    assert figures["grr"].value == "84.0%"
    assert figures["nrr"].value == "84.0%"


def test_portfolio_refuses_a_bad_period_and_says_so(
    book: dict[str, Account], users: dict[str, User], today: dt.date
) -> None:
    response = as_user(users["csm"]).get(
        reverse("customers:portfolio"),
        {"start": today.isoformat(), "end": (today - dt.timedelta(days=5)).isoformat()},
    )
    assert response.status_code == 200
    assert response.context["period_form"].errors["end"]
    # falls back to the last twelve months
    assert response.context["end"] == today


def test_portfolio_empty_state_tells_what_to_do(users: dict[str, User]) -> None:
    response = as_user(users["admin"]).get(reverse("customers:portfolio"))
    assert response.status_code == 200
    assert reverse("customers:import") in response.content.decode()


# --- At-risk list --------------------------------------------------------------------------


def _run(usable: bool, **fields: Any) -> ChurnModelRun:
    defaults = {
        "days_before": 90,
        "auc": 0.81 if usable else 0.55,
        "auc_low": 0.72 if usable else 0.44,
        "auc_high": 0.90 if usable else 0.66,
        "usable": usable,
        "validation_rows": 120,
        "validation_churned": 20,
        "note": "" if usable else "not_reliable",
    }
    return ChurnModelRun.objects.create(**{**defaults, **fields})


def test_at_risk_lists_red_accounts_and_hides_risk_when_the_model_is_not_usable(
    book: dict[str, Account], users: dict[str, User], today: dt.date
) -> None:
    run = _run(usable=False)
    ChurnRisk.objects.create(run=run, account=book["B"], day=today, probability=0.9)
    response = as_user(users["csm"]).get(reverse("customers:at_risk"))
    assert [row["name"] for row in response.context["rows"]] == ["株式会社エー"]
    assert response.context["gate"].usable is False
    page = text_of(response)
    assert "0.55" in page and "0.44" in page  # the AUC and its interval say why
    assert "90%" not in page


def test_at_risk_adds_high_risk_accounts_with_reasons_when_the_model_is_usable(
    book: dict[str, Account], users: dict[str, User], today: dt.date
) -> None:
    run = _run(usable=True)
    reasons = [{"feature": "usage_trend", "direction": "low", "contribution": 0.8, "value": -1.2}]
    ChurnRisk.objects.create(
        run=run, account=book["B"], day=today, probability=0.42, reasons=reasons
    )
    ChurnRisk.objects.create(run=run, account=book["C"], day=today, probability=0.10)
    ChurnRisk.objects.create(run=run, account=book["A"], day=today, probability=0.35)
    response = as_user(users["csm"]).get(reverse("customers:at_risk"))
    # B (42 %, yellow) and A (35 %, red) are flagged at the default 30 %; C (10 %, green) not.
    assert [row["name"] for row in response.context["rows"]] == ["株式会社ビー", "株式会社エー"]
    page = text_of(response)
    assert "42%" in page
    assert "利用が減っている" in page  # the reason "Usage falling", in Japanese
    higher = as_user(users["csm"]).get(reverse("customers:at_risk"), {"threshold": "0.5"})
    assert [row["name"] for row in higher.context["rows"]] == ["株式会社エー"]


def test_risks_of_the_previous_usable_run_show_until_the_new_run_scores(
    book: dict[str, Account], users: dict[str, User], today: dt.date
) -> None:
    """The weekly retrain stores a new run; its risks come with the next nightly
    snapshot. Meanwhile the previous usable run's risks stay on the pages."""
    old = _run(usable=True)
    ChurnRisk.objects.create(run=old, account=book["B"], day=today, probability=0.6)
    _run(usable=True, auc=0.79)  # newer, no risks yet
    client = as_user(users["csm"])
    assert "株式会社ビー" in [
        r["name"] for r in client.get(reverse("customers:at_risk")).context["rows"]
    ]
    page = client.get(reverse("customers:account", args=[book["B"].pk]))
    assert page.context["churn"]["risk"].probability == 0.6
    # a newer run that is not usable hides every risk again
    _run(usable=False)
    assert "株式会社ビー" not in [
        r["name"] for r in client.get(reverse("customers:at_risk")).context["rows"]
    ]
    assert (
        client.get(reverse("customers:account", args=[book["B"].pk])).context["churn"]["risk"]
        is None
    )


def test_at_risk_names_the_weakest_measures(
    book: dict[str, Account], users: dict[str, User], today: dt.date
) -> None:
    HealthScore.objects.filter(account=book["A"]).update(
        contributions={
            "stickiness": {
                "normalised": 10.0,
                "weight": 25,
                "effective_weight": 0.5,
                "points": 5.0,
            },
            "seats": {"normalised": 50.0, "weight": 25, "effective_weight": 0.5, "points": 25.0},
            "csm": {
                "normalised": None,
                "weight": 10,
                "effective_weight": 0,
                "points": 0,
                "missing": True,
            },
        }
    )
    response = as_user(users["csm"]).get(reverse("customers:at_risk"))
    weak = response.context["rows"][0]["weak"]
    assert len(weak) == 2 and "10/100" in weak[0] and "50/100" in weak[1]


# --- Renewals ------------------------------------------------------------------------------


def test_renewals_within_30_60_90_days(book: dict[str, Account], users: dict[str, User]) -> None:
    """A's 100,000 ends in 20 days, B's 50,000 in 45, A's 20,000 in 75; D (200) is out."""
    client = as_user(users["csm"])
    all90 = client.get(reverse("customers:renewals"))
    totals = {t.days: (t.subscriptions, t.mrr) for t in all90.context["pipeline"].totals}
    assert totals == {30: (1, 100_000), 60: (2, 150_000), 90: (3, 170_000)}
    assert all90.context["total_mrr"] == 170_000
    assert all90.context["at_risk_mrr"] == 120_000  # A is red
    within30 = client.get(reverse("customers:renewals"), {"days": "30"})
    assert [e["item"].account_name for e in within30.context["items"]] == ["株式会社エー"]
    assert within30.context["items"][0]["band"] == "red"
    by_csm2 = client.get(reverse("customers:renewals"), {"csm": users["csm2"].pk})
    assert by_csm2.context["items"] == []
    assert "90日" in text_of(by_csm2) or "90 days" in text_of(by_csm2)


# --- Account page --------------------------------------------------------------------------


def test_account_page_shows_the_score_and_each_measure(
    book: dict[str, Account], users: dict[str, User], today: dt.date
) -> None:
    a = book["A"]
    HealthScore.objects.filter(account=a).update(
        contributions={
            "stickiness": {
                "raw": 0.1,
                "normalised": 20.0,
                "weight": 25,
                "effective_weight": 0.5,
                "points": 10.0,
                "missing": False,
            },
            "seats": {
                "raw": 0.4,
                "normalised": 40.0,
                "weight": 25,
                "effective_weight": 0.5,
                "points": 20.0,
                "missing": False,
            },
            "csm": {
                "raw": None,
                "normalised": None,
                "weight": 10,
                "effective_weight": 0.0,
                "points": 0.0,
                "missing": True,
            },
        }
    )
    for n in range(1, 11):
        score(a, today - dt.timedelta(days=n + 1), 30.0 + n, "red")
    Contact.objects.create(
        account=a, external_id="C1", name="山田 花子", email="hanako@a.example", is_primary=True
    )
    response = as_user(users["csm"]).get(reverse("customers:account", args=[a.pk]))
    assert response.status_code == 200
    rows = {row["key"]: row for row in response.context["health"]["rows"]}
    assert rows["stickiness"]["points"] == 10.0 and rows["seats"]["share"] == 0.5
    assert rows["csm"]["missing"] is True
    assert response.context["history"]["days"] == 11
    page = text_of(response)
    assert "山田 花子" in page
    assert "¥120,000" in page  # MRR today: both of A's subscriptions
    assert "10.0%" in page  # stickiness raw 0.1 shown as a percentage
    assert 'data-chart="chart-contributions"' in response.content.decode()


def test_account_page_hides_revenue_from_support_and_marketing(
    book: dict[str, Account], users: dict[str, User]
) -> None:
    for role in ("support", "marketer"):
        response = as_user(users[role]).get(reverse("customers:account", args=[book["A"].pk]))
        assert response.status_code == 200
        assert "subscriptions" not in response.context
        assert "¥" not in text_of(response)
        assert 'id="assessment-form"' not in response.content.decode()


def test_csm_assessment_is_recorded_through_the_health_service(
    book: dict[str, Account], users: dict[str, User]
) -> None:
    url = reverse("customers:assess", args=[book["B"].pk])
    response = as_user(users["csm2"]).post(url, {"rating": "2", "note": "決裁者が異動"})
    assert response.status_code == 302
    saved = CsmAssessment.objects.get(account=book["B"])
    assert (saved.rating, saved.note, saved.by) == (2, "決裁者が異動", users["csm2"])


def test_bad_assessment_changes_nothing_and_says_why(
    book: dict[str, Account], users: dict[str, User]
) -> None:
    url = reverse("customers:assess", args=[book["B"].pk])
    response = as_user(users["csm"]).post(url, {"rating": "9"})
    assert response.status_code == 400
    assert response.context["form"].errors["rating"]
    assert not CsmAssessment.objects.exists()
    assert as_user(users["support"]).post(url, {"rating": "3"}).status_code == 403
    assert not CsmAssessment.objects.exists()


def write_events(rows: list[tuple[str, str, str, str, dt.datetime]]) -> None:
    """(type, action, user_id, group_id, timestamp) straight into the event store."""
    data = []
    for n, (kind, action, user_id, group_id, at) in enumerate(rows):
        event, name = (action, None) if kind == "track" else (None, action)
        data.append((f"m{n}", kind, event, name, user_id, group_id, at, at))
    with store.connect(read_only=False) as con:
        con.executemany(
            "INSERT INTO events (message_id, source_id, type, event, name, user_id, group_id, "
            '"timestamp", received_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)',
            data,
        )


def tokyo(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)


def test_account_page_usage_charts_count_users_by_hand(
    book: dict[str, Account], users: dict[str, User], today: dt.date
) -> None:
    """Yesterday u1 and u2 used A (u1 twice, exporting once); 10 days ago u3 did; B's
    user does not count for A; an identify call is not use. DAU yesterday = 2; users in
    the last 28 days = 3; export used by 1 of 3 → 33.3 %."""
    Feature.objects.create(name="レポート出力", slug="export", event_names=["report_exported"])
    y, ten = today - dt.timedelta(days=1), today - dt.timedelta(days=10)
    write_events(
        [
            ("track", "report_exported", "u1", "A", tokyo(y, 9)),
            ("page", "Dashboard", "u1", "A", tokyo(y, 11)),
            ("track", "login", "u2", "A", tokyo(y, 23)),
            ("track", "login", "u3", "A", tokyo(ten)),
            ("track", "login", "b1", "B", tokyo(y)),
            ("identify", "", "u4", "A", tokyo(y)),
        ]
    )
    client = as_user(users["csm"])
    url = reverse("customers:account", args=[book["A"].pk])
    page = client.get(url)
    assert page.context["usage"] is None  # not computed yet: the page loads it with htmx
    assert f'hx-get="{url}?part=usage"' in page.content.decode()
    response = client.get(url, {"part": "usage"}, HTTP_HX_REQUEST="true")
    usage = response.context["usage"]
    assert usage["available"] and usage["any_use"]
    assert usage["dau_yesterday"] == 2
    assert usage["active_now"] == 3
    export = usage["features"][0]
    assert (export["users"], round(export["adoption"], 3)) == (1, round(1 / 3, 3))
    assert "33.3%" in text_of(response)
    assert "<h1>" not in response.content.decode()
    # now cached: the next page view shows it at once
    assert client.get(url).context["usage"]["active_now"] == 3


# --- Health settings -----------------------------------------------------------------------


def _weights_post(**overrides: Any) -> dict[str, Any]:
    from kizuna.customers import health

    data: dict[str, Any] = {f"weight_{key}": m.default_weight for key, m in health.MEASURES.items()}
    data.update(name="標準", red_below="40", green_from="70")
    data.update(overrides)
    return data


def test_admin_changes_weights_and_bands(users: dict[str, User]) -> None:
    from kizuna.customers import health

    profile = health.default_profile()
    url = reverse("customers:health_profile_edit", args=[profile.pk])
    response = as_user(users["admin"]).post(
        url, _weights_post(weight_stickiness="50", red_below="35")
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.weights["stickiness"] == 50.0 and profile.red_below == 35.0


def test_bad_thresholds_are_refused_next_to_the_field_and_nothing_changes(
    users: dict[str, User],
) -> None:
    from kizuna.customers import health

    profile = health.default_profile()
    before = (dict(profile.weights), profile.red_below, profile.green_from)
    url = reverse("customers:health_profile_edit", args=[profile.pk])
    response = as_user(users["admin"]).post(url, _weights_post(red_below="80", green_from="60"))
    assert response.status_code == 400
    assert response.context["form"].errors["green_from"]
    response = as_user(users["admin"]).post(url, _weights_post(weight_stickiness="-1"))
    assert response.status_code == 400 and response.context["form"].errors["weight_stickiness"]
    zero = {f"weight_{key}": "0" for key in health.MEASURES}
    response = as_user(users["admin"]).post(url, _weights_post(**zero))
    assert response.status_code == 400
    profile.refresh_from_db()
    assert (dict(profile.weights), profile.red_below, profile.green_from) == before
    assert as_user(users["csm"]).post(url, _weights_post()).status_code == 403


def test_admin_adds_and_deletes_a_segment_profile(users: dict[str, User]) -> None:
    client = as_user(users["admin"])
    response = client.post(
        reverse("customers:health_profile_create"),
        _weights_post(name="大企業", segment="enterprise", weight_seats="40"),
    )
    assert response.status_code == 302
    created = HealthProfile.objects.get(segment="enterprise")
    assert created.weights["seats"] == 40.0
    client.post(reverse("customers:health_profile_delete", args=[created.pk]))
    assert not HealthProfile.objects.filter(segment="enterprise").exists()


# --- Back-test and churn model -------------------------------------------------------------


def test_backtest_says_when_history_is_not_enough(
    book: dict[str, Account], users: dict[str, User]
) -> None:
    response = as_user(users["csm"]).get(
        reverse("customers:backtest"), {"part": "results"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.context["result"].enough is False
    assert 'id="backtest-empty"' in response.content.decode()


def test_backtest_auc_matches_sklearn(users: dict[str, User], today: dt.date) -> None:
    """24 accounts whose subscription ended 30–53 days ago; the 12 even ones renewed (a
    second subscription covers the end date). Each has a stored score 90 days before the
    end, after the usage history became complete; the AUC of "lower score = churn" is
    computed independently with sklearn."""
    # usage tracking started long before: scores from 56 days after it count
    write_events([("track", "login", "u0", "BT0", tokyo(today - dt.timedelta(days=300)))])
    labels, scores = [], []
    for n in range(24):
        account = Account.objects.create(external_id=f"BT{n}", name=f"株式会社BT{n}")
        end = today - dt.timedelta(days=30 + n)
        sub(account, 10_000, end - dt.timedelta(days=365), end)
        churned = n % 2 == 1
        if not churned:
            sub(account, 10_000, end, end + dt.timedelta(days=365))
        value = float((n * 37) % 100)  # spread, with some overlap between outcomes
        band = "red" if value < 40 else ("green" if value >= 70 else "yellow")
        score(account, end - dt.timedelta(days=90), value, band)
        labels.append(churned)
        scores.append(-value)
    expected = roc_auc_score(labels, scores)
    client = as_user(users["executive"])
    assert client.get(reverse("customers:backtest"), {"days": "90"}).context["pending"]
    response = client.get(
        reverse("customers:backtest"), {"days": "90", "part": "results"}, HTTP_HX_REQUEST="true"
    )
    result = response.context["result"]
    assert result.enough
    assert result.auc.value == pytest.approx(expected)
    assert f"{expected:.2f}" in text_of(response)
    assert response.context["roc_chart"]["type"] == "scatter"


def test_churn_model_page_shows_auc_brier_and_calibration(users: dict[str, User]) -> None:
    _run(
        usable=True,
        brier=0.123,
        calibration=[
            {"low": 0.0, "high": 0.2, "count": 60, "predicted": 0.1, "observed": 0.083},
            {"low": 0.2, "high": 0.9, "count": 60, "predicted": 0.35, "observed": 0.25},
        ],
    )
    response = as_user(users["csm"]).get(reverse("customers:churn_model"))
    page = text_of(response)
    assert "0.81" in page and "0.123" in page
    assert response.context["calibration_rows"][1][2:] == ("35.0%", "25.0%")
    # reference Brier score: validation churn 20/120 → p(1 − p) = 0.139
    assert response.context["reference_brier"] == pytest.approx(20 / 120 * 100 / 120)
    assert "churn_model_train" not in page
    assert 'action="/customers/churn-model/train/"' not in response.content.decode()


def test_retrain_button_trains_in_the_background(users: dict[str, User]) -> None:
    client = as_user(users["admin"])
    assert client.get(reverse("customers:churn_model")).status_code == 200
    response = client.post(reverse("customers:churn_model_train"))
    assert response.status_code == 302
    # tests run tasks inline: a run now exists (too little history → not usable)
    run = ChurnModelRun.objects.get()
    assert run.usable is False
    page = text_of(client.get(reverse("customers:churn_model")))
    assert run.trained_at.astimezone(TOKYO).strftime("%Y年%-m月%-d日") in page
    assert as_user(users["csm"]).post(reverse("customers:churn_model_train")).status_code == 403


# --- Features ------------------------------------------------------------------------------


def test_admin_defines_a_feature_and_sees_its_adoption(
    users: dict[str, User], today: dt.date
) -> None:
    """In the last 28 days: u1 (A) exported, u2 (A) and u3 (B) only logged in; u9 exported
    40 days ago (outside). Users: 1 of 3 = 33.3 %; accounts: 1 of 2 = 50.0 %."""
    y = today - dt.timedelta(days=1)
    write_events(
        [
            ("track", "report_exported", "u1", "A", tokyo(y)),
            ("track", "login", "u2", "A", tokyo(y)),
            ("track", "login", "u3", "B", tokyo(today - dt.timedelta(days=27))),
            ("track", "report_exported", "u9", "C", tokyo(today - dt.timedelta(days=40))),
        ]
    )
    client = as_user(users["admin"])
    response = client.post(
        reverse("customers:feature_create"),
        {
            "name": "レポート出力",
            "slug": "report-export",
            "event_names": "report_exported\nreport_printed",
        },
    )
    assert response.status_code == 302
    feature = Feature.objects.get(slug="report-export")
    assert feature.event_names == ["report_exported", "report_printed"]
    assert client.get(reverse("customers:features")).context["pending"]
    page = client.get(reverse("customers:features"), {"part": "list"}, HTTP_HX_REQUEST="true")
    row = page.context["features"][0]
    assert (row["users"], row["active_users"]) == (1, 3)
    assert (row["accounts"], row["active_accounts"]) == (1, 2)
    text = text_of(page)
    assert "33.3%" in text and "50.0%" in text


def test_bad_feature_is_refused_and_nothing_is_saved(users: dict[str, User]) -> None:
    client = as_user(users["admin"])
    response = client.post(
        reverse("customers:feature_create"),
        {"name": "Export", "slug": "Report Export!", "event_names": "a\na"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["slug"] and errors["event_names"]
    assert not Feature.objects.exists()


def test_feature_edit_and_delete(users: dict[str, User]) -> None:
    feature = Feature.objects.create(name="検索", slug="search", event_names=["searched"])
    client = as_user(users["admin"])
    response = client.post(
        reverse("customers:feature_edit", args=[feature.pk]),
        {"name": "検索", "slug": "search", "event_names": "searched\nfiltered", "is_key": "on"},
    )
    assert response.status_code == 302
    feature.refresh_from_db()
    assert feature.is_key and feature.event_names == ["searched", "filtered"]
    assert as_user(users["marketer"]).get(reverse("customers:features")).status_code == 200
    assert (
        as_user(users["marketer"])
        .post(reverse("customers:feature_delete", args=[feature.pk]))
        .status_code
        == 403
    )
    client.post(reverse("customers:feature_delete", args=[feature.pk]))
    assert not Feature.objects.exists()


# --- Imports -------------------------------------------------------------------------------

ACCOUNTS_CSV = (
    "取引先ID,取引先名,業種,従業員規模\n"
    "X1,株式会社エックス,小売業,50〜299名\n"
    "X2,株式会社ワイ,製造業,\n"
)


def test_import_accounts_preview_then_import(users: dict[str, User]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_user(users["admin"])
    upload = SimpleUploadedFile("accounts.csv", ACCOUNTS_CSV.encode("utf-8-sig"), "text/csv")
    response = client.post(
        reverse("customers:import"), {"kind": "accounts", "file": upload, "as_of": "2026-04-01"}
    )
    assert response.status_code == 302
    detail = client.get(response["Location"])
    job = detail.context["job"]
    assert job.status == "ready", detail.context["errors"]
    assert job.counts["created"] == 2
    assert "株式会社エックス" in text_of(detail)
    assert not Account.objects.exists()  # nothing changes before the confirmation
    client.post(reverse("customers:import_apply", kwargs={"job_id": job.id}))
    assert sorted(Account.objects.values_list("external_id", flat=True)) == ["X1", "X2"]
    done = client.get(response["Location"])
    assert done.context["job"].status == "done"
    assert 'id="import-result"' in done.content.decode()
    # a second press does not import again
    client.post(reverse("customers:import_apply", kwargs={"job_id": job.id}))
    assert Account.objects.count() == 2
    recent = client.get(reverse("customers:import"))
    assert "accounts.csv" in recent.content.decode()


def test_import_rejects_a_bad_file_row_by_row_and_changes_nothing(users: dict[str, User]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = "契約ID,取引先ID,製品,MRR,開始日\nS1,NOPE,Kizuna,abc,2026-01-01\n"
    client = as_user(users["admin"])
    upload = SimpleUploadedFile("subs.csv", csv.encode(), "text/csv")
    response = client.post(
        reverse("customers:import"),
        {"kind": "subscriptions", "file": upload, "as_of": "2026-04-01"},
    )
    detail = client.get(response["Location"])
    assert detail.context["job"].status == "invalid"
    assert detail.context["error_count"] >= 2
    assert any("NOPE" in e["message"] for e in detail.context["errors"])
    assert all(e["row"] == 2 for e in detail.context["errors"])
    # applying a rejected job does nothing
    client.post(reverse("customers:import_apply", kwargs={"job_id": detail.context["job"].id}))
    assert not Subscription.objects.exists()


def test_import_form_refuses_other_file_types(users: dict[str, User]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("accounts.txt", b"x", "text/plain")
    response = as_user(users["admin"]).post(
        reverse("customers:import"), {"kind": "accounts", "file": upload, "as_of": "2026-04-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_unknown_import_job_is_404(users: dict[str, User]) -> None:
    url = reverse("customers:import_detail", kwargs={"job_id": "0" * 32})
    assert as_user(users["admin"]).get(url).status_code == 404


def test_import_template_has_japanese_headers(users: dict[str, User]) -> None:
    response = as_user(users["admin"]).get(reverse("customers:import_template", args=["accounts"]))
    body = response.content.decode("utf-8-sig")
    assert body.startswith("取引先ID,取引先名")


# --- Directory and navigation --------------------------------------------------------------


def test_account_directory_search(book: dict[str, Account], users: dict[str, User]) -> None:
    client = as_user(users["support"])
    response = client.get(reverse("customers:accounts"), {"q": "ビー"})
    assert [a.name for a in response.context["page"].object_list] == ["株式会社ビー"]
    churned = client.get(reverse("customers:accounts"), {"q": "イー"})
    assert [a.name for a in churned.context["page"].object_list] == ["株式会社イー"]


def test_navigation_shows_customer_pages_by_role(users: dict[str, User]) -> None:
    def urls(role: str) -> set[str]:
        response = as_user(users[role]).get(reverse("core:me"))
        return {item["url"] for item in response.context["nav_items"]}

    portfolio, at_risk, renewals = (
        reverse("customers:portfolio"),
        reverse("customers:at_risk"),
        reverse("customers:renewals"),
    )
    settings_url, imports = reverse("customers:health_settings"), reverse("customers:import")
    directory = reverse("customers:accounts")
    assert {portfolio, at_risk, renewals, directory} <= urls("csm")
    assert not {settings_url, imports} & urls("csm")
    assert {settings_url, imports} <= urls("admin")
    assert directory in urls("support") and portfolio not in urls("support")
    assert not {portfolio, directory} & urls("hr")


def test_old_import_jobs_are_pruned(users: dict[str, User]) -> None:
    import os
    import time

    from kizuna.customers import import_jobs

    old = import_jobs.create(
        "accounts", ACCOUNTS_CSV.encode(), "old.csv", dt.date(2026, 4, 1), None
    )
    folder = import_jobs.root() / old.id
    month_ago = time.time() - 31 * 86_400
    for path in (folder, *folder.iterdir()):
        os.utime(path, (month_ago, month_ago))
    fresh = import_jobs.create(
        "accounts", ACCOUNTS_CSV.encode(), "new.csv", dt.date(2026, 4, 1), None
    )
    assert import_jobs.get(old.id) is None
    assert import_jobs.get(fresh.id) is not None
