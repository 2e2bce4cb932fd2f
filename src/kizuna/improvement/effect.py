"""Did the plan move its metric? Before/after with the uncertainty, and a cautious verdict.

The statistics themselves live in ``kizuna.engagement.stats`` (one implementation for
the whole product): the Newcombe interval and the two-proportion z-test for shares,
the Welch interval and test for means. This module only chooses which one applies,
puts the result on the metric's scale and reads the interval:

    "improved" only when the whole 95% interval of (after − before) lies on the good side
    of zero; "worsened" when it lies wholly on the bad side; otherwise "no clear change".
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Any

from kizuna.improvement.metrics import MetricValue
from kizuna.improvement.models import ReviewMethod, Verdict

LEVEL = 0.95


@dataclass(frozen=True)
class Comparison:
    method: str
    diff: float  # after − before, in points of the metric's scale
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    verdict: str
    level: float = LEVEL


def _stats() -> Any:
    # Imported when a review is computed: the plans pages do not need numpy/scipy loaded.
    return importlib.import_module("kizuna.engagement.stats")


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _check_convention(returned: Any, expected: float, what: str) -> None:
    """The interval functions return (second − first) as proportions or means; fail loudly
    rather than ever show a reversed or rescaled difference."""
    got = float(returned)
    if math.isfinite(got) and not math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9):
        raise RuntimeError(f"{what} returned difference {got}, expected {expected}")


def verdict(low: float | None, high: float | None, *, higher_is_better: bool = True) -> str:
    if low is None or high is None:
        return Verdict.NO_CLEAR_CHANGE
    good_low, good_high = (low, high) if higher_is_better else (-high, -low)
    if good_low > 0:
        return Verdict.IMPROVED
    if good_high < 0:
        return Verdict.WORSENED
    return Verdict.NO_CLEAR_CHANGE


def compare(
    before: MetricValue,
    after: MetricValue,
    *,
    higher_is_better: bool = True,
    level: float = LEVEL,
) -> Comparison:
    """Compare two measurements of the same metric (both proportions or both means)."""
    if before.is_proportion != after.is_proportion:
        raise ValueError("before and after must be measured the same way")
    stats = _stats()
    # The interval functions return second − first: pass "before" first, "after" second.
    if before.is_proportion:
        assert before.favourable is not None and after.favourable is not None
        counts = (before.favourable, before.n, after.favourable, after.n)
        diff, low, high = stats.proportion_difference_ci(*counts, level=level)
        expected = after.favourable / after.n - before.favourable / before.n
        _check_convention(diff, expected, "proportion_difference_ci")
        _z, p = stats.two_proportion_test(*counts)
        scale, method = 100.0, ReviewMethod.PROPORTION
    else:
        assert after.mean is not None and after.variance is not None
        assert before.mean is not None and before.variance is not None
        args = (before.mean, before.variance, before.n, after.mean, after.variance, after.n)
        diff, low, high = stats.mean_difference_ci(*args, level=level)
        _check_convention(diff, after.mean - before.mean, "mean_difference_ci")
        _t, _df, p = stats.welch_test(*args)
        scale, method = 1.0, ReviewMethod.MEAN
    low_f, high_f = _finite(low), _finite(high)
    ci_low = None if low_f is None else low_f * scale
    ci_high = None if high_f is None else high_f * scale
    return Comparison(
        method=method,
        diff=float(diff) * scale,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=_finite(p),
        verdict=verdict(ci_low, ci_high, higher_is_better=higher_is_better),
        level=level,
    )
