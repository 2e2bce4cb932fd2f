"""The health score's back-test: did the score N days before a renewal separate the
accounts that churned from those that renewed, on the company's own history?

A **renewal decision** is a day on which at least one of an account's subscriptions ended
(its ``end_date``, the first uncovered day) and which is not in the future, so its outcome
is known: **renewed** when some subscription of the account covers that day (METRICS.md:
still active), **churned** when none does. Several subscriptions of one account ending on
the same day are one decision. Each decision is scored with the account's health score
``days_before`` days earlier — the stored daily history when it has that day, else
computed now with the same machinery as ``health.backfill`` (nothing is stored). Left
out: decisions whose account was not yet a customer then, and those whose score day
comes before the usage history is complete (``health.first_complete_day``: 56 days after
the first recorded event), which would otherwise look like unused accounts.

The figures: the AUC (the probability that a churned decision had a lower score than a
renewed one, ties counting half; 0.5 = no better than chance) with a 95 % DeLong
interval, the ROC curve, and the churn rate in each band. With fewer than
``MIN_PER_OUTCOME`` churned or renewed decisions the result says "not enough history"
instead of an AUC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from scipy import stats

from kizuna.customers import health
from kizuna.customers.models import HealthBand, HealthScore

DEFAULT_DAYS_BEFORE = 90
MIN_PER_OUTCOME = 10
Z95 = float(stats.norm.ppf(0.975))


# --- Statistics: AUC with DeLong's interval, ROC points ------------------------------


@dataclass(frozen=True)
class Auc:
    """An AUC with its DeLong standard error and 95 % interval (clipped to [0, 1])."""

    value: float
    se: float
    low: float
    high: float
    positives: int
    negatives: int


def auc_interval(labels: npt.ArrayLike, risk: npt.ArrayLike, confidence: float = 0.95) -> Auc:
    """AUC of ``risk`` for the positive ``labels`` (1 = event), with DeLong et al.
    (1988)'s variance computed from mid-ranks (Sun & Xu, 2014): each positive's
    "placement" is the share of negatives it outranks (ties half), each negative's the
    share of positives that outrank it; the AUC is their mean and its variance
    var(placements of positives)/m + var(placements of negatives)/n."""
    y = np.asarray(labels, dtype=bool)
    r = np.asarray(risk, dtype=float)
    pos, neg = r[y], r[~y]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        raise ValueError("the AUC needs at least one positive and one negative")
    combined = stats.rankdata(np.concatenate([pos, neg]))
    rank_pos = stats.rankdata(pos)
    rank_neg = stats.rankdata(neg)
    v10 = (combined[:m] - rank_pos) / n  # negatives below each positive
    v01 = 1.0 - (combined[m:] - rank_neg) / m  # positives above each negative
    value = float(v10.mean())
    s10 = float(v10.var(ddof=1)) if m > 1 else 0.0
    s01 = float(v01.var(ddof=1)) if n > 1 else 0.0
    se = float(np.sqrt(s10 / m + s01 / n))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return Auc(value, se, max(0.0, value - z * se), min(1.0, value + z * se), m, n)


def roc_points(labels: npt.ArrayLike, risk: npt.ArrayLike) -> list[tuple[float, float, float]]:
    """(false positive rate, true positive rate, threshold) for every distinct ``risk``
    value taken as the threshold "risk ≥ threshold flags the event", from (0, 0) with an
    infinite threshold to (1, 1)."""
    y = np.asarray(labels, dtype=bool)
    r = np.asarray(risk, dtype=float)
    order = np.argsort(-r, kind="stable")
    r, y = r[order], y[order]
    last_of_value = np.r_[np.flatnonzero(np.diff(r)), len(r) - 1]
    tp = np.cumsum(y)[last_of_value]
    fp = np.cumsum(~y)[last_of_value]
    positives, negatives = max(int(y.sum()), 1), max(int((~y).sum()), 1)
    points = [(0.0, 0.0, float("inf"))]
    points.extend(
        (float(f / negatives), float(t / positives), float(r[i]))
        for f, t, i in zip(fp, tp, last_of_value, strict=True)
    )
    return points


# --- Renewal decisions and their scores ------------------------------------------------


def renewal_decisions(today: dt.date | None = None) -> pl.DataFrame:
    """One row per (account_id, decision_day) with a known outcome (decision_day ≤
    today): ``churned`` is True when no subscription of the account covers that day."""
    today = today or timezone.localdate()
    subs = health.subscriptions_frame()
    decisions = (
        subs.filter(pl.col("end_date").is_not_null() & (pl.col("end_date") <= today))
        .select("account_id", decision_day=pl.col("end_date"))
        .unique()
    )
    renewed = (
        decisions.join(subs, on="account_id")
        .filter(
            (pl.col("start_date") <= pl.col("decision_day"))
            & (pl.col("end") > pl.col("decision_day"))
        )
        .select("account_id", "decision_day")
        .unique()
        .with_columns(renewed=pl.lit(True))
    )
    return (
        decisions.join(renewed, on=["account_id", "decision_day"], how="left")
        .select("account_id", "decision_day", churned=pl.col("renewed").is_null())
        .sort("decision_day", "account_id")
    )


def scores_before(
    decisions: pl.DataFrame, days_before: int, first_day: dt.date | None
) -> pl.DataFrame:
    """The decisions with ``score`` and ``band`` of the account on ``decision_day −
    days_before`` (stored history first, the rest computed); decisions whose account
    was not active that day, or whose score day is before ``first_day`` (the first day
    with complete usage history, ``health.first_complete_day``; None = no usage at all,
    nothing is scored), are dropped. Adds ``score_day`` and ``stored``."""
    wanted = decisions.with_columns(
        score_day=pl.col("decision_day") - pl.duration(days=days_before)
    )
    if first_day is None:
        wanted = wanted.clear()
    else:
        wanted = wanted.filter(pl.col("score_day") >= first_day)
    days = wanted["score_day"].unique().to_list()
    stored_rows = HealthScore.objects.filter(day__in=days).values_list(
        "account_id", "day", "score", "band"
    )
    schema = {
        "account_id": pl.Int64(),
        "score_day": pl.Date(),
        "score": pl.Float64(),
        "band": pl.String(),
    }
    stored = pl.DataFrame(list(stored_rows), schema=schema, orient="row")
    found = wanted.join(stored, on=["account_id", "score_day"], how="inner").with_columns(
        stored=pl.lit(True)
    )
    missing = wanted.join(stored, on=["account_id", "score_day"], how="anti")
    computed = pl.DataFrame(schema=schema)
    if missing.height:
        points = health.points_for_pairs(missing.select("account_id", day="score_day"))
        scored = health.score_points(points)
        computed = scored.select("account_id", score_day="day", score="score", band="band")
    filled = missing.join(computed, on=["account_id", "score_day"], how="inner").with_columns(
        stored=pl.lit(False)
    )
    return pl.concat([found, filled], how="diagonal_relaxed").sort("decision_day", "account_id")


# --- The back-test ---------------------------------------------------------------------


@dataclass(frozen=True)
class BandRate:
    band: str
    decisions: int
    churned: int

    @property
    def rate(self) -> float | None:
        return self.churned / self.decisions if self.decisions else None


@dataclass(frozen=True)
class BacktestResult:
    """``enough`` is False (and ``auc`` None) when either outcome has fewer than
    ``min_per_outcome`` scored decisions; ``message`` then says so."""

    days_before: int
    today: dt.date
    decisions: int
    scored: int
    churned: int
    renewed: int
    min_per_outcome: int
    auc: Auc | None = None
    roc: list[tuple[float, float, float]] = field(default_factory=list)
    bands: list[BandRate] = field(default_factory=list)
    first_decision: dt.date | None = None
    last_decision: dt.date | None = None
    from_history: int = 0
    first_complete_day: dt.date | None = None

    @property
    def enough(self) -> bool:
        return self.auc is not None

    @property
    def message(self) -> str | Promise:
        if self.enough:
            return ""
        return gettext(
            "Not enough history: the back-test needs at least %(minimum)s renewals and "
            "%(minimum)s churns with a health score %(days)s days before; there are "
            "%(renewed)s and %(churned)s."
        ) % {
            "minimum": self.min_per_outcome,
            "days": self.days_before,
            "renewed": self.renewed,
            "churned": self.churned,
        }


def backtest(
    days_before: int = DEFAULT_DAYS_BEFORE,
    *,
    today: dt.date | None = None,
    min_per_outcome: int = MIN_PER_OUTCOME,
) -> BacktestResult:
    """Back-test the health score ``days_before`` days before every known renewal
    decision up to ``today`` (default today)."""
    if days_before < 1:
        raise ValueError("days_before must be 1 or more")
    today = today or timezone.localdate()
    decisions = renewal_decisions(today)
    first_day = health.first_complete_day()
    scored = scores_before(decisions, days_before, first_day)
    churned = int(scored["churned"].sum()) if scored.height else 0
    renewed = scored.height - churned
    base = {
        "days_before": days_before,
        "today": today,
        "decisions": decisions.height,
        "scored": scored.height,
        "churned": churned,
        "renewed": renewed,
        "min_per_outcome": min_per_outcome,
        "first_decision": scored["decision_day"].min() if scored.height else None,
        "last_decision": scored["decision_day"].max() if scored.height else None,
        "from_history": int(scored["stored"].sum()) if scored.height else 0,
        "first_complete_day": first_day,
    }
    bands = band_rates(scored)
    if churned < min_per_outcome or renewed < min_per_outcome:
        return BacktestResult(**base, bands=bands)  # type: ignore[arg-type]
    labels = scored["churned"].to_numpy()
    risk = -scored["score"].to_numpy()  # a lower score means more risk
    return BacktestResult(
        **base,  # type: ignore[arg-type]
        auc=auc_interval(labels, risk),
        roc=roc_points(labels, risk),
        bands=bands,
    )


def band_rates(scored: pl.DataFrame) -> list[BandRate]:
    """Decisions and churns per band of the score before them, red → green."""
    counts = {
        row["band"]: row
        for row in scored.group_by("band")
        .agg(decisions=pl.len(), churned=pl.col("churned").sum())
        .iter_rows(named=True)
    }
    return [
        BandRate(
            band.value,
            int(counts.get(band.value, {}).get("decisions", 0)),
            int(counts.get(band.value, {}).get("churned", 0)),
        )
        for band in (HealthBand.RED, HealthBand.YELLOW, HealthBand.GREEN)
    ]
