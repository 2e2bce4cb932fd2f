"""The churn-risk model: its validation figures recomputed with scikit-learn on the
validation decisions, the usable gate, the reasons, and the planted effect of the
synthetic company (churners stop using the key feature "report" first)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from django.utils import translation
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from kizuna.customers import churn_model
from kizuna.customers.models import ChurnModelRun, ChurnRisk
from tests.customers.test_backtest import PLANTED_TODAY, Planted, build_planted
from tests.customers.test_health import events_store

__all__ = ["events_store"]

TODAY = PLANTED_TODAY


@pytest.fixture
def planted(db: None, events_store: Path) -> Planted:
    return build_planted()


def test_validation_figures_match_sklearn(planted: Planted) -> None:
    run = churn_model.train(90, today=TODAY)
    assert run.pk and run.usable, (run.note, run.auc_low)
    assert run.cutoff is not None

    frame, names = churn_model.training_frame(90, today=TODAY)
    assert run.features == names
    before = frame.filter(pl.col("decision_day") < run.cutoff)
    after = frame.filter(pl.col("decision_day") >= run.cutoff)
    assert (run.train_rows, run.validation_rows) == (before.height, after.height)
    assert run.validation_churned == after["churned"].sum()
    # Out of time: every validation decision comes after every training decision.
    assert before["decision_day"].max() < after["decision_day"].min()

    # Refit independently with scikit-learn's own pipeline and the chosen C.
    c = run.model["validation_model"]["c"]
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
    pipeline.fit(before.select(names).to_numpy(), before["churned"].to_numpy())
    p_sklearn = pipeline.predict_proba(after.select(names).to_numpy())[:, 1]
    stored = np.array([p for _y, p in run.validation])
    labels = np.array([y for y, _p in run.validation], dtype=bool)
    assert list(labels) == list(after["churned"])
    assert stored == pytest.approx(p_sklearn, abs=1e-4)

    assert run.auc == pytest.approx(roc_auc_score(labels, stored), abs=1e-12)
    assert run.auc_low < run.auc < run.auc_high
    assert run.brier == pytest.approx(brier_score_loss(labels, stored), abs=1e-12)
    observed, predicted = calibration_curve(labels, stored, n_bins=5, strategy="quantile")
    assert [b["observed"] for b in run.calibration] == pytest.approx(list(observed))
    assert [b["predicted"] for b in run.calibration] == pytest.approx(list(predicted))
    assert sum(b["count"] for b in run.calibration) == len(labels)


def test_planted_effect_found(planted: Planted) -> None:
    run = churn_model.train(90, today=TODAY)
    assert run.usable and run.auc_low is not None and run.auc_low > 0.6, run.auc
    model = dict(zip(run.model["features"], run.model["coef"], strict=True))
    # Stopping a key feature raises the risk.
    assert model[churn_model.STOPPED] > 0

    risks = churn_model.risks(TODAY)
    assert risks and ChurnRisk.objects.filter(day=TODAY).count() == len(risks)
    assert [r.probability for r in risks] == sorted((r.probability for r in risks), reverse=True)

    # Accounts that stopped using "report": used it in the 180 days before TODAY but not
    # in the last 28.
    events = planted.events
    assert events is not None
    report = events.filter(pl.col("event") == "Report Viewed").with_columns(
        day=pl.col("timestamp").dt.convert_time_zone("Asia/Tokyo").dt.date()
    )
    window = TODAY - dt.timedelta(days=28)
    since = TODAY - dt.timedelta(days=180)
    used_before = set(
        report.filter((pl.col("day") >= since) & (pl.col("day") < window))["group_id"]
    )
    used_lately = set(
        report.filter((pl.col("day") >= window) & (pl.col("day") < TODAY))["group_id"]
    )
    stopped = {planted.accounts[ext].pk for ext in used_before - used_lately}
    scored = {r.account_id: r for r in risks}
    stopped &= set(scored)
    assert len(stopped) >= 3
    for account_id in stopped:
        reasons = scored[account_id].reasons
        assert reasons[0]["feature"] == churn_model.KEY_FEATURE_STOP
        assert reasons[0]["detail"] == ["report"]
        assert reasons[0]["direction"] == "high" and reasons[0]["value"] == 1
        with translation.override("en"):
            label = churn_model.reason_label(reasons[0])
        assert label == "Stopped using the key feature “レポート”"
    others = [r.probability for account_id, r in scored.items() if account_id not in stopped]
    assert np.mean([scored[a].probability for a in stopped]) > 2 * np.mean(others)


def test_reasons_are_positive_and_at_most_three(planted: Planted) -> None:
    run = churn_model.train(90, today=TODAY)
    for risk in churn_model.risks(TODAY, run=run, store=False):
        assert len(risk.reasons) <= 3
        contributions = [reason["contribution"] for reason in risk.reasons]
        assert all(value > 0 for value in contributions)
        assert contributions == sorted(contributions, reverse=True)
        assert 0 < risk.probability < 1
        for reason in risk.reasons:
            assert churn_model.reason_label(reason, {"report": "レポート", "export": "X"})


def test_without_effect_the_model_is_not_shown(db: None, events_store: Path) -> None:
    build_planted(stop_churn=0.08, base_churn=0.08, seed=2)
    run = churn_model.train(90, today=TODAY)
    assert not run.usable
    assert run.note == churn_model.NOT_RELIABLE
    with translation.override("en"):
        assert "not above 0.5" in churn_model.status_message(run)
    assert churn_model.risks(TODAY) == []
    assert not ChurnRisk.objects.exists()


def test_not_enough_history(db: None, events_store: Path) -> None:
    run = churn_model.train(90, today=TODAY)
    assert not run.usable and run.note == churn_model.NOT_ENOUGH_HISTORY
    assert ChurnModelRun.objects.count() == 1
    assert churn_model.latest_run() == run
    assert churn_model.risks(TODAY) == []
    with translation.override("en"):
        assert "Not enough history" in churn_model.status_message(run)
        assert "not been trained" in churn_model.status_message(None)


@translation.override("en")
def test_reason_labels() -> None:
    label = churn_model.reason_label
    names = {"report": "レポート", "export": "エクスポート"}
    assert label({"feature": "stickiness", "direction": "low"}) == "Low stickiness"
    assert label({"feature": "inactive_days", "direction": "high"}) == "No activity for many days"
    stop = {"feature": "key_feature_stop", "direction": "high", "detail": ["report", "export"]}
    assert label(stop, names) == "Stopped using the key feature “レポート”, “エクスポート”"
    size = {"feature": "size", "direction": "high", "detail": ["small"]}
    assert label(size, names) == "Company size: 1–49 employees"


def test_reasons_group_related_terms() -> None:
    features = [
        "stickiness",
        churn_model.STOPPED,
        "drop:report",
        "drop:export",
        "size:small",
        "size:large",
    ]
    model = churn_model.LinearModel(
        features=features,
        mean=[0.3, 0.2, 0.1, 0.1, 0.5, 0.5],
        scale=[0.1, 0.4, 0.3, 0.3, 0.5, 0.5],
        coef=[-1.0, 0.8, 0.3, -0.1, 0.2, -0.2],
        intercept=-2.0,
    )
    values = np.array([0.1, 1.0, 1.0, 0.0, 1.0, 0.0])
    terms = model.terms(values[None, :])[0]
    # by hand: z = (value − mean) / scale, term = coef × z
    expected_terms = [
        -1.0 * (0.1 - 0.3) / 0.1,  # 2.0
        0.8 * (1 - 0.2) / 0.4,  # 1.6
        0.3 * (1 - 0.1) / 0.3,  # 0.9
        -0.1 * (0 - 0.1) / 0.3,  # 0.0333
        0.2 * (1 - 0.5) / 0.5,  # 0.2
        -0.2 * (0 - 0.5) / 0.5,  # 0.2
    ]
    assert terms == pytest.approx(expected_terms)
    reasons = churn_model.top_reasons(model, values, terms)
    # stop: 1.6 + 0.9 + 0.0333 = 2.53 > stickiness 2.0 > size 0.2 + 0.2
    assert [r["feature"] for r in reasons] == ["key_feature_stop", "stickiness", "size"]
    assert reasons[0]["contribution"] == pytest.approx(1.6 + 0.9 + 0.1 / 3)
    assert reasons[0]["detail"] == ["report"] and reasons[0]["direction"] == "high"
    assert reasons[1]["contribution"] == pytest.approx(2.0)
    assert reasons[1]["direction"] == "low" and reasons[1]["value"] == 0.1
    assert reasons[2]["contribution"] == pytest.approx(0.4) and reasons[2]["detail"] == ["small"]
    logit = -2.0 + sum(expected_terms)
    assert model.probability(values[None, :])[0] == pytest.approx(1 / (1 + np.exp(-logit)))
