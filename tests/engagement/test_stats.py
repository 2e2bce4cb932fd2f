"""Engagement statistics against hand computations, published examples and scipy /
statsmodels / pingouin as references (dev-only libraries, used here and never in src/)."""

import math

import numpy as np
import pandas as pd
import pingouin
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from kizuna.engagement import stats


def _random_groups(seed: int, count: int = 40) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pairs of 1–5-ish samples of varying size, as two waves of many teams."""
    rng = np.random.default_rng(seed)
    groups = []
    for _ in range(count):
        a = rng.normal(3.4, 0.8, rng.integers(2, 40))
        b = rng.normal(3.6, 1.1, rng.integers(2, 40))
        groups.append((a, b))
    return groups


# --- eNPS -------------------------------------------------------------------------------


def test_enps_hand_example():
    # 10 answers: promoters 9, 9, 10, 10, 9 (P = 5); passives 7, 8, 8; detractors 6, 0 (D = 2)
    # eNPS = 100 × (5 − 2) / 10 = 30
    # p_P = 0.5, p_D = 0.2: p_P + p_D − (p_P − p_D)² = 0.7 − 0.09 = 0.61
    # half-width = 1.96 × 100 × sqrt(0.61 / 10) = 196 × 0.2469818 = 48.40843
    # interval = [30 − 48.40843, 30 + 48.40843] = [−18.40843, 78.40843]
    result = stats.enps(np.array([9, 9, 10, 10, 9, 7, 8, 8, 6, 0]))
    assert result.value == pytest.approx(30.0)
    assert result.low == pytest.approx(-18.40843, abs=1e-4)
    assert result.high == pytest.approx(78.40843, abs=1e-4)
    assert (result.n, result.promoters, result.passives, result.detractors) == (10, 5, 3, 2)


def test_enps_ignores_skipped_answers():
    with_skips = stats.enps(np.array([9, np.nan, 9, 10, 10, 9, 7, 8, 8, 6, 0, np.nan]))
    assert with_skips == stats.enps(np.array([9, 9, 10, 10, 9, 7, 8, 8, 6, 0]))


def test_enps_no_answers_is_nan():
    result = stats.enps(np.array([np.nan, np.nan]))
    assert result.n == 0
    assert math.isnan(result.value) and math.isnan(result.low) and math.isnan(result.high)


def test_enps_interval_is_clipped_to_the_scale():
    # one promoter and one detractor: p_P + p_D − 0 = 1, half-width 1.96 × 100 × sqrt(1/2)
    # = 138.6 > 100, so the interval is the whole scale
    result = stats.enps(np.array([10, 0]))
    assert (result.value, result.low, result.high) == (0.0, -100.0, 100.0)
    # everyone a promoter: variance 1 + 0 − 1 = 0, interval collapses at 100
    assert stats.enps(np.array([9, 10, 10])).low == pytest.approx(100.0)


def test_enps_refuses_values_off_the_scale():
    with pytest.raises(ValueError):
        stats.enps(np.array([11, 5]))
    with pytest.raises(ValueError):
        stats.enps(np.array([7.5]))


def test_enps_arrays_matches_per_group_results():
    rng = np.random.default_rng(3)
    groups = [rng.integers(0, 11, rng.integers(1, 30)).astype(float) for _ in range(25)]
    promoters = np.array([np.sum(g >= 9) for g in groups])
    detractors = np.array([np.sum(g <= 6) for g in groups])
    n = np.array([g.size for g in groups])
    value, low, high = stats.enps_arrays(promoters, detractors, n)
    for i, g in enumerate(groups):
        one = stats.enps(g)
        assert (value[i], low[i], high[i]) == pytest.approx((one.value, one.low, one.high))
    empty = stats.enps_arrays(np.array([0]), np.array([0]), np.array([0]))
    assert all(np.isnan(part[0]) for part in empty)


# --- Welch ------------------------------------------------------------------------------


def test_welch_vectorised_equals_scipy_per_group():
    groups = _random_groups(1)
    m1 = np.array([a.mean() for a, _ in groups])
    v1 = np.array([a.var(ddof=1) for a, _ in groups])
    n1 = np.array([a.size for a, _ in groups])
    m2 = np.array([b.mean() for _, b in groups])
    v2 = np.array([b.var(ddof=1) for _, b in groups])
    n2 = np.array([b.size for _, b in groups])
    t, df, p = stats.welch_test(m1, v1, n1, m2, v2, n2)
    for i, (a, b) in enumerate(groups):
        ref = sps.ttest_ind(a, b, equal_var=False)
        assert t[i] == pytest.approx(ref.statistic, rel=1e-10)
        assert df[i] == pytest.approx(ref.df, rel=1e-10)
        assert p[i] == pytest.approx(ref.pvalue, rel=1e-8)


def test_welch_scalar_inputs_give_scalars():
    a, b = np.array([3.0, 4, 5, 4, 4]), np.array([2.0, 3, 3, 2, 4, 3])
    t, _, p = stats.welch_test(a.mean(), a.var(ddof=1), 5, b.mean(), b.var(ddof=1), 6)
    ref = sps.ttest_ind(a, b, equal_var=False)
    assert float(t) == pytest.approx(ref.statistic)
    assert float(p) == pytest.approx(ref.pvalue)


def test_welch_degenerate_groups():
    # fewer than two observations: undefined
    t, df, p = stats.welch_test(3.0, np.nan, 1, 4.0, 0.5, 10)
    assert np.isnan(t) and np.isnan(df) and np.isnan(p)
    # both constant and different: scipy reports t = −inf, p = 0
    t, _, p = stats.welch_test(1.0, 0.0, 3, 2.0, 0.0, 3)
    assert t == -np.inf and p == 0.0
    # both constant and equal: nothing to test
    t, _, p = stats.welch_test(1.0, 0.0, 3, 1.0, 0.0, 3)
    assert np.isnan(t) and np.isnan(p)


# --- two proportions ---------------------------------------------------------------------


def test_two_proportion_hand_example():
    # 30/50 = 0.6 vs 20/50 = 0.4; pooled 50/100 = 0.5
    # se = sqrt(0.5 × 0.5 × (1/50 + 1/50)) = sqrt(0.01) = 0.1; z = 0.2 / 0.1 = 2
    # p = 2 × (1 − Φ(2)) = 0.0455003
    z, p = stats.two_proportion_test(30, 50, 20, 50)
    assert z == pytest.approx(2.0)
    assert p == pytest.approx(0.0455003, abs=1e-6)


def test_two_proportion_vectorised_equals_statsmodels():
    rng = np.random.default_rng(5)
    n1 = rng.integers(5, 400, 50)
    n2 = rng.integers(5, 400, 50)
    x1 = rng.binomial(n1, 0.6)
    x2 = rng.binomial(n2, 0.65)
    z, p = stats.two_proportion_test(x1, n1, x2, n2)
    for i in range(50):
        ref_z, ref_p = proportions_ztest([x1[i], x2[i]], [n1[i], n2[i]])
        assert z[i] == pytest.approx(ref_z, rel=1e-10)
        assert p[i] == pytest.approx(ref_p, rel=1e-8)


def test_two_proportion_degenerate():
    z, p = stats.two_proportion_test(np.array([0, 10, 3]), [10, 10, 0], [0, 20, 1], [12, 20, 5])
    # both 0% and both 100%: no change (z 0, p 1); an empty group: undefined
    assert list(z[:2]) == [0.0, 0.0] and list(p[:2]) == [1.0, 1.0]
    assert np.isnan(z[2]) and np.isnan(p[2])


def test_significant_change_needs_p_and_both_waves_visible():
    p = np.array([0.01, 0.01, 0.01, 0.2, np.nan, 0.049])
    visible1 = np.array([True, False, True, True, True, True])
    visible2 = np.array([True, True, False, True, True, True])
    assert stats.significant_change(p, visible1, visible2).tolist() == [
        True,
        False,
        False,
        False,
        False,
        True,
    ]
    assert not stats.significant_change(0.03, True, True, alpha=0.01)


# --- intervals for differences ------------------------------------------------------------


def test_mean_difference_ci_equals_statsmodels_welch_interval():
    groups = _random_groups(7, count=20)
    m1 = np.array([a.mean() for a, _ in groups])
    v1 = np.array([a.var(ddof=1) for a, _ in groups])
    n1 = np.array([a.size for a, _ in groups])
    m2 = np.array([b.mean() for _, b in groups])
    v2 = np.array([b.var(ddof=1) for _, b in groups])
    n2 = np.array([b.size for _, b in groups])
    for level in (0.95, 0.9):
        diff, low, high = stats.mean_difference_ci(m1, v1, n1, m2, v2, n2, level=level)
        for i, (a, b) in enumerate(groups):
            # second minus first: compare (b, a)
            ref = CompareMeans(DescrStatsW(b), DescrStatsW(a)).tconfint_diff(
                alpha=1 - level, usevar="unequal"
            )
            assert diff[i] == pytest.approx(b.mean() - a.mean())
            assert (low[i], high[i]) == pytest.approx(ref, rel=1e-9)


# Newcombe (1998), "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Statistics in Medicine 17:873–890, Table II, method 10
# (hybrid score, no continuity correction): (x_a, n_a, x_b, n_b) → interval for p_a − p_b.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_TABLE_II)
def test_proportion_difference_ci_reproduces_newcombe_table(counts, expected):
    xa, na, xb, nb = counts
    # our difference is second minus first, so the "a" sample goes second
    diff, low, high = stats.proportion_difference_ci(xb, nb, xa, na)
    assert diff == pytest.approx(xa / na - xb / nb)
    assert low == pytest.approx(expected[0], abs=5e-5)
    assert high == pytest.approx(expected[1], abs=5e-5)


def test_proportion_difference_ci_vectorised_equals_statsmodels():
    rng = np.random.default_rng(11)
    n1 = rng.integers(3, 200, 30)
    n2 = rng.integers(3, 200, 30)
    x1 = rng.binomial(n1, 0.55)
    x2 = rng.binomial(n2, 0.7)
    diff, low, high = stats.proportion_difference_ci(x1, n1, x2, n2, level=0.9)
    for i in range(30):
        ref = confint_proportions_2indep(
            x2[i], n2[i], x1[i], n1[i], method="newcomb", compare="diff", alpha=0.1
        )
        assert diff[i] == pytest.approx(x2[i] / n2[i] - x1[i] / n1[i])
        assert (low[i], high[i]) == pytest.approx(ref, rel=1e-9, abs=1e-12)


def test_proportion_difference_ci_empty_group_is_nan():
    diff, low, high = stats.proportion_difference_ci(0, 0, 3, 10)
    assert np.isnan(diff) and np.isnan(low) and np.isnan(high)


# --- reliability and scale ----------------------------------------------------------------


def test_cronbach_alpha_hand_example():
    # items (1, 2), (2, 3), (3, 3): item variances 1 and 1/3; totals 3, 5, 6 have variance
    # 7/3; alpha = 2/1 × (1 − (4/3)/(7/3)) = 2 × 3/7 = 6/7
    assert stats.cronbach_alpha(np.array([[1, 2], [2, 3], [3, 3]])) == pytest.approx(6 / 7)


def test_cronbach_alpha_equals_pingouin_with_listwise_deletion():
    rng = np.random.default_rng(2)
    latent = rng.normal(size=120)
    items = np.column_stack(
        [np.clip(np.round(3 + latent + rng.normal(0, 0.8, 120)), 1, 5) for _ in range(4)]
    )
    items[rng.random(items.shape) < 0.05] = np.nan
    expected, _ = pingouin.cronbach_alpha(pd.DataFrame(items), nan_policy="listwise")
    assert stats.cronbach_alpha(items) == pytest.approx(expected, rel=1e-10)


def test_cronbach_alpha_undefined_cases():
    assert math.isnan(stats.cronbach_alpha(np.array([[1.0], [2.0], [3.0]])))  # one item
    assert math.isnan(stats.cronbach_alpha(np.array([[1.0, 2.0], [np.nan, 3.0]])))  # one row


def test_mean_to_100():
    assert stats.mean_to_100(1) == 0
    assert stats.mean_to_100(5) == 100
    assert stats.mean_to_100(3.5) == pytest.approx(62.5)
    assert stats.mean_to_100(np.array([2.0, 4.0])).tolist() == [25.0, 75.0]
