"""Statistics behind engagement results: eNPS, tests and intervals for wave-to-wave change,
reliability — each defined once, as ../shared/METRICS.md words it.

Every function works on whole columns: pass one number per group (numpy arrays, or plain
scalars) and get one result per group back, so a heatmap of 400 teams costs one call, not
400 scipy calls (DESIGN.md, performance notes). Scalars in give numpy scalars out.

Conventions used throughout:
- "No answer" is NaN in float input, never a value.
- A result that cannot be computed (n = 0, a variance from one observation) is NaN; callers
  treat NaN as "not shown", never as 0.
- Tests are two-sided. Differences are "second minus first" (this wave minus the previous
  one) in the interval functions; test statistics follow scipy's sign (first minus second).

Nothing here knows about groups' sizes or anonymity: every figure must still pass
``kizuna.engagement.guard`` before anyone sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# 5-point agreement: favourable = 4–5, neutral = 3, unfavourable = 1–2 (METRICS.md).
FAVOURABLE_MIN = 4
UNFAVOURABLE_MAX = 2
# eNPS on 0–10: promoters 9–10, detractors 0–6, passives 7–8 (METRICS.md).
PROMOTER_MIN = 9
DETRACTOR_MAX = 6
_Z95 = 1.96  # METRICS.md states the eNPS interval with 1.96, so it is not sps.norm.ppf(0.975)


def _f(value: npt.ArrayLike) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


def _out(value: npt.NDArray[Any]) -> Any:
    """0-d arrays become numpy scalars (np.float64 is a float); arrays stay arrays."""
    return value[()]


@dataclass(frozen=True)
class EnpsResult:
    value: float
    low: float
    high: float
    n: int
    promoters: int
    passives: int
    detractors: int


def enps(scores: npt.ArrayLike) -> EnpsResult:
    """eNPS of one group from its 0–10 answers (NaN = skipped the question).

    METRICS.md: eNPS = 100 × (P − D) / n with promoters 9–10 and detractors 0–6; the 95%
    interval is ±1.96 × 100 × sqrt((p_P + p_D − (p_P − p_D)²) / n), clipped to [−100, 100].
    With no answers every figure is NaN.
    """
    values = _f(scores).ravel()
    values = values[~np.isnan(values)]
    if np.any((values < 0) | (values > 10) | (values != np.round(values))):
        raise ValueError("eNPS answers must be whole numbers from 0 to 10.")
    n = int(values.size)
    promoters = int(np.count_nonzero(values >= PROMOTER_MIN))
    detractors = int(np.count_nonzero(values <= DETRACTOR_MAX))
    value, low, high = enps_arrays(np.array(promoters), np.array(detractors), np.array(n))
    return EnpsResult(
        value=float(value),
        low=float(low),
        high=float(high),
        n=n,
        promoters=promoters,
        passives=n - promoters - detractors,
        detractors=detractors,
    )


def enps_arrays(
    promoters: npt.ArrayLike, detractors: npt.ArrayLike, n: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """eNPS and its 95% interval for many groups at once, from counts (METRICS.md formula).

    Returns (value, low, high); NaN where n = 0.
    """
    p_count, d_count, total = _f(promoters), _f(detractors), _f(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        pp = np.where(total > 0, p_count / total, np.nan)
        pd = np.where(total > 0, d_count / total, np.nan)
        value = 100.0 * (pp - pd)
        # p_P + p_D − (p_P − p_D)² is ≥ 0 in exact arithmetic; clip rounding noise.
        variance = np.clip(pp + pd - (pp - pd) ** 2, 0.0, None)
        half = _Z95 * 100.0 * np.sqrt(variance / total)
    low = np.clip(value - half, -100.0, 100.0)
    high = np.clip(value + half, -100.0, 100.0)
    return _out(value), _out(low), _out(high)


def _welch_parts(
    var1: FloatArray, n1: FloatArray, var2: FloatArray, n2: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Standard error of the difference of means and Welch–Satterthwaite df."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = var1 / n1
        b = var2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    undefined = (n1 < 2) | (n2 < 2)
    return np.where(undefined, np.nan, se), np.where(undefined, np.nan, df)


def welch_test(
    mean1: npt.ArrayLike,
    var1: npt.ArrayLike,
    n1: npt.ArrayLike,
    mean2: npt.ArrayLike,
    var2: npt.ArrayLike,
    n2: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Welch's two-sided t test from summary statistics, vectorised over groups.

    var1/var2 are sample variances (ddof=1). Returns (t, df, p) with t = (mean1 − mean2)/se,
    identical to scipy.stats.ttest_ind(sample1, sample2, equal_var=False). Groups with fewer
    than two observations get NaN. When both variances are 0 and the means differ, t is ±inf
    and p is 0 (as scipy reports it); equal constant samples give NaN.
    """
    m1, m2 = _f(mean1), _f(mean2)
    se, df = _welch_parts(_f(var1), _f(n1), _f(var2), _f(n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (m1 - m2) / se
    p = 2.0 * sps.t.sf(np.abs(t), df)
    p = np.where(np.isinf(t), 0.0, p)
    return _out(t), _out(df), _out(_f(p))


def two_proportion_test(
    x1: npt.ArrayLike, n1: npt.ArrayLike, x2: npt.ArrayLike, n2: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Two-sided pooled-variance z test for p1 = x1/n1 against p2 = x2/n2, vectorised.

    z = (p1 − p2) / sqrt(p̂(1 − p̂)(1/n1 + 1/n2)) with p̂ = (x1 + x2)/(n1 + n2), the same as
    statsmodels' proportions_ztest. Returns (z, p). n = 0 on either side gives NaN. When the
    pooled share is 0 or 1 (both groups 0% or both 100%) nothing changed: z = 0, p = 1.
    """
    c1, t1, c2, t2 = _f(x1), _f(n1), _f(x2), _f(n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = c1 / t1
        p2 = c2 / t2
        pooled = (c1 + c2) / (t1 + t2)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / t1 + 1.0 / t2))
        z = (p1 - p2) / se
    empty = (t1 <= 0) | (t2 <= 0)
    z = np.where(empty, np.nan, np.where(se == 0, 0.0, z))
    p = np.where(np.isnan(z), np.nan, 2.0 * sps.norm.sf(np.abs(z)))
    return _out(z), _out(_f(p))


def significant_change(
    p: npt.ArrayLike,
    visible1: npt.ArrayLike,
    visible2: npt.ArrayLike,
    alpha: float = 0.05,
) -> BoolArray:
    """METRICS.md: a change is flagged only when p < alpha and both waves meet the anonymity
    threshold (visible1/visible2 come from the guard). NaN p is never significant."""
    p_values = _f(p)
    with np.errstate(invalid="ignore"):
        below = p_values < alpha
    result = below & np.asarray(visible1, dtype=bool) & np.asarray(visible2, dtype=bool)
    return _out(np.asarray(result, dtype=bool))


def mean_difference_ci(
    mean1: npt.ArrayLike,
    var1: npt.ArrayLike,
    n1: npt.ArrayLike,
    mean2: npt.ArrayLike,
    var2: npt.ArrayLike,
    n2: npt.ArrayLike,
    level: float = 0.95,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Difference mean2 − mean1 with its Welch confidence interval (Welch–Satterthwaite df,
    t quantile), vectorised. Used for before/after reviews of action plans.

    Returns (diff, low, high); NaN where either side has fewer than two observations.
    """
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1.")
    diff = _f(mean2) - _f(mean1)
    se, df = _welch_parts(_f(var1), _f(n1), _f(var2), _f(n2))
    q = sps.t.ppf((1.0 + level) / 2.0, df)
    half = q * se
    return _out(diff), _out(diff - half), _out(diff + half)


def _wilson(x: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval (no continuity correction) for x/n; NaN where n = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        denom = 1.0 + z**2 / n
        centre = (p + z**2 / (2.0 * n)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / n + z**2 / (4.0 * n**2))
    return centre - half, centre + half


def proportion_difference_ci(
    x1: npt.ArrayLike,
    n1: npt.ArrayLike,
    x2: npt.ArrayLike,
    n2: npt.ArrayLike,
    level: float = 0.95,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Difference p2 − p1 of two independent proportions with Newcombe's hybrid score
    interval (Newcombe 1998, method 10), vectorised.

    Each proportion gets its Wilson score interval (l, u); for d = p2 − p1
        low  = d − sqrt((p2 − l2)² + (u1 − p1)²)
        high = d + sqrt((u2 − p2)² + (p1 − l1)²).
    Unlike the Wald interval it stays inside [−1, 1] and keeps its coverage near 0% or 100%
    favourable and for small teams. Returns (diff, low, high) as proportions (not points);
    NaN where n = 0.
    """
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1.")
    c1, t1, c2, t2 = _f(x1), _f(n1), _f(x2), _f(n2)
    z = float(sps.norm.ppf((1.0 + level) / 2.0))
    l1, u1 = _wilson(c1, t1, z)
    l2, u2 = _wilson(c2, t2, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = c1 / t1
        p2 = c2 / t2
    diff = p2 - p1
    low = diff - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = diff + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return _out(diff), _out(low), _out(high)


def cronbach_alpha(items: npt.ArrayLike) -> float:
    """Cronbach's alpha of one factor: rows are respondents, columns the factor's items.

    Rows with any missing item are dropped (listwise, as pingouin's nan_policy='listwise').
    alpha = k/(k − 1) × (1 − Σ var(item) / var(total)), sample variances (ddof=1).
    NaN when fewer than two items or two complete rows remain, or the total is constant.
    """
    data = _f(items)
    if data.ndim != 2:
        raise ValueError("items must be a 2-D array: respondents × items.")
    data = data[~np.isnan(data).any(axis=1)]
    n, k = data.shape
    if k < 2 or n < 2:
        return float("nan")
    total_var = float(np.var(data.sum(axis=1), ddof=1))
    if total_var == 0:
        return float("nan")
    item_var = float(np.var(data, axis=0, ddof=1).sum())
    return k / (k - 1) * (1.0 - item_var / total_var)


def mean_to_100(mean_1_to_5: npt.ArrayLike) -> Any:
    """A 1–5 mean on the 0–100 scale of METRICS.md: (mean − 1) / 4 × 100."""
    return _out((_f(mean_1_to_5) - 1.0) / 4.0 * 100.0)
