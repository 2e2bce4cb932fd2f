"""The health score's back-test: the statistics against scikit-learn and an independent
bootstrap, renewal decisions on a hand-made history, and the back-test on a synthetic
company whose churners stop using a key feature first (the planted effect).

The synthetic company (:func:`build_planted`) is shared with the churn-model tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from django.utils import translation
from sklearn.metrics import roc_auc_score, roc_curve

from kizuna.customers import backtest, health
from kizuna.customers.models import Account, HealthScore, Subscription
from kizuna.usage import store
from kizuna.usage.models import Feature
from tests.customers.test_health import at, events_store, make_account, subscribe, write_events

__all__ = ["events_store"]  # the fixture, re-exported for this module's tests

D = dt.date


# --- Statistics ----------------------------------------------------------------------


def delong_by_pairs(labels: np.ndarray, risk: np.ndarray) -> tuple[float, float]:
    """DeLong's AUC and standard error straight from the definition: every (positive,
    negative) pair compared, O(m·n) — slow, but nothing shared with the module's
    rank-based formula."""
    pos, neg = risk[labels], risk[~labels]
    psi = (pos[:, None] > neg[None, :]).astype(float) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    se = np.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))
    return float(psi.mean()), float(se)


def bootstrap_auc(labels: np.ndarray, risk: np.ndarray, n: int, seed: int) -> np.ndarray:
    """AUCs of ``n`` stratified resamples (positives and negatives resampled apart)."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(labels), np.flatnonzero(~labels)
    values = np.empty(n)
    for i in range(n):
        sample = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        values[i] = roc_auc_score(labels[sample], risk[sample])
    return values


def test_auc_interval_matches_sklearn_pairs_and_bootstrap() -> None:
    rng = np.random.default_rng(3)
    labels = rng.random(400) < 0.2
    # Rounded so that there are ties, within and across the classes.
    risk = np.round(rng.normal(labels * 0.8, 1.0), 1)
    result = backtest.auc_interval(labels, risk)
    assert result.value == pytest.approx(roc_auc_score(labels, risk), abs=1e-12)
    value, se = delong_by_pairs(labels, risk)
    assert result.value == pytest.approx(value, abs=1e-12)
    assert result.se == pytest.approx(se, rel=1e-9)
    assert result.low == pytest.approx(value - 1.959964 * se, abs=1e-6)
    assert result.high == pytest.approx(value + 1.959964 * se, abs=1e-6)
    boot = bootstrap_auc(labels, risk, 2000, seed=11)
    assert result.se == pytest.approx(boot.std(ddof=1), rel=0.1)
    low, high = np.percentile(boot, [2.5, 97.5])
    assert result.low == pytest.approx(low, abs=0.02)
    assert result.high == pytest.approx(high, abs=0.02)
    assert (result.positives, result.negatives) == (labels.sum(), (~labels).sum())


def test_auc_interval_edges() -> None:
    perfect = backtest.auc_interval([1, 1, 0, 0, 0], [0.9, 0.8, 0.3, 0.2, 0.1])
    assert perfect.value == 1.0 and perfect.high == 1.0
    with pytest.raises(ValueError):
        backtest.auc_interval([1, 1], [0.2, 0.3])


def test_roc_points_match_sklearn() -> None:
    rng = np.random.default_rng(5)
    labels = rng.random(150) < 0.3
    risk = np.round(rng.normal(labels * 0.5, 1.0), 1)
    points = backtest.roc_points(labels, risk)
    fpr, tpr, thresholds = roc_curve(labels, risk, drop_intermediate=False)
    assert [p[0] for p in points] == pytest.approx(list(fpr))
    assert [p[1] for p in points] == pytest.approx(list(tpr))
    assert [p[2] for p in points[1:]] == pytest.approx(list(thresholds[1:]))
    assert points[-1][:2] == (1.0, 1.0)


# --- Renewal decisions ----------------------------------------------------------------


def test_renewal_decisions_by_hand(db: None) -> None:
    a, b, c = make_account("A"), make_account("B"), make_account("C")
    # A renews on 1 Apr (a new contract covers it) and again on 1 Jul via a gap-free
    # contract of another product; its open-ended line never ends.
    subscribe(a, D(2024, 1, 1), D(2024, 4, 1))
    subscribe(a, D(2024, 4, 1), D(2024, 7, 1))
    subscribe(a, D(2024, 6, 1), None)
    # B: two lines ending the same day, nothing after → one churn decision.
    subscribe(b, D(2024, 1, 1), D(2024, 5, 1))
    subscribe(b, D(2024, 2, 1), D(2024, 5, 1))
    # C: comes back a day late → the decision on 1 Mar is a churn; the next end is
    # in the future (unknown outcome).
    subscribe(c, D(2024, 1, 1), D(2024, 3, 1))
    subscribe(c, D(2024, 3, 2), D(2025, 3, 2))
    decisions = backtest.renewal_decisions(D(2024, 12, 31))
    got = {
        (row["account_id"], row["decision_day"]): row["churned"]
        for row in decisions.iter_rows(named=True)
    }
    assert got == {
        (a.pk, D(2024, 4, 1)): False,
        (a.pk, D(2024, 7, 1)): False,
        (b.pk, D(2024, 5, 1)): True,
        (c.pk, D(2024, 3, 1)): True,
    }
    # The day itself counts as known.
    assert (b.pk, D(2024, 5, 1)) in {
        (r[0], r[1]) for r in backtest.renewal_decisions(D(2024, 5, 1)).iter_rows()
    }
    assert backtest.renewal_decisions(D(2024, 4, 30)).height == 2


def test_not_enough_history(db: None, events_store: Path) -> None:
    a = make_account("A")
    subscribe(a, D(2024, 1, 1), D(2024, 7, 1))
    write_events([("track", "Report Viewed", "u1", "A", at(D(2024, 1, 2)))])
    result = backtest.backtest(90, today=D(2024, 12, 31))
    assert not result.enough and result.auc is None and result.roc == []
    assert result.churned == 1 and result.renewed == 0
    with translation.override("en"):
        assert "Not enough history" in str(result.message)
    with pytest.raises(ValueError):
        backtest.backtest(0)


def test_no_events_scores_nothing(db: None, events_store: Path) -> None:
    a = make_account("A")
    subscribe(a, D(2024, 1, 1), D(2024, 7, 1))
    result = backtest.backtest(30, today=D(2024, 12, 31))
    assert result.decisions == 1 and result.scored == 0 and not result.enough


# --- A synthetic company with a planted effect ---------------------------------------

PLANTED_TODAY = D(2025, 12, 31)
EVENTS_FROM = D(2024, 1, 1)
KEY_FEATURES = {"report": "Report Viewed", "export": "Export"}


@dataclass
class Planted:
    """What the generator decided, to compare the analytics with."""

    accounts: dict[str, Account] = field(default_factory=dict)
    # (external id, decision day, churned) for every contract end up to today
    decisions: list[tuple[str, dt.date, bool]] = field(default_factory=list)
    # external id → days on which it stopped using the report feature
    stops: dict[str, list[dt.date]] = field(default_factory=dict)
    events: pl.DataFrame | None = None


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return D(day.year + month // 12, month % 12 + 1, 1)


def build_planted(
    accounts: int = 240,
    *,
    seed: int = 1,
    stop_share: float = 0.15,
    stop_churn: float = 0.6,
    base_churn: float = 0.03,
) -> Planted:
    """Accounts on quarterly contracts (renewal decisions every three months) whose
    users use two key features and a minor one. Before a renewal an account sometimes
    stops using the key feature "report" (100–130 days before it); such an account then
    churns at that renewal with ``stop_churn``, others with ``base_churn``. Renewing
    stoppers resume the feature. ``stop_churn == base_churn`` plants no effect."""
    rng = np.random.default_rng(seed)
    Feature.objects.create(
        name="レポート", slug="report", event_names=["Report Viewed"], is_key=True
    )
    Feature.objects.create(name="エクスポート", slug="export", event_names=["Export"], is_key=True)
    Feature.objects.create(name="チャット", slug="chat", event_names=["Chat"])
    planted = Planted()
    frames = []
    sizes = ["small", "medium", "large", "enterprise"]
    for n in range(accounts):
        ext = f"P{n:04d}"
        account = make_account(ext, sizes[n % 4])
        planted.accounts[ext] = account
        start = _add_months(EVENTS_FROM, int(rng.integers(0, 15)))
        stops: list[tuple[dt.date, dt.date]] = []  # [stop, resume)
        end_of_life = PLANTED_TODAY + dt.timedelta(days=1)
        seats = int(rng.integers(2, 7))
        term_start = start
        while True:
            term_end = _add_months(term_start, 3)
            stopped = rng.random() < stop_share
            if stopped:
                stop = term_end - dt.timedelta(days=int(rng.integers(100, 131)))
                stops.append((max(stop, start), term_end))
            Subscription.objects.create(
                account=account,
                external_id=f"{ext}-{term_start:%Y%m}",
                product="Kizuna Cloud",
                mrr=Decimal(10_000 * seats),
                quantity=seats,
                start_date=term_start,
                end_date=term_end,
            )
            if term_end > PLANTED_TODAY:
                break
            churned = rng.random() < (stop_churn if stopped else base_churn)
            planted.decisions.append((ext, term_end, churned))
            if churned:
                end_of_life = term_end
                break
            term_start = term_end
        planted.stops[ext] = [s for s, _r in stops]
        frames.append(_usage(rng, ext, seats, start, end_of_life, stops))
    events = pl.concat(frames)
    planted.events = events
    with store.connect(read_only=False) as con:
        con.register("planted_events", events.to_arrow())
        con.execute(
            "INSERT INTO events (message_id, source_id, type, event, name, user_id, group_id, "
            '"timestamp", received_at) SELECT message_id, 1, type, event, name, user_id, '
            'group_id, "timestamp", "timestamp" FROM planted_events'
        )
        con.unregister("planted_events")
    return planted


def _usage(
    rng: np.random.Generator,
    ext: str,
    users: int,
    start: dt.date,
    end: dt.date,
    stops: list[tuple[dt.date, dt.date]],
) -> pl.DataFrame:
    """Daily use by each of ``users`` users over [start, end): a habit per user, and per
    active day a dashboard page, reports (unless stopped), exports, chats."""
    days = np.arange(np.datetime64(start), np.datetime64(end))
    stopped = np.zeros(len(days), dtype=bool)
    for stop, resume in stops:
        stopped |= (days >= np.datetime64(stop)) & (days < np.datetime64(resume))
    parts = []
    for u in range(users):
        habit = rng.uniform(0.25, 0.8)
        active = rng.random(len(days)) < habit
        chosen = {
            ("page", "Dashboard"): active,
            ("track", "Report Viewed"): active & ~stopped & (rng.random(len(days)) < 0.5),
            ("track", "Export"): active & (rng.random(len(days)) < 0.4),
            ("track", "Chat"): active & (rng.random(len(days)) < 0.3),
        }
        for (kind, action), mask in chosen.items():
            when = days[mask]
            if not len(when):
                continue
            minutes = rng.integers(9 * 60, 19 * 60, len(when)).astype("timedelta64[m]")
            # Tokyo wall-clock time → UTC instant (UTC+9, no daylight saving)
            instants = (when.astype("datetime64[m]") + minutes - np.timedelta64(9, "h")).astype(
                "datetime64[us]"
            )
            parts.append(
                pl.DataFrame(
                    {
                        "type": kind,
                        "event": action if kind == "track" else None,
                        "name": action if kind == "page" else None,
                        "user_id": f"{ext}-u{u}",
                        "group_id": ext,
                        "timestamp": instants,
                    },
                    schema_overrides={"event": pl.String, "name": pl.String},
                )
            )
    frame = pl.concat(parts).with_columns(
        pl.col("timestamp").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    )
    return frame.with_columns(message_id=pl.lit(ext) + "-" + pl.int_range(pl.len()).cast(pl.String))


@pytest.fixture
def planted(db: None, events_store: Path) -> Planted:
    return build_planted()


def expected_scores_before(planted: Planted, days_before: int) -> tuple[np.ndarray, np.ndarray]:
    """(churned, score) of the generator's decisions, scored on their score days with
    ``health.score_days`` (every active account on each of those days), keeping those
    with complete usage history (score day ≥ first event day + 56) whose account was
    active then."""
    first_event = planted.events["timestamp"].dt.convert_time_zone("Asia/Tokyo").dt.date().min()
    assert isinstance(first_event, dt.date)
    complete_from = first_event + dt.timedelta(days=56)
    wanted = [
        (ext, day - dt.timedelta(days=days_before), churned)
        for ext, day, churned in planted.decisions
        if day - dt.timedelta(days=days_before) >= complete_from
    ]
    frame = health.score_days(sorted({score_day for _ext, score_day, _c in wanted}))
    by_point = {
        (account_id, day): score
        for account_id, day, score in frame.select("account_id", "day", "score").iter_rows()
    }
    labels, scores = [], []
    for ext, score_day, churned in wanted:
        score = by_point.get((planted.accounts[ext].pk, score_day))
        if score is None:  # not a customer yet on the score day
            continue
        labels.append(churned)
        scores.append(score)
    return np.array(labels, dtype=bool), np.array(scores)


def test_backtest_finds_the_planted_effect(planted: Planted) -> None:
    result = backtest.backtest(90, today=PLANTED_TODAY)
    labels, scores = expected_scores_before(planted, 90)
    assert result.decisions == len(planted.decisions)
    assert (result.churned, result.renewed) == (labels.sum(), (~labels).sum())
    assert result.enough and result.auc is not None
    assert result.auc.value == pytest.approx(roc_auc_score(labels, -scores), abs=1e-9)
    # The score 90 days before separates the churners clearly.
    assert result.auc.low > 0.6, result.auc
    fpr, tpr, _thresholds = roc_curve(labels, -scores, drop_intermediate=False)
    assert [p[0] for p in result.roc] == pytest.approx(list(fpr))
    assert [p[1] for p in result.roc] == pytest.approx(list(tpr))
    # Churn rate by band: red churns more than green.
    rates = {band.band: band for band in result.bands}
    assert sum(band.decisions for band in result.bands) == result.scored
    assert sum(band.churned for band in result.bands) == result.churned
    red, green = rates["red"], rates["green"]
    if red.decisions and green.decisions:
        assert red.rate is not None and green.rate is not None and red.rate > green.rate
    assert result.from_history == 0


def test_backtest_reads_stored_history_first(planted: Planted) -> None:
    computed = backtest.backtest(90, today=PLANTED_TODAY)
    health.backfill(D(2024, 2, 1), PLANTED_TODAY, step_days=1)
    stored = backtest.backtest(90, today=PLANTED_TODAY)
    assert stored.from_history == stored.scored == computed.scored
    assert stored.auc is not None and computed.auc is not None
    assert stored.auc.value == pytest.approx(computed.auc.value, abs=1e-12)
    # A stored score wins over a recomputation: change one and see it used.
    decision = backtest.scores_before(
        backtest.renewal_decisions(PLANTED_TODAY), 90, health.first_complete_day()
    ).row(0, named=True)
    HealthScore.objects.filter(account_id=decision["account_id"], day=decision["score_day"]).update(
        score=0.0, band="red"
    )
    again = backtest.scores_before(
        backtest.renewal_decisions(PLANTED_TODAY), 90, health.first_complete_day()
    ).row(0, named=True)
    assert again["score"] == 0.0 and again["stored"] is True
