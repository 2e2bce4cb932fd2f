"""Key-driver analysis: relative weights and exact Shapley values against cases whose answer
is known in closed form, against each other, and against numpy's least-squares R²."""

import math

import numpy as np
import pytest

from kizuna.engagement import drivers


def _lstsq_r2(X: np.ndarray, y: np.ndarray) -> float:
    design = np.column_stack([np.ones(len(y)), X])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    return 1 - residual @ residual / np.sum((y - y.mean()) ** 2)


def _exact_correlation_data(corr: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n rows whose sample correlation matrix is exactly ``corr`` (whitened noise
    recoloured with the Cholesky factor)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, corr.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return z @ np.linalg.cholesky(corr).T + 3.0


def _correlated_drivers(seed: int, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    X = np.column_stack(
        [
            common + rng.normal(size=n),
            common + 0.6 * rng.normal(size=n),
            0.5 * common + rng.normal(size=n),
            rng.normal(size=n),
            common + 1.5 * rng.normal(size=n),
        ]
    )
    y = 0.5 * X[:, 0] + 0.3 * X[:, 1] + 0.25 * X[:, 2] + 0.1 * X[:, 4] + rng.normal(size=n)
    return X, y


NAMES5 = ["career", "manager", "recognition", "noise", "workload"]


def test_orthogonal_drivers_get_their_squared_correlation():
    # With uncorrelated drivers R² = Σ r_j² and each driver's share is exactly r_j², for
    # both methods (nothing to apportion).
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(50, 3))
    raw -= raw.mean(axis=0)
    q, _ = np.linalg.qr(raw)  # orthonormal, and centred since raw was
    X = q * np.array([2.0, 1.0, 0.5]) + 4.0
    y = X @ np.array([0.7, -0.4, 0.2]) + rng.normal(size=50)
    r = np.array([np.corrcoef(X[:, j], y)[0, 1] for j in range(3)])
    for method in (drivers.relative_weights, drivers.shapley_r2):
        result = method(X, y, ["a", "b", "c"])
        np.testing.assert_allclose(result.weights, r**2, atol=1e-12)
        assert result.r2 == pytest.approx(_lstsq_r2(X, y), abs=1e-12)
        np.testing.assert_allclose(result.correlations, r, atol=1e-12)


def test_two_correlated_drivers_closed_form():
    # Correlations: r12 = 0.6, r1y = 0.5, r2y = 0.4.
    # R² = (r1y² + r2y² − 2 r1y r2y r12) / (1 − r12²) = (0.25 + 0.16 − 0.24) / 0.64 = 0.265625
    # Shapley: φ1 = ½ r1y² + ½ (R² − r2y²) = 0.125 + 0.0528125 = 0.1778125
    #          φ2 = ½ r2y² + ½ (R² − r1y²) = 0.08  + 0.0078125 = 0.0878125
    # Johnson: eigenvalues 1 ± 0.6; Λ = [[a, b], [b, a]] with a = (√1.6 + √0.4)/2,
    # b = (√1.6 − √0.4)/2, so a² = 0.9, b² = 0.1, ab = 0.3, and Λ⁻¹ = [[a, −b], [−b, a]] / 0.8.
    # β1² = (0.5a − 0.4b)² / 0.64 = (0.225 − 0.12 + 0.016) / 0.64 = 0.1890625
    # β2² = (0.4a − 0.5b)² / 0.64 = (0.144 − 0.12 + 0.025) / 0.64 = 0.0765625
    # ε1 = a²β1² + b²β2² = 0.17015625 + 0.00765625 = 0.1778125
    # ε2 = b²β1² + a²β2² = 0.01890625 + 0.06890625 = 0.0878125 (sum 0.265625 = R²)
    # With two drivers Johnson's weights coincide with the Shapley values.
    corr = np.array([[1.0, 0.6, 0.5], [0.6, 1.0, 0.4], [0.5, 0.4, 1.0]])
    data = _exact_correlation_data(corr, 40, seed=4)
    X, y = data[:, :2], data[:, 2]
    for method in (drivers.relative_weights, drivers.shapley_r2):
        result = method(X, y, ["fairness", "growth"])
        assert result.r2 == pytest.approx(0.265625, abs=1e-10)
        np.testing.assert_allclose(result.weights, [0.1778125, 0.0878125], atol=1e-7)
        np.testing.assert_allclose(
            result.shares, [0.1778125 / 0.265625 * 100, 0.0878125 / 0.265625 * 100], atol=1e-5
        )
        assert result.n == 40


def test_relative_weights_agree_with_shapley_on_correlated_drivers():
    X, y = _correlated_drivers(seed=8)
    rw = drivers.relative_weights(X, y, NAMES5)
    sh = drivers.shapley_r2(X, y, NAMES5)
    full_r2 = _lstsq_r2(X, y)
    assert rw.r2 == pytest.approx(full_r2, abs=1e-10)
    assert sh.r2 == pytest.approx(full_r2, abs=1e-10)
    assert rw.weights.sum() == pytest.approx(full_r2, abs=1e-10)
    assert sh.weights.sum() == pytest.approx(full_r2, abs=1e-10)
    assert rw.shares.sum() == pytest.approx(100.0)
    # within 0.02 of R² (2 points of share) of each other
    np.testing.assert_allclose(rw.shares, sh.shares, atol=2.0)
    # the driver unrelated to y gets (almost) nothing
    assert rw.shares[3] < 1.0 and sh.shares[3] < 1.0
    # plain correlations are reported as the secondary view
    expected_r = [np.corrcoef(X[:, j], y)[0, 1] for j in range(5)]
    np.testing.assert_allclose(rw.correlations, expected_r, atol=1e-12)


def test_shapley_by_brute_force_on_three_drivers():
    # The Shapley value as the average marginal gain over all 3! orders, from lstsq R².
    X, y = _correlated_drivers(seed=9, n=200)
    X = X[:, :3]
    orders = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
    expected = np.zeros(3)
    for order in orders:
        before = 0.0
        for k, j in enumerate(order):
            after = _lstsq_r2(X[:, list(order[: k + 1])], y)
            expected[j] += (after - before) / len(orders)
            before = after
    np.testing.assert_allclose(drivers.shapley_r2(X, y, ["a", "b", "c"]).weights, expected)


def test_rows_with_missing_values_are_dropped():
    X, y = _correlated_drivers(seed=10, n=120)
    Xm, ym = X.copy(), y.copy()
    Xm[3, 1] = np.nan
    ym[7] = np.nan
    keep = np.ones(120, dtype=bool)
    keep[[3, 7]] = False
    with_nan = drivers.relative_weights(Xm, ym, NAMES5)
    clean = drivers.relative_weights(X[keep], y[keep], NAMES5)
    assert with_nan.n == 118
    np.testing.assert_allclose(with_nan.weights, clean.weights)


def test_too_few_rows_is_refused_clearly():
    X, y = _correlated_drivers(seed=1, n=6)  # 5 drivers need 7 rows
    with pytest.raises(ValueError, match="at least 7 complete rows") as excinfo:
        drivers.relative_weights(X, y, NAMES5)
    assert isinstance(excinfo.value, drivers.DriverAnalysisError)
    assert excinfo.value.code == "too_few_rows"


def test_constant_driver_is_refused_by_name():
    X, y = _correlated_drivers(seed=1, n=50)
    X[:, 2] = 4.0
    with pytest.raises(ValueError, match="recognition"):
        drivers.relative_weights(X, y, NAMES5)
    with pytest.raises(ValueError, match="recognition"):
        drivers.shapley_r2(X, y, NAMES5)


def test_collinear_drivers_are_refused():
    X, y = _correlated_drivers(seed=1, n=50)
    X[:, 4] = X[:, 0] + X[:, 1]
    with pytest.raises(drivers.DriverAnalysisError) as excinfo:
        drivers.relative_weights(X, y, NAMES5)
    assert excinfo.value.code == "collinear"


def test_shapley_is_limited_to_twelve_drivers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 13))
    with pytest.raises(ValueError, match="at most 12"):
        drivers.shapley_r2(X, rng.normal(size=100), [f"d{i}" for i in range(13)])
    # relative weights have no such limit
    result = drivers.relative_weights(X, rng.normal(size=100), [f"d{i}" for i in range(13)])
    assert result.weights.shape == (13,)


def test_priority_matrix_quadrants():
    # shares 40, 30, 20, 10 → median 25; favourable 50, 80, 40, 70 → median 60
    rows = drivers.priority_matrix(
        [40.0, 30.0, 20.0, 10.0], [50.0, 80.0, 40.0, 70.0], ["a", "b", "c", "d"]
    )
    assert [r["quadrant"] for r in rows] == ["fix_first", "maintain", "monitor", "secondary"]
    assert rows[0]["share_median"] == 25.0 and rows[0]["favourable_median"] == 60.0
    assert rows[2]["name"] == "c"


def test_priority_matrix_median_ties_and_missing_values():
    # three drivers: the median one (share 20, favourable 50) is low importance and, not
    # being below the favourable median, high favourable → secondary
    rows = drivers.priority_matrix([10.0, 20.0, 30.0], [60.0, 50.0, 40.0])
    assert [r["quadrant"] for r in rows] == ["secondary", "secondary", "fix_first"]
    rows = drivers.priority_matrix([10.0, 20.0, math.nan], [60.0, 50.0, 40.0])
    assert rows[2]["quadrant"] is None
    assert rows[0]["share_median"] == 15.0
