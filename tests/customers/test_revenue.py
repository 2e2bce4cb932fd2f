"""Revenue metrics against a hand-worked example, and against an independent pandas
implementation on a simulated book of several hundred accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kizuna.customers import revenue
from kizuna.customers.models import Account, Subscription

D = dt.date
START, END = D(2025, 4, 1), D(2025, 7, 1)  # the period [2025-04-01, 2025-07-01)


@pytest.fixture
def book(
    account: Callable[..., Account], subscribe: Callable[..., Subscription]
) -> dict[str, Account]:
    """Ten accounts, MRR in thousands of yen (k). At START / at END:

    A churn:        100k 2024-04-01..2025-05-01            100k / —     churned 100k
    B downsell:      50k ..2025-06-01, then 30k open        50k / 30k   contraction 20k
    C expansion:     80k open + 20k from 2025-05-15         80k / 100k  expansion 20k
    D two subs:      40k + 10k, both open                   50k / 50k   unchanged
    E new:           60k from 2025-05-01                     — / 60k    new (excluded)
    F ends on END:   30k ..2025-07-01 (exclusive)           30k / —     churned 30k
    G reactivated:   20k ..2025-01-01, 25k from 2025-06-01   — / 25k    new (excluded)
    H gap:           40k ..2025-05-01, 45k from 2025-06-01  40k / 45k   expansion 5k
    I free plan:      0k open                                 0 / 0     unchanged, active
    J starts START:  10k from 2025-04-01                    10k / 10k   unchanged
    """
    a = {key: account(key) for key in "ABCDEFGHIJ"}
    k = 1000
    subscribe(a["A"], 100 * k, D(2024, 4, 1), D(2025, 5, 1))
    subscribe(a["B"], 50 * k, D(2024, 1, 1), D(2025, 6, 1))
    subscribe(a["B"], 30 * k, D(2025, 6, 1))
    subscribe(a["C"], 80 * k, D(2024, 10, 1))
    subscribe(a["C"], 20 * k, D(2025, 5, 15), product="Kizuna Analytics")
    subscribe(a["D"], 40 * k, D(2024, 1, 1))
    subscribe(a["D"], 10 * k, D(2024, 1, 1), product="Kizuna Analytics")
    subscribe(a["E"], 60 * k, D(2025, 5, 1))
    subscribe(a["F"], 30 * k, D(2024, 7, 1), D(2025, 7, 1))
    subscribe(a["G"], 20 * k, D(2024, 1, 1), D(2025, 1, 1))
    subscribe(a["G"], 25 * k, D(2025, 6, 1))
    subscribe(a["H"], 40 * k, D(2024, 1, 1), D(2025, 5, 1))
    subscribe(a["H"], 45 * k, D(2025, 6, 1))
    subscribe(a["I"], 0, D(2024, 1, 1))
    subscribe(a["J"], 10 * k, D(2025, 4, 1))
    return a


# Worked by hand from the table above:
#   active at START: A B C D F H I J = 8 accounts (E and G are not)
#   MRR at START = 100 + 50 + 80 + 50 + 30 + 40 + 0 + 10 = 360k
#   churned: A, F -> 2 accounts, 100 + 30 = 130k
#   contraction: B 50 -> 30 = 20k;  expansion: C 20k + H 5k = 25k
#   new: E 60k + G 25k = 85k (excluded from every rate)
#   MRR at END = 30 + 100 + 50 + 60 + 25 + 45 + 0 + 10 = 320k


@pytest.mark.django_db
def test_logo_churn_by_hand(book: dict[str, Account]) -> None:
    result = revenue.logo_churn(START, END)
    # 2 churned (A, F) / 8 active at start
    assert (result.churned, result.active_at_start) == (2, 8)
    assert result.rate == pytest.approx(0.25)
    assert result.retention == pytest.approx(0.75)


@pytest.mark.django_db
def test_mrr_movements_by_hand(book: dict[str, Account]) -> None:
    m = revenue.mrr_movements(START, END)
    assert (m.mrr_at_start, m.mrr_at_end) == (360_000, 320_000)
    assert (m.churned, m.contraction, m.expansion, m.new) == (130_000, 20_000, 25_000, 85_000)
    assert m.counts == {"churned": 2, "contraction": 1, "expansion": 2, "new": 2, "unchanged": 3}
    assert m.active_at_start == 8
    by_name = {
        Account.objects.get(pk=row["account_id"]).external_id: row
        for row in m.accounts.iter_rows(named=True)
    }
    assert set(by_name) == set("ABCDEFGHIJ")
    expected = {
        "A": (100_000, 0, "churned"),
        "B": (50_000, 30_000, "contraction"),
        "C": (80_000, 100_000, "expansion"),
        "D": (50_000, 50_000, "unchanged"),
        "E": (0, 60_000, "new"),
        "F": (30_000, 0, "churned"),
        "G": (0, 25_000, "new"),
        "H": (40_000, 45_000, "expansion"),
        "I": (0, 0, "unchanged"),
        "J": (10_000, 10_000, "unchanged"),
    }
    assert {
        key: (row["mrr_start"], row["mrr_end"], row["movement"]) for key, row in by_name.items()
    } == expected


@pytest.mark.django_db
def test_mrr_churn_grr_nrr_by_hand(book: dict[str, Account]) -> None:
    churn = revenue.mrr_churn(START, END)
    # (130k churned + 20k downsell) / 360k = 150 / 360
    assert (churn.numerator, churn.denominator) == (150_000, 360_000)
    assert churn.value == pytest.approx(150 / 360)
    gross = revenue.grr(START, END)
    # (360 - 130 - 20) / 360 = 210 / 360
    assert (gross.numerator, gross.denominator) == (210_000, 360_000)
    assert gross.value == pytest.approx(210 / 360)
    net = revenue.nrr(START, END)
    # (360 - 130 - 20 + 25) / 360 = 235 / 360; E and G (new) add nothing
    assert (net.numerator, net.denominator) == (235_000, 360_000)
    assert net.value == pytest.approx(235 / 360)


@pytest.mark.django_db
def test_the_period_end_is_exclusive_and_start_inclusive(book: dict[str, Account]) -> None:
    # One day later F's subscription (end 2025-07-01) is already over at both ends...
    assert not book["F"].is_active_on(END)
    assert book["F"].is_active_on(END - dt.timedelta(days=1))
    # ...and J, whose subscription starts on START, is active on START.
    assert book["J"].is_active_on(START)
    assert not book["J"].is_active_on(START - dt.timedelta(days=1))
    # A period ending the day before F's end date keeps F: only A churns then.
    assert revenue.logo_churn(START, D(2025, 6, 30)).churned == 1


@pytest.mark.django_db
def test_active_on_and_mrr_on_helpers(book: dict[str, Account]) -> None:
    active = set(Account.objects.active_on(START).values_list("external_id", flat=True))
    assert active == set("ABCDFHIJ")
    assert book["C"].mrr_on(START) == Decimal(80_000)
    assert book["C"].mrr_on(END) == Decimal(100_000)  # two covering subscriptions
    assert book["G"].mrr_on(START) == Decimal(0)  # lapsed, back in June
    assert Subscription.objects.covering(END).filter(account=book["G"]).count() == 1


@pytest.mark.django_db
def test_undefined_rates_have_no_value() -> None:
    assert revenue.logo_churn(START, END).rate is None
    assert revenue.logo_churn(START, END).retention is None
    assert revenue.grr(START, END).value is None
    with pytest.raises(ValueError):
        revenue.logo_churn(END, START)
    with pytest.raises(ValueError):
        revenue.mrr_movements(START, START)


@pytest.mark.django_db
def test_renewals_pipeline(
    account: Callable[..., Account], subscribe: Callable[..., Subscription]
) -> None:
    today = D(2025, 4, 1)
    x, y, z = account("X", "X社"), account("Y", "Y社"), account("Z", "Z社")
    subscribe(x, 10_000, D(2024, 4, 1), D(2025, 4, 1))  # ended today: lapsed, not listed
    s1 = subscribe(x, 20_000, D(2024, 4, 2), D(2025, 4, 2))  # 1 day -> 30
    s2 = subscribe(y, 30_000, D(2024, 5, 1), D(2025, 5, 1))  # 30 days -> 30
    s3 = subscribe(y, 40_000, D(2024, 5, 2), D(2025, 5, 2), product="Other")  # 31 -> 60
    s4 = subscribe(z, 50_000, D(2024, 6, 30), D(2025, 6, 30))  # 90 days -> 90
    subscribe(z, 60_000, D(2024, 7, 1), D(2025, 7, 1), product="Other")  # 91 days: outside
    subscribe(z, 70_000, D(2024, 1, 1), product="Other")  # open-ended: never up for renewal
    subscribe(y, 30_000, D(2025, 5, 1), D(2026, 5, 1))  # Y's renewal of s2 is booked

    pipeline = revenue.renewals_pipeline(today)
    assert [(r.subscription_id, r.days_left, r.horizon) for r in pipeline.items] == [
        (s1.pk, 1, 30),
        (s2.pk, 30, 30),
        (s3.pk, 31, 60),
        (s4.pk, 90, 90),
    ]
    assert [r.renewed for r in pipeline.items] == [False, True, False, False]
    assert {r.health for r in pipeline.items} == {None}
    assert pipeline.items[0].account_name == "X社"
    # cumulative: 30 days: s1 + s2 = 50k; 60 days: + s3 = 90k; 90 days: + s4 = 140k
    assert [(t.days, t.subscriptions, t.mrr) for t in pipeline.totals] == [
        (30, 2, 50_000),
        (60, 3, 90_000),
        (90, 4, 140_000),
    ]
    banded = revenue.renewals_pipeline(
        today, (7,), health=lambda ids, day: dict.fromkeys(ids, "green")
    )
    assert [(r.subscription_id, r.health) for r in banded.items] == [(s1.pk, "green")]


# --- Independent cross-check -------------------------------------------------------------


def _simulate(seed: int, accounts: int) -> pd.DataFrame:
    """Subscriptions of ``accounts`` accounts over 2023-2026: 1-3 subscriptions each,
    random starts, about a third open-ended, MRR in whole yen (some zero), with gaps and
    returns arising naturally from independent random dates."""
    rng = np.random.default_rng(seed)
    base = np.datetime64("2023-01-01")
    rows = []
    for account_index in range(accounts):
        for _n in range(rng.integers(1, 4)):
            start = base + np.timedelta64(int(rng.integers(0, 1200)), "D")
            length = np.timedelta64(int(rng.integers(1, 700)), "D")
            end = start + length if rng.random() < 0.66 else None
            mrr = 0 if rng.random() < 0.05 else int(rng.integers(1, 500)) * 1000
            rows.append((account_index, start, end, mrr))
    # A few subscriptions ending exactly on the period end and starting on its start.
    rows.append((0, np.datetime64("2024-01-01"), np.datetime64("2025-07-01"), 12_345))
    rows.append((1, np.datetime64("2025-04-01"), None, 54_321))
    frame = pd.DataFrame(rows, columns=["account", "start", "end", "mrr"])
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    return frame


def _pandas_metrics(subs: pd.DataFrame, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The METRICS.md definitions written directly in pandas."""

    def on(day: dt.date) -> pd.DataFrame:
        ts = pd.Timestamp(day)
        covering = subs[(subs["start"] <= ts) & (subs["end"].isna() | (subs["end"] > ts))]
        return covering.groupby("account")["mrr"].agg(["sum", "size"])

    s, e = on(start).add_suffix("_s"), on(end).add_suffix("_e")
    both = s.join(e, how="outer").fillna(0)
    active_s, active_e = both["size_s"] > 0, both["size_e"] > 0
    retained = active_s & active_e
    delta = both["sum_e"] - both["sum_s"]
    churned_mrr = int(both.loc[active_s & ~active_e, "sum_s"].sum())
    contraction = int(-delta[retained & (delta < 0)].sum())
    expansion = int(delta[retained & (delta > 0)].sum())
    mrr_start = int(both.loc[active_s, "sum_s"].sum())
    return {
        "active": int(active_s.sum()),
        "churned": int((active_s & ~active_e).sum()),
        "mrr_start": mrr_start,
        "churned_mrr": churned_mrr,
        "contraction": contraction,
        "expansion": expansion,
        "new": int(both.loc[~active_s & active_e, "sum_e"].sum()),
        "logo": Fraction(int((active_s & ~active_e).sum()), int(active_s.sum())),
        "mrr_churn": Fraction(churned_mrr + contraction, mrr_start),
        "grr": Fraction(mrr_start - churned_mrr - contraction, mrr_start),
        "nrr": Fraction(mrr_start - churned_mrr - contraction + expansion, mrr_start),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end"),
    [
        (D(2025, 4, 1), D(2025, 7, 1)),
        (D(2024, 1, 1), D(2025, 1, 1)),
        (D(2025, 6, 15), D(2025, 9, 15)),
    ],
)
def test_metrics_agree_with_an_independent_pandas_implementation(
    start: dt.date, end: dt.date
) -> None:
    subs = _simulate(seed=20251127, accounts=400)
    accounts = Account.objects.bulk_create(
        [Account(external_id=f"SIM{i:04d}", name=f"模擬{i}") for i in range(400)]
    )
    Subscription.objects.bulk_create(
        [
            Subscription(
                account=accounts[row.account],
                external_id=f"SIMSUB{index:05d}",
                product="Kizuna Cloud",
                mrr=Decimal(row.mrr),
                start_date=row.start.date(),
                end_date=None if pd.isna(row.end) else row.end.date(),
            )
            for index, row in enumerate(subs.itertuples())
        ]
    )
    expected = _pandas_metrics(subs, start, end)
    assert expected["active"] > 100  # the simulation exercises every movement
    m = revenue.mrr_movements(start, end)
    assert min(m.counts.values()) > 0  # every kind of movement occurs
    assert (m.mrr_at_start, m.churned, m.contraction, m.expansion, m.new) == (
        expected["mrr_start"],
        expected["churned_mrr"],
        expected["contraction"],
        expected["expansion"],
        expected["new"],
    )
    logo = revenue.logo_churn(start, end)
    assert (logo.churned, logo.active_at_start) == (expected["churned"], expected["active"])
    for name, function in [
        ("mrr_churn", revenue.mrr_churn),
        ("grr", revenue.grr),
        ("nrr", revenue.nrr),
    ]:
        result = function(start, end)
        assert Fraction(result.numerator, result.denominator) == expected[name]
    assert Fraction(logo.churned, logo.active_at_start) == expected["logo"]
