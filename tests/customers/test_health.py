"""The health score engine: hand-checked scores on a tiny fixture, profile validation,
CSM assessments, snapshots and back-fills.

Expected points are computed by hand in the tests from the events written below, never
read back from the engine's output.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from kizuna.core.models import AuditLog
from kizuna.customers import health
from kizuna.customers.models import (
    Account,
    CsmAssessment,
    HealthProfile,
    HealthScore,
    Subscription,
)
from kizuna.usage import store
from kizuna.usage.models import Feature

D = dt.date
TOKYO = dt.timezone(dt.timedelta(hours=9))

# --- Helpers shared with the other health/back-test/model tests -------------------------


@pytest.fixture
def events_store(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """A private DuckDB event store for the test."""
    path = tmp_path / "events.duckdb"
    settings.EVENTS_URL = f"duckdb:///{path}"
    yield path


EventRow = tuple[str, str | None, str, str, dt.datetime]
"""(type, track event or page name, user_id, group_id, timestamp)."""


def write_events(rows: Sequence[EventRow]) -> None:
    """Append events straight into the store (what the drain would have written)."""
    data = []
    for n, (kind, action, user_id, group_id, at) in enumerate(rows):
        event = action if kind == "track" else None
        name = action if kind != "track" else None
        data.append((f"m{n}", kind, event, name, user_id, group_id, at, at))
    with store.connect(read_only=False) as con:
        con.executemany(
            "INSERT INTO events (message_id, source_id, type, event, name, user_id, "
            'group_id, "timestamp", received_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)',
            data,
        )


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """``hour`` o'clock in Tokyo on ``day``."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)


def make_account(external_id: str, size_band: str = "", **fields: Any) -> Account:
    return Account.objects.create(
        external_id=external_id, name=f"株式会社{external_id}", size_band=size_band, **fields
    )


_counter = iter(range(1, 10_000_000))


def subscribe(
    account: Account,
    start: dt.date,
    end: dt.date | None,
    seats: int = 1,
    mrr: int = 10_000,
) -> Subscription:
    return Subscription.objects.create(
        account=account,
        external_id=f"S{next(_counter):07d}",
        product="Kizuna Cloud",
        mrr=Decimal(mrr),
        quantity=seats,
        start_date=start,
        end_date=end,
    )


# --- The tiny fixture -------------------------------------------------------------------

DAY = D(2025, 3, 1)  # window [2025-02-01, 2025-03-01) is exactly February (28 days)


@pytest.fixture
def tiny(db: None, events_store: Path) -> dict[str, Account]:
    """Two accounts and three features (two key) with events written by hand.

    A (small, 4 seats, ends 2025-07-01): u1 views a report on 3 and 4 Feb, u2 exports on
    10 Feb; in the window before (January), u1 opened the dashboard twice on 10 Jan.
    Its CSM rated it 4 on 20 Feb. B (medium, 2 seats, open-ended): no event, no rating.
    C's subscription ended before DAY: it is not scored.
    """
    Feature.objects.create(
        name="レポート", slug="report", event_names=["Report Viewed"], is_key=True
    )
    Feature.objects.create(name="エクスポート", slug="export", event_names=["Export"], is_key=True)
    Feature.objects.create(name="チャット", slug="chat", event_names=["Chat"], is_key=False)
    a = make_account("A", "small")
    b = make_account("B", "medium")
    c = make_account("C", "small")
    subscribe(a, D(2025, 1, 1), D(2025, 7, 1), seats=4)
    subscribe(b, D(2025, 1, 1), None, seats=2)
    subscribe(c, D(2024, 1, 1), D(2025, 3, 1), seats=3)
    write_events(
        [
            ("track", "Report Viewed", "u1", "A", at(D(2025, 2, 3))),
            ("track", "Report Viewed", "u1", "A", at(D(2025, 2, 4), 23)),
            ("track", "Export", "u2", "A", at(D(2025, 2, 10))),
            ("page", "Dashboard", "u1", "A", at(D(2025, 1, 10))),
            ("page", "Dashboard", "u1", "A", at(D(2025, 1, 10), 11)),
            # on DAY itself: outside the window [DAY − 28, DAY)
            ("track", "Chat", "u3", "A", at(DAY)),
            # C's events must not matter: C is not active on DAY
            ("track", "Chat", "u9", "C", at(D(2025, 2, 5))),
        ]
    )
    CsmAssessment.objects.create(account=a, rating=4, at=at(D(2025, 2, 20)))
    return {"A": a, "B": b, "C": c}


def expected_a(weights: dict[str, float]) -> dict[str, float]:
    """A's normalised measures on DAY, worked out by hand from the fixture."""
    mean_dau = 3 / 28  # one user on 3 Feb, on 4 Feb and on 10 Feb
    stickiness = mean_dau / 2  # two active users
    return {
        "stickiness": stickiness / 0.5 * 100,
        "adoption": 100.0,  # both key features used (chat is not key)
        "seats": 2 / 4 * 100,
        "trend": 50 + 50 * math.log2(3 / 2),  # 3 events vs 2 in the window before
        "renewal": (D(2025, 7, 1) - DAY).days / 180 * 100,  # 122 days
        "csm": (4 - 1) / 4 * 100,
    }


DEFAULTS = {"stickiness": 25, "adoption": 25, "seats": 20, "trend": 15, "renewal": 5, "csm": 10}


def test_default_weights_are_documented_ones() -> None:
    assert {k: m.default_weight for k, m in health.MEASURES.items()} == DEFAULTS


def test_tiny_fixture_scores_by_hand(tiny: dict[str, Account]) -> None:
    scored = health.score_accounts(DAY)
    rows = {row["account_id"]: row for row in scored.iter_rows(named=True)}
    assert set(rows) == {tiny["A"].pk, tiny["B"].pk}

    a = rows[tiny["A"].pk]
    norm = expected_a(DEFAULTS)
    expected_points = {k: norm[k] * DEFAULTS[k] / 100 for k in DEFAULTS}
    for key, points in expected_points.items():
        assert a["contributions"][key]["normalised"] == pytest.approx(norm[key])
        assert a["contributions"][key]["points"] == pytest.approx(points)
        assert a["contributions"][key]["weight"] == DEFAULTS[key]
        assert a["contributions"][key]["missing"] is False
    assert a["score"] == pytest.approx(sum(expected_points.values()))
    # ≈ 2.68 + 25 + 10 + 11.89 + 3.39 + 7.5 = 60.45 → yellow (40 ≤ score < 70)
    assert a["score"] == pytest.approx(60.455, abs=0.01)
    assert a["band"] == "yellow"
    assert a["contributions"]["seats"]["raw"] == pytest.approx(0.5)
    assert a["contributions"]["renewal"]["raw"] == 122
    assert a["contributions"]["csm"]["raw"] == 4

    # B: nothing used, no rating → CSM left out, its weight shared by the other 90.
    b = rows[tiny["B"].pk]
    assert b["contributions"]["csm"]["missing"] is True
    assert b["contributions"]["csm"]["points"] == 0
    assert b["contributions"]["csm"]["normalised"] is None
    assert b["contributions"]["renewal"]["normalised"] == 100  # open-ended
    assert b["contributions"]["renewal"]["effective_weight"] == pytest.approx(5 / 90)
    for key in ("stickiness", "adoption", "seats", "trend"):
        assert b["contributions"][key]["normalised"] == 0
    assert b["score"] == pytest.approx(100 * 5 / 90)
    assert b["band"] == "red"


def test_points_add_up_to_the_score_in_stored_rows(tiny: dict[str, Account]) -> None:
    assert health.snapshot(DAY) == 2
    for row in HealthScore.objects.filter(day=DAY):
        total = sum(part["points"] for part in row.contributions.values())
        assert total == pytest.approx(row.score, abs=1e-9)
        assert set(row.contributions) == set(health.MEASURES)
        assert 0 <= row.score <= 100


def test_no_key_feature_means_all_features_count(tiny: dict[str, Account]) -> None:
    Feature.objects.update(is_key=False)
    a = health.score_accounts(DAY).filter(account_id=tiny["A"].pk).row(0, named=True)
    # report and export used, chat not (its only use by A is on DAY itself) → 2 of 3
    assert a["contributions"]["adoption"]["normalised"] == pytest.approx(200 / 3)


def test_no_feature_at_all_leaves_adoption_out(tiny: dict[str, Account]) -> None:
    Feature.objects.all().delete()
    a = health.score_accounts(DAY).filter(account_id=tiny["A"].pk).row(0, named=True)
    assert a["contributions"]["adoption"]["missing"] is True
    norm = expected_a(DEFAULTS)
    present = {k: w for k, w in DEFAULTS.items() if k != "adoption"}
    expected = sum(norm[k] * w for k, w in present.items()) / sum(present.values())
    assert a["score"] == pytest.approx(expected)


def test_segment_profile_and_thresholds(tiny: dict[str, Account]) -> None:
    weights = {"stickiness": 0, "adoption": 0, "seats": 1, "trend": 0, "renewal": 0, "csm": 1}
    health.create_profile("small", name="小規模", weights=weights, red_below=10, green_from=60)
    a = health.score_accounts(DAY).filter(account_id=tiny["A"].pk).row(0, named=True)
    assert a["score"] == pytest.approx((50 + 75) / 2)
    assert a["band"] == "green"
    assert a["profile_id"] == HealthProfile.objects.get(segment="small").pk
    # B (medium) still uses the default profile
    b = health.score_accounts(DAY).filter(account_id=tiny["B"].pk).row(0, named=True)
    assert b["profile_id"] == health.default_profile().pk


def test_csm_rating_counts_from_its_own_day(tiny: dict[str, Account]) -> None:
    b = tiny["B"]
    # Made on DAY (Tokyo) counts for DAY; a later one on the next day does not.
    health.record_assessment(b, 5, "良好", at=at(DAY, 9))
    health.record_assessment(b, 1, "", at=at(DAY + dt.timedelta(days=1), 9))
    row = health.score_accounts(DAY).filter(account_id=b.pk).row(0, named=True)
    assert row["contributions"]["csm"]["raw"] == 5
    assert row["contributions"]["csm"]["normalised"] == 100


def test_record_assessment_validates_and_audits(
    tiny: dict[str, Account], django_user_model
) -> None:
    user = django_user_model.objects.create_user(email="csm@example.com", password="x")
    before = CsmAssessment.objects.count()
    for bad in (0, 6, 2.5, "abc", None, True):
        with pytest.raises(ValidationError) as info:
            health.record_assessment(tiny["B"], bad, "", user)
        assert "rating" in info.value.error_dict
    assert CsmAssessment.objects.count() == before
    made = health.record_assessment(tiny["B"], "3", "様子見", user)
    assert made.rating == 3 and made.by == user
    log = AuditLog.objects.get(action="customers.health.assessment")
    assert log.actor == user and log.target_id == str(tiny["B"].pk)
    assert log.detail["rating"] == 3


@pytest.mark.parametrize(
    ("weights", "red", "green", "fields"),
    [
        ({"stickiness": -1}, 40, 70, {"weights"}),
        ({"stickiness": "x"}, 40, 70, {"weights"}),
        ({"stickiness": float("nan")}, 40, 70, {"weights"}),
        ({"nps_typo": 3}, 40, 70, {"weights"}),
        ({k: 0 for k in DEFAULTS}, 40, 70, {"weights"}),
        (None, 70, 40, {"green_from"}),
        (None, 50, 50, {"green_from"}),
        (None, -1, 70, {"red_below"}),
        (None, 40, 101, {"green_from"}),
        (None, "abc", 70, {"red_below"}),
    ],
)
def test_profile_validation_changes_nothing(
    db: None, weights: Any, red: Any, green: Any, fields: set[str]
) -> None:
    profile = health.default_profile()
    before = (profile.weights, profile.red_below, profile.green_from)
    with pytest.raises(ValidationError) as info:
        health.update_profile(profile, weights=weights, red_below=red, green_from=green)
    assert set(info.value.error_dict) == fields
    profile.refresh_from_db()
    assert (profile.weights, profile.red_below, profile.green_from) == before
    assert not AuditLog.objects.filter(action__startswith="customers.health.profile").exists()


def test_profile_errors_are_translatable(db: None) -> None:
    """The messages are lazy translations (rendered in the user's language when shown)."""
    from django.utils.functional import Promise

    with pytest.raises(ValidationError) as info:
        health.update_profile(health.default_profile(), red_below=80, green_from=20)
    error = info.value.error_dict["green_from"][0]
    assert isinstance(error.message, Promise)
    with translation.override("en"):
        assert error.messages == ["The green threshold must be above the red threshold."]
    with translation.override("ja"):
        assert error.messages == ["緑の下限は赤の上限より大きくしてください。"]


def test_update_profile_saves_and_audits(db: None) -> None:
    profile = health.update_profile(
        health.default_profile(), weights={"csm": "0", "stickiness": 40}, red_below=30
    )
    profile.refresh_from_db()
    assert profile.weights == {"csm": 0.0, "stickiness": 40.0}
    assert profile.red_below == 30 and profile.green_from == 70
    weights = health.effective_weights(profile)
    assert weights["csm"] == 0 and weights["stickiness"] == 40 and weights["seats"] == 20
    assert AuditLog.objects.filter(action="customers.health.profile.update").count() == 1


def test_create_and_delete_profile_rules(db: None) -> None:
    with pytest.raises(ValidationError) as info:
        health.create_profile("huge", name="x")
    assert "segment" in info.value.error_dict
    health.create_profile("large", name="大企業")
    with pytest.raises(ValidationError):
        health.create_profile("large", name="again")
    with pytest.raises(ValidationError):
        health.delete_profile(health.default_profile())
    health.delete_profile(HealthProfile.objects.get(segment="large"))
    assert not HealthProfile.objects.filter(segment="large").exists()


def test_snapshot_replaces_the_day(tiny: dict[str, Account]) -> None:
    health.snapshot(DAY)
    first = HealthScore.objects.get(account=tiny["B"], day=DAY).score
    health.record_assessment(tiny["B"], 5, at=at(DAY, 8))
    assert health.snapshot(DAY) == 2
    assert HealthScore.objects.filter(day=DAY).count() == 2
    assert HealthScore.objects.get(account=tiny["B"], day=DAY).score > first


def test_latest_scores_and_bands(tiny: dict[str, Account]) -> None:
    health.backfill(DAY - dt.timedelta(days=3), DAY + dt.timedelta(days=1))
    latest = {s.account_id: s.day for s in health.latest_scores()}
    # C's subscription ended on DAY (exclusive): its last score is the day before.
    one_day = dt.timedelta(days=1)
    assert latest == {tiny["A"].pk: DAY, tiny["B"].pk: DAY, tiny["C"].pk: DAY - one_day}
    earlier = health.latest_scores(DAY - dt.timedelta(days=1))
    assert {s.day for s in earlier} == {DAY - dt.timedelta(days=1)}
    assert health.bands_for([tiny["B"].pk], DAY) == {tiny["B"].pk: "red"}


def test_backfill_equals_day_by_day_snapshots(tiny: dict[str, Account]) -> None:
    a, b = tiny["A"], tiny["B"]
    # More varied usage so the days differ from each other.
    write_events(
        [
            ("track", "Report Viewed", f"u{n % 3}", "A", at(D(2025, 2, 1) + dt.timedelta(days=n)))
            for n in range(0, 40, 2)
        ]
        + [("track", "Export", "v1", "B", at(D(2025, 2, 20)))]
    )
    health.record_assessment(b, 2, at=at(D(2025, 3, 5)))
    start, end = D(2025, 2, 25), D(2025, 3, 12)
    # A and B on 25 Feb, 28 Feb, 3, 6 and 9 Mar; C (ends 1 Mar) on the first two only.
    assert health.backfill(start, end, step_days=3) == 2 * 5 + 2
    backfilled = {
        (s.account_id, s.day): (s.score, s.band, s.contributions) for s in HealthScore.objects.all()
    }
    assert {day for _acc, day in backfilled} == {
        start + dt.timedelta(days=n) for n in (0, 3, 6, 9, 12)
    }
    HealthScore.objects.all().delete()
    day = start
    while day < end:
        health.snapshot(day)
        day += dt.timedelta(days=3)
    single = {
        (s.account_id, s.day): (s.score, s.band, s.contributions) for s in HealthScore.objects.all()
    }
    assert single.keys() == backfilled.keys()
    for key, (score, band, contributions) in single.items():
        assert backfilled[key][0] == pytest.approx(score, abs=1e-12)
        assert backfilled[key][1] == band
        assert backfilled[key][2] == contributions
    assert {acc for acc, _day in single} == {a.pk, b.pk, tiny["C"].pk}


def test_backfill_rejects_bad_periods(db: None) -> None:
    with pytest.raises(ValueError):
        health.backfill(DAY, DAY)
    with pytest.raises(ValueError):
        health.backfill(DAY, DAY + dt.timedelta(days=2), step_days=0)


def test_no_active_account_scores_nothing(db: None, events_store: Path) -> None:
    assert health.score_accounts(DAY).height == 0
    assert health.snapshot(DAY) == 0


def test_today_is_the_default_day(tiny: dict[str, Account]) -> None:
    assert health.snapshot() == HealthScore.objects.filter(day=timezone.localdate()).count()


def test_periodic_jobs_are_registered_and_run(tiny: dict[str, Account]) -> None:
    from kizuna.core.scheduler import JOBS
    from kizuna.customers import tasks

    assert JOBS["customers.health_snapshot"].every == dt.timedelta(days=1)
    assert JOBS["customers.churn_model"].every == dt.timedelta(days=7)
    result = tasks.daily_health_snapshot.enqueue()  # run inline by the test settings
    today = timezone.localdate()
    active = Account.objects.active_on(today).count()
    assert result.return_value == {"day": today.isoformat(), "scores": active, "risks": 0}
    assert HealthScore.objects.filter(day=today).count() == active
    trained = tasks.weekly_churn_model.enqueue().return_value
    assert trained["usable"] is False
