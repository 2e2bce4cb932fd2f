"""The review: before/after with its interval, computed independently here, and a
verdict that says "improved" only when the whole interval is on the good side of zero."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from kizuna.core.models import User
from kizuna.improvement import effect, metrics, services
from kizuna.improvement.metrics import MetricValue
from kizuna.improvement.models import Review, Verdict


def wilson(x: int, n: int, z: float) -> tuple[float, float]:
    p = x / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def newcombe(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float]:
    """Newcombe (1998) method 10 for p2 − p1, written out from the paper."""
    z = sps.norm.ppf(0.975)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p2 - p1
    return (
        d,
        d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
        d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2),
    )


def test_favourable_40_of_100_to_55_of_100_is_15_points_with_the_newcombe_interval() -> None:
    """By hand: Wilson 95% for 40/100 is (0.3094, 0.4980), for 55/100 (0.4524, 0.6439);
    d = 0.15, low = 0.15 − √(0.0976² + 0.0980²) = 0.0117, high = 0.15 + √(0.0939² +
    0.0906²) = 0.2804. Pooled z = 0.15 / √(0.475·0.525·0.02) = 2.124, p = 0.034."""
    result = effect.compare(MetricValue.proportion(40, 100), MetricValue.proportion(55, 100))
    _d, low, high = newcombe(40, 100, 55, 100)
    sm_low, sm_high = confint_proportions_2indep(55, 100, 40, 100, method="newcomb")
    _z, sm_p = proportions_ztest([55, 40], [100, 100])
    assert result.diff == pytest.approx(15.0)
    assert result.ci_low == pytest.approx(100 * low) == pytest.approx(100 * sm_low)
    assert result.ci_high == pytest.approx(100 * high) == pytest.approx(100 * sm_high)
    assert result.ci_low == pytest.approx(1.17, abs=0.01)
    assert result.ci_high == pytest.approx(28.04, abs=0.01)
    assert result.p_value == pytest.approx(sm_p) == pytest.approx(0.0337, abs=1e-4)
    assert result.verdict == Verdict.IMPROVED


def test_means_use_welch_as_scipy_computes_it_from_the_raw_answers() -> None:
    rng = np.random.default_rng(7)
    before = np.clip(rng.normal(58, 18, 80), 0, 100)
    after = np.clip(rng.normal(64, 15, 95), 0, 100)
    result = effect.compare(
        MetricValue.from_mean(before.mean(), before.var(ddof=1), before.size),
        MetricValue.from_mean(after.mean(), after.var(ddof=1), after.size),
    )
    reference = sps.ttest_ind(after, before, equal_var=False)
    interval = reference.confidence_interval(0.95)
    from_stats = sps.ttest_ind_from_stats(
        after.mean(),
        after.std(ddof=1),
        after.size,
        before.mean(),
        before.std(ddof=1),
        before.size,
        equal_var=False,
    )
    assert result.diff == pytest.approx(after.mean() - before.mean())
    assert result.ci_low == pytest.approx(interval.low)
    assert result.ci_high == pytest.approx(interval.high)
    assert result.p_value == pytest.approx(reference.pvalue) == pytest.approx(from_stats.pvalue)
    expected = Verdict.IMPROVED if interval.low > 0 else Verdict.NO_CLEAR_CHANGE
    assert result.verdict == expected


def test_enps_as_a_mean_has_the_variance_of_its_plus_minus_100_scores() -> None:
    answers = np.array([10, 9, 9, 8, 7, 6, 5, 3, 10, 0, 9, 7])
    scores = np.where(answers >= 9, 100.0, np.where(answers <= 6, -100.0, 0.0))
    value = MetricValue.enps(int((answers >= 9).sum()), int((answers <= 6).sum()), answers.size)
    assert value.mean == pytest.approx(scores.mean())  # 100 × (5 − 4) / 12 = 8.33
    assert value.mean == pytest.approx(100 * (5 - 4) / 12)
    assert value.variance == pytest.approx(scores.var(ddof=1))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ((40, 100), (55, 100), Verdict.IMPROVED),  # interval +1.2 … +28.0
        ((40, 100), (45, 100), Verdict.NO_CLEAR_CHANGE),  # +5 points, interval spans 0
        ((55, 100), (40, 100), Verdict.WORSENED),  # the mirror image: −28.0 … −1.2
        ((3, 6), (5, 6), Verdict.NO_CLEAR_CHANGE),  # +33 points but a team of six
    ],
)
def test_verdict_from_proportions(
    before: tuple[int, int], after: tuple[int, int], expected: str
) -> None:
    result = effect.compare(MetricValue.proportion(*before), MetricValue.proportion(*after))
    _d, low, high = newcombe(*before, *after)
    independent = (
        Verdict.IMPROVED if low > 0 else Verdict.WORSENED if high < 0 else Verdict.NO_CLEAR_CHANGE
    )
    assert result.verdict == expected == independent


def test_verdict_reads_the_interval_not_the_difference() -> None:
    assert effect.verdict(0.5, 9.0) == Verdict.IMPROVED
    assert effect.verdict(0.0, 9.0) == Verdict.NO_CLEAR_CHANGE  # touching zero is not enough
    assert effect.verdict(-0.1, 9.0) == Verdict.NO_CLEAR_CHANGE
    assert effect.verdict(-9.0, -0.5) == Verdict.WORSENED
    assert effect.verdict(None, None) == Verdict.NO_CLEAR_CHANGE
    # a metric where lower is better (e.g. turnover): a fall is the improvement
    assert effect.verdict(-9.0, -0.5, higher_is_better=False) == Verdict.IMPROVED
    assert effect.verdict(0.5, 9.0, higher_is_better=False) == Verdict.WORSENED


def test_metric_values_refuse_impossible_inputs() -> None:
    with pytest.raises(ValueError):
        MetricValue.proportion(11, 10)
    with pytest.raises(ValueError):
        MetricValue.from_mean(50, -1, 10)
    with pytest.raises(ValueError):
        MetricValue(value=50, n=10)  # neither a count nor a mean
    with pytest.raises(ValueError):
        effect.compare(MetricValue.proportion(4, 10), MetricValue.from_mean(50, 10, 10))


# --- storing reviews and measuring through providers --------------------------------------


@pytest.fixture
def engagement_plan(
    role_users: dict[str, User],
    make_plan: Callable[..., Any],
    surveys: dict[str, Any],
    company: dict[str, Any],
) -> Any:
    return make_plan(
        role_users["hr"],
        "SALES1",
        target_metric="好意的回答率：評価への納得感",
        target_value=55.0,
        baseline_value=40.0,
        baseline_n=100,
        source={
            "kind": "engagement",
            "survey_id": surveys["spring"].pk,
            "metric": "factor_favourable",
            "factor": "fair_evaluation",
            "item": None,
            "group": {"attribute": "department", "value": company["departments"]["SALES1"].pk},
        },
    )


@pytest.mark.django_db
def test_measure_now_asks_the_provider_for_the_source_survey_and_the_latest_one(
    engagement_plan: Any, role_users: dict[str, User], surveys: dict[str, Any]
) -> None:
    asked: list[int | None] = []

    def provider(source: Any, survey_id: int | None) -> MetricValue | None:
        asked.append(survey_id)
        counts = {surveys["spring"].pk: (40, 100), surveys["autumn"].pk: (55, 100)}
        return MetricValue.proportion(*counts[survey_id]) if survey_id in counts else None

    metrics.register_provider("engagement", provider)
    review = services.measure_now(engagement_plan, role_users["hr"])
    assert set(asked) == {surveys["spring"].pk, surveys["autumn"].pk}
    stored = Review.objects.get(pk=review.pk)
    assert (stored.before_value, stored.before_n) == (40.0, 100)
    assert (stored.after_value, stored.after_n) == (55.0, 100)
    assert stored.diff == pytest.approx(15.0)
    assert stored.ci_low == pytest.approx(1.172, abs=1e-3)
    assert stored.ci_high == pytest.approx(28.045, abs=1e-3)
    assert stored.verdict == Verdict.IMPROVED
    assert stored.inputs["origin"] == "provider"


@pytest.mark.django_db
def test_without_a_provider_or_a_visible_value_measuring_now_explains_why(
    engagement_plan: Any, role_users: dict[str, User], surveys: dict[str, Any]
) -> None:
    with pytest.raises(services.NothingToMeasure):
        services.measure_now(engagement_plan, role_users["hr"])
    # the provider answers None: the group is hidden by the anonymity guard
    metrics.register_provider("engagement", lambda source, survey_id: None)
    with pytest.raises(services.NothingToMeasure):
        services.measure_now(engagement_plan, role_users["hr"])

    # a provider that fails is logged and treated as "no answer", not a crash
    def broken(source: Any, survey_id: int | None) -> MetricValue | None:
        raise ZeroDivisionError

    metrics.register_provider("engagement", broken)
    with pytest.raises(services.NothingToMeasure):
        services.measure_now(engagement_plan, role_users["hr"])
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_the_before_value_falls_back_to_the_recorded_baseline_for_shares(
    engagement_plan: Any, role_users: dict[str, User], surveys: dict[str, Any]
) -> None:
    def provider(source: Any, survey_id: int | None) -> MetricValue | None:
        # the spring wave's raw data are gone; only the autumn wave can be measured
        return MetricValue.proportion(55, 100) if survey_id == surveys["autumn"].pk else None

    metrics.register_provider("engagement", provider)
    review = services.measure_now(engagement_plan, role_users["hr"])
    assert review.inputs["before"]["favourable"] == 40  # 40.0 % of 100 respondents
    assert review.diff == pytest.approx(15.0)


@pytest.mark.django_db
def test_hr_enters_values_by_hand_and_sees_the_verdict_on_the_plan(
    english: Client, engagement_plan: Any, role_users: dict[str, User]
) -> None:
    english.force_login(role_users["hr"])
    url = reverse("improvement:review", args=[engagement_plan.pk])
    form = english.get(url).context["form"]
    assert form.initial == {"method": "proportion", "before_value": 40.0, "before_n": 100}
    response = english.post(
        url,
        {
            "method": "proportion",
            "before_value": "40",
            "before_n": "100",
            "after_value": "55",
            "after_n": "100",
            "note": "秋のパルスで確認",
        },
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.inputs["before"]["favourable"] == 40 and review.by == role_users["hr"]
    page = english.get(reverse("improvement:plan_detail", args=[engagement_plan.pk]))
    text = page.content.decode()
    assert "+15.0" in text and "+1.2 to +28.0 points" in text
    assert "the metric has improved by more than chance alone would explain" in text
    assert "“Improved” is shown only when the whole interval of the difference" in text


@pytest.mark.django_db
def test_typed_in_values_are_for_hr_and_bad_ones_change_nothing(
    english: Client, engagement_plan: Any, role_users: dict[str, User]
) -> None:
    url = reverse("improvement:review", args=[engagement_plan.pk])
    bad = {
        "method": "mean",
        "before_value": "60",
        "before_n": "1",
        "after_value": "65",
        "after_n": "30",
        "after_sd": "",
    }
    english.force_login(role_users["hr"])
    response = english.post(url, bad)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["before_n"] == ["An average needs at least 2 respondents."]
    assert errors["before_sd"] == ["Enter the standard deviation (0 or more)."]
    assert errors["after_sd"] == ["Enter the standard deviation (0 or more)."]
    english.force_login(role_users["manager"])  # the plan is in the manager's subtree
    assert english.get(url).status_code == 200
    assert english.get(url).context["form"] is None
    assert english.post(url, {**bad, "before_n": "30", "before_sd": "10"}).status_code == 403
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_the_latest_survey_prefers_the_next_wave_of_the_same_series(
    surveys: dict[str, Any],
) -> None:
    from kizuna.surveys.models import Survey

    other = Survey.objects.create(
        name="別シリーズ",
        kind="adhoc",
        status="closed",
        questionnaire=surveys["spring"].questionnaire,
        series="other",
        opens_on=dt.date(2026, 11, 1),
    )
    source = {"kind": "engagement", "survey_id": surveys["spring"].pk}
    assert metrics.latest_survey_id(source) == surveys["autumn"].pk
    source = {"kind": "engagement", "survey_id": surveys["autumn"].pk}
    assert metrics.latest_survey_id(source) == other.pk
    source = {"kind": "engagement", "survey_id": other.pk}
    assert metrics.latest_survey_id(source) is None
