"""The demo company's planted behaviour — accounts that stop using a key feature churn
more — must be found by the health score's back-test and by the churn-risk model.

Built at the demo's default size (500 accounts, 5,000 users, 18 months): at 150 accounts
the history holds fewer than 20 churns with a score 90 days before, too few to validate
a model out of time (the model then, rightly, refuses to be shown). Which accounts
stopped using a key feature is read straight from the raw events with SQL here, not
through the usage metrics.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kizuna.customers import backtest, churn_model
from kizuna.customers.demo import build_customer_demo
from kizuna.customers.models import Account
from kizuna.usage import store
from kizuna.usage.models import Feature
from tests.customers.test_health import events_store

__all__ = ["events_store"]

TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def demo(db: None, events_store: Path) -> None:
    build_customer_demo(accounts=500, users=5000, months=18, seed=7, today=TODAY)


def stopped_key_features(today: dt.date) -> dict[str, set[str]]:
    """external id → slugs of the key features its users used in the 180 days before
    ``today`` but not in the last 28 of them (Tokyo days, qualifying events only)."""
    pairs = [
        (slug, name)
        for slug, names in Feature.objects.filter(is_key=True).values_list("slug", "event_names")
        for name in names
    ]
    window = today - dt.timedelta(days=28)
    with store.connect() as con:
        con.execute("CREATE TEMP TABLE key_events (slug VARCHAR, action VARCHAR)")
        con.executemany("INSERT INTO key_events VALUES (?, ?)", pairs)
        rows = con.execute(
            """
            WITH used AS (
                SELECT e.group_id, k.slug,
                       CAST(timezone('Asia/Tokyo', e."timestamp") AS DATE) AS day
                FROM events e
                JOIN key_events k
                  ON k.action = CASE WHEN e.type = 'track' THEN e.event ELSE e.name END
                WHERE e.type IN ('track', 'page', 'screen') AND e.user_id IS NOT NULL
            )
            SELECT group_id, slug FROM used GROUP BY group_id, slug
            HAVING count(*) FILTER (WHERE day >= ? AND day < ?) > 0
               AND count(*) FILTER (WHERE day >= ? AND day < ?) = 0
            """,
            [today - dt.timedelta(days=180), window, window, today],
        ).fetchall()
    stopped: dict[str, set[str]] = {}
    for group_id, slug in rows:
        stopped.setdefault(group_id, set()).add(slug)
    return stopped


def test_backtest_and_churn_model_find_the_key_feature_stop(demo: None) -> None:
    # The health score 90 days before a renewal separates churn from renewal.
    result = backtest.backtest(90, today=TODAY)
    assert result.enough and result.auc is not None
    assert result.auc.low > 0.5 and result.auc.value > 0.6, result.auc

    # The churn model, validated out of time, is good enough to be shown …
    run = churn_model.train(90, today=TODAY)
    assert run.usable and run.auc_low is not None and run.auc_low > 0.5, (run.note, run.auc)
    coefficients = dict(zip(run.model["features"], run.model["coef"], strict=True))
    strongest = max(coefficients, key=lambda name: coefficients[name])
    assert strongest == churn_model.STOPPED or strongest.startswith(churn_model.DROP_PREFIX)

    # … and a stopped key feature is the top reason of every account that stopped one.
    risks = {risk.account_id: risk for risk in churn_model.risks(TODAY)}
    ids = dict(Account.objects.values_list("external_id", "pk"))
    stopped = {
        ids[ext]: slugs for ext, slugs in stopped_key_features(TODAY).items() if ids[ext] in risks
    }
    assert len(stopped) >= 10
    for account_id, slugs in stopped.items():
        top = risks[account_id].reasons[0]
        assert top["feature"] == churn_model.KEY_FEATURE_STOP, (account_id, slugs, top)
        assert set(top["detail"]) == slugs
    stopped_mean = sum(risks[a].probability for a in stopped) / len(stopped)
    others = [risk.probability for a, risk in risks.items() if a not in stopped]
    assert stopped_mean > 2 * sum(others) / len(others)
