"""Revenue retention metrics: logo churn, MRR movements, MRR churn, GRR, NRR, and the
renewals pipeline. Definitions are those of ../shared/METRICS.md §Customers, quoted in
each docstring.

How they are computed: one query sums, per account, the MRR of the subscriptions covering
the period's start and its end (and counts them, because an account on a ¥0 plan is still
active); the classification and the totals are then polars expressions over those whole
columns. No metric loops over accounts in Python.

Periods are half-open, as METRICS.md writes them: ``(start, end)`` means [start, end).
"Active at start" is evaluated on the date ``start`` and "active at end" on the date
``end`` with the coverage rule start ≤ date < end, so a subscription whose (exclusive)
``end_date`` equals the period's ``end`` does not cover the end: that account has churned
in the period. Choices where METRICS.md is silent:

- Only the two dates count. An account covered at start and at end is retained even if
  its subscriptions had a gap in between (it left and came back inside the period); its
  MRR change is the difference between the two dates.
- An account not covered at start but covered at end is **new**, including an account that
  churned earlier and came back (reactivation): it is excluded from logo churn, MRR
  churn, GRR and NRR, and reported separately as new MRR.
- An account covered at both dates on a lower MRR is a **contraction** (downsell) of
  (MRR at start − MRR at end); on a higher MRR an **expansion** of the difference.
- MRR is the sum of the ``mrr`` of the subscriptions covering the date. ``mrr`` is always a
  monthly amount in whole yen after discounts (annual plans are imported as annual
  amount / 12), so no billing-period conversion happens here.
- Every account is its own logo; parent/subsidiary accounts are not rolled up.
- A rate whose denominator is zero (no account, or no MRR, at start) is undefined: its
  ``value`` is None, never 0 or 100 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl
from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from kizuna.customers.models import Subscription, covering_q

CHURNED, CONTRACTION, EXPANSION, NEW, UNCHANGED = (
    "churned",
    "contraction",
    "expansion",
    "new",
    "unchanged",
)
MOVEMENTS = (CHURNED, CONTRACTION, EXPANSION, NEW, UNCHANGED)

_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.Int64(),
    "mrr_start": pl.Int64(),
    "mrr_end": pl.Int64(),
    "subscriptions_start": pl.Int64(),
    "subscriptions_end": pl.Int64(),
}


def check_period(start: dt.date, end: dt.date) -> None:
    """The period [start, end) must hold at least one day."""
    if end <= start:
        raise ValueError(f"the period end {end} must be after its start {start}")


# --- Per-account MRR at the two dates --------------------------------------------------


def account_mrr(start: dt.date, end: dt.date) -> pl.DataFrame:
    """One row per account covered at ``start`` or at ``end``: its MRR and number of
    covering subscriptions on each date (one query, summed in the database)."""
    check_period(start, end)
    at_start, at_end = covering_q(start), covering_q(end)
    rows = (
        Subscription.objects.filter(at_start | at_end)
        .values("account_id")
        .annotate(
            mrr_start=Sum("mrr", filter=at_start, default=Decimal(0)),
            mrr_end=Sum("mrr", filter=at_end, default=Decimal(0)),
            subscriptions_start=Count("pk", filter=at_start),
            subscriptions_end=Count("pk", filter=at_end),
        )
        .order_by("account_id")
        .values_list(*_SCHEMA)
    )
    # Whole yen: the Decimal columns cast to int64 exactly, and int64 sums stay exact.
    money = pl.Decimal(precision=20, scale=0)
    frame = pl.DataFrame(
        list(rows), schema=_SCHEMA | {"mrr_start": money, "mrr_end": money}, orient="row"
    )
    return frame.with_columns(pl.col("mrr_start", "mrr_end").cast(pl.Int64))


def _classified(frame: pl.DataFrame) -> pl.DataFrame:
    active_start = pl.col("subscriptions_start") > 0
    active_end = pl.col("subscriptions_end") > 0
    change = pl.col("mrr_end") - pl.col("mrr_start")
    return frame.with_columns(
        active_start=active_start,
        active_end=active_end,
        change=change,
        movement=pl.when(active_start & ~active_end)
        .then(pl.lit(CHURNED))
        .when(~active_start & active_end)
        .then(pl.lit(NEW))
        .when(change < 0)
        .then(pl.lit(CONTRACTION))
        .when(change > 0)
        .then(pl.lit(EXPANSION))
        .otherwise(pl.lit(UNCHANGED)),
    )


@dataclass(frozen=True)
class MrrMovements:
    """MRR at start and at end per account, each account classified, and the totals (in
    yen) that MRR churn, GRR and NRR are made of.

    ``accounts`` columns: account_id, mrr_start, mrr_end, subscriptions_start,
    subscriptions_end, active_start, active_end, change, movement.
    """

    start: dt.date
    end: dt.date
    accounts: pl.DataFrame
    mrr_at_start: int
    mrr_at_end: int
    churned: int
    contraction: int
    expansion: int
    new: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def active_at_start(self) -> int:
        return (
            self.counts[CHURNED]
            + self.counts[CONTRACTION]
            + self.counts[EXPANSION]
            + (self.counts[UNCHANGED])
        )


def mrr_movements(start: dt.date, end: dt.date) -> MrrMovements:
    """Per-account MRR at start and at end (the sum of the covering subscriptions' mrr on
    that date), classified: churned (active at start, not at end), contraction/downsell
    (retained, MRR lower), expansion (retained, MRR higher), new (not active at start,
    active at end — excluded from GRR/NRR), unchanged."""
    frame = _classified(account_mrr(start, end))
    movement, change = pl.col("movement"), pl.col("change")
    totals = frame.select(
        mrr_at_start=pl.col("mrr_start").sum(),
        mrr_at_end=pl.col("mrr_end").sum(),
        churned=pl.col("mrr_start").filter(movement == CHURNED).sum(),
        contraction=(-change).filter(movement == CONTRACTION).sum(),
        expansion=change.filter(movement == EXPANSION).sum(),
        new=pl.col("mrr_end").filter(movement == NEW).sum(),
        **{f"n_{name}": (movement == name).sum() for name in MOVEMENTS},
    ).row(0, named=True)
    return MrrMovements(
        start=start,
        end=end,
        accounts=frame,
        mrr_at_start=int(totals["mrr_at_start"]),
        mrr_at_end=int(totals["mrr_at_end"]),
        churned=int(totals["churned"]),
        contraction=int(totals["contraction"]),
        expansion=int(totals["expansion"]),
        new=int(totals["new"]),
        counts={name: int(totals[f"n_{name}"]) for name in MOVEMENTS},
    )


# --- Rates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """A rate as numerator / denominator over [start, end), with the parts it is made of.
    ``value`` is None when the denominator is 0 (undefined, not 0 %)."""

    metric: str
    start: dt.date
    end: dt.date
    numerator: int
    denominator: int
    details: dict[str, int] = field(default_factory=dict)

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class LogoChurn:
    """Logo churn over [start, end): ``rate`` = churned / active_at_start."""

    start: dt.date
    end: dt.date
    churned: int
    active_at_start: int

    @property
    def rate(self) -> float | None:
        return self.churned / self.active_at_start if self.active_at_start else None

    @property
    def retention(self) -> float | None:
        """METRICS.md: Retention = 1 − churn."""
        return None if self.rate is None else 1 - self.rate

    # The generic shape the ``kizuna metrics`` command prints.
    @property
    def value(self) -> float | None:
        return self.rate

    @property
    def numerator(self) -> int:
        return self.churned

    @property
    def denominator(self) -> int:
        return self.active_at_start

    @property
    def details(self) -> dict[str, Any]:
        return {
            "churned": self.churned,
            "active_at_start": self.active_at_start,
            "retention": self.retention,
        }


def logo_churn(start: dt.date, end: dt.date) -> LogoChurn:
    """METRICS.md: "Logo churn rate over [start, end): accounts active at start and not at
    end / accounts active at start. Retention = 1 − churn." (Accounts are active on a date
    when a subscription covers it, start ≤ date < end.)"""
    frame = account_mrr(start, end)
    counts = frame.select(
        active_at_start=(pl.col("subscriptions_start") > 0).sum(),
        churned=((pl.col("subscriptions_start") > 0) & (pl.col("subscriptions_end") == 0)).sum(),
    ).row(0, named=True)
    return LogoChurn(start, end, int(counts["churned"]), int(counts["active_at_start"]))


def _parts(movements: MrrMovements) -> dict[str, int]:
    return {
        "mrr_at_start": movements.mrr_at_start,
        "churned": movements.churned,
        "contraction": movements.contraction,
        "expansion": movements.expansion,
        "new": movements.new,
    }


def mrr_churn(start: dt.date, end: dt.date) -> Ratio:
    """METRICS.md: "MRR churn rate: (MRR of churned accounts + downsell MRR of retained
    accounts) / MRR at start." """
    m = mrr_movements(start, end)
    return Ratio("mrr-churn", start, end, m.churned + m.contraction, m.mrr_at_start, _parts(m))


def grr(start: dt.date, end: dt.date) -> Ratio:
    """METRICS.md: "GRR: (MRR at start − churned − contraction) / MRR at start, over
    accounts active at start. […] New accounts in the period are excluded." """
    m = mrr_movements(start, end)
    kept = m.mrr_at_start - m.churned - m.contraction
    return Ratio("grr", start, end, kept, m.mrr_at_start, _parts(m))


def nrr(start: dt.date, end: dt.date) -> Ratio:
    """METRICS.md: "NRR: (MRR at start − churned − contraction + expansion) / MRR at
    start. New accounts in the period are excluded." """
    m = mrr_movements(start, end)
    kept = m.mrr_at_start - m.churned - m.contraction + m.expansion
    return Ratio("nrr", start, end, kept, m.mrr_at_start, _parts(m))


# --- Renewals pipeline -----------------------------------------------------------------

# Health engine hook: given account ids and a day, the health band of each account
# ("red"/"yellow"/"green"); accounts it omits get None. Until the health engine exists,
# callers pass nothing and every band is None.
HealthLookup = Callable[[Sequence[int], dt.date], Mapping[int, str | None]]


@dataclass(frozen=True)
class Renewal:
    """A subscription coming up for renewal. ``end_date`` is its first uncovered day (the
    renewal date); ``horizon`` the smallest horizon (in days) it falls within;
    ``renewed`` says that a subscription of the same account and product already covers
    ``end_date`` (the renewal is booked)."""

    subscription_id: int
    external_id: str
    account_id: int
    account_name: str
    product: str
    plan: str
    end_date: dt.date
    days_left: int
    horizon: int
    mrr: int
    renewed: bool
    health: str | None


@dataclass(frozen=True)
class HorizonTotal:
    days: int
    subscriptions: int
    mrr: int


@dataclass(frozen=True)
class RenewalsPipeline:
    today: dt.date
    horizons: tuple[int, ...]
    items: list[Renewal]
    totals: list[HorizonTotal]


def renewals_pipeline(
    today: dt.date,
    horizons: Sequence[int] = (30, 60, 90),
    *,
    health: HealthLookup | None = None,
) -> RenewalsPipeline:
    """Subscriptions whose end date falls within the next N days, for each horizon N:
    today < end_date ≤ today + N. A subscription ending today no longer covers today, so
    it has lapsed and is not "up for renewal"; open-ended subscriptions never are.
    Totals per horizon are cumulative (the 60-day figure includes the 30-day one)."""
    ordered = tuple(sorted({int(days) for days in horizons}))
    if not ordered or ordered[0] <= 0:
        raise ValueError("horizons must be positive numbers of days")
    limits = {days: today + dt.timedelta(days=days) for days in ordered}
    window = Subscription.objects.filter(end_date__gt=today, end_date__lte=limits[ordered[-1]])
    aggregates: dict[str, Any] = {}
    for days, limit in limits.items():
        in_horizon = Q(end_date__lte=limit)
        aggregates[f"n{days}"] = Count("pk", filter=in_horizon)
        aggregates[f"m{days}"] = Sum("mrr", filter=in_horizon, default=Decimal(0))
    sums = window.aggregate(**aggregates)
    totals = [HorizonTotal(days, int(sums[f"n{days}"]), int(sums[f"m{days}"])) for days in ordered]
    booked = Subscription.objects.filter(
        account_id=OuterRef("account_id"),
        product=OuterRef("product"),
        start_date__lte=OuterRef("end_date"),
    ).filter(Q(end_date__isnull=True) | Q(end_date__gt=OuterRef("end_date")))
    rows = list(
        window.annotate(renewed=Exists(booked.exclude(pk=OuterRef("pk"))))
        .order_by("end_date", "account__name", "pk")
        .values_list(
            "pk",
            "external_id",
            "account_id",
            F("account__name"),
            "product",
            "plan",
            "end_date",
            "mrr",
            "renewed",
        )
    )
    bands = dict(health([row[2] for row in rows], today)) if health is not None else {}
    items = [
        Renewal(
            subscription_id=pk,
            external_id=external_id,
            account_id=account_id,
            account_name=account_name,
            product=product,
            plan=plan,
            end_date=end_date,
            days_left=(end_date - today).days,
            horizon=next(days for days in ordered if end_date <= limits[days]),
            mrr=int(mrr),
            renewed=bool(renewed),
            health=bands.get(account_id),
        )
        for pk, external_id, account_id, account_name, product, plan, end_date, mrr, renewed in rows
    ]
    return RenewalsPipeline(today, ordered, items, totals)
