"""Key-driver analysis: how much of the variation in engagement each driver factor accounts
for, and where each driver sits in the priority matrix (METRICS.md, "Key drivers").

Plain correlations or regression coefficients mislead when drivers are correlated with
each other (they always are in engagement surveys), so importance is the share of R² each
driver accounts for. Two methods that agree closely are provided:

- ``relative_weights``: Johnson (2000) relative weights. The predictors are replaced by
  their closest orthogonal counterparts Z (from the eigen-decomposition of the predictor
  correlation matrix), y is regressed on Z, and each orthogonal part's contribution is
  shared back to the original predictors in proportion to their squared loadings. Cheap for
  any number of drivers.
- ``shapley_r2``: the exact Shapley value of R² (general dominance weight), the average
  gain in R² from adding the driver over every subset of the other drivers. Exponential in
  the number of drivers, so limited to 12.

Both work on correlations, i.e. an ordinary least-squares model with an intercept, on rows
without missing values. Inputs are respondent-level factor means (see
``kizuna.engagement.scoring.driver_matrix``); outputs are not anonymised, so results are
shown only for populations that pass the guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import factorial
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

MAX_SHAPLEY_PREDICTORS = 12


class DriverAnalysisError(ValueError):
    """The data cannot support a driver analysis. ``code`` names the reason so the UI can
    show a translated message: too_few_rows, constant_predictor, constant_outcome,
    collinear, too_many_predictors, shape."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class DriverResult:
    names: list[str]
    weights: FloatArray  # raw importance per driver, in units of R²; sums to r2
    shares: FloatArray  # weights / r2 × 100 (% of explained variance)
    r2: float  # full-model R² (OLS with intercept)
    n: int  # rows used (complete cases)
    correlations: FloatArray  # Pearson r of each driver with y: the secondary view


@dataclass(frozen=True)
class _Prepared:
    names: list[str]
    n: int
    rxx: FloatArray  # predictor correlation matrix
    rxy: FloatArray  # predictor–outcome correlations


def _prepare(X: npt.ArrayLike, y: npt.ArrayLike, names: list[str]) -> _Prepared:
    x_arr = np.asarray(X, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    if x_arr.ndim != 2 or y_arr.ndim != 1 or x_arr.shape[0] != y_arr.shape[0]:
        raise DriverAnalysisError(
            "shape", "X must be a 2-D array (rows × drivers) and y a 1-D array of equal length."
        )
    p = x_arr.shape[1]
    if p == 0 or len(names) != p:
        raise DriverAnalysisError("shape", "Give at least one driver and one name per column.")
    complete = ~(np.isnan(x_arr).any(axis=1) | np.isnan(y_arr))
    x_arr, y_arr = x_arr[complete], y_arr[complete]
    n = int(x_arr.shape[0])
    if n < p + 2:
        raise DriverAnalysisError(
            "too_few_rows",
            f"Driver analysis needs at least {p + 2} complete rows for {p} drivers; got {n}.",
        )
    constant = [name for name, sd in zip(names, x_arr.std(axis=0), strict=True) if sd == 0]
    if constant:
        raise DriverAnalysisError(
            "constant_predictor",
            f"These drivers have the same value in every row: {', '.join(constant)}.",
        )
    if y_arr.std() == 0:
        raise DriverAnalysisError(
            "constant_outcome", "The outcome has the same value in every row."
        )
    corr: FloatArray = np.atleast_2d(np.corrcoef(np.column_stack([x_arr, y_arr]), rowvar=False))
    rxx = corr[:p, :p]
    eigenvalues = np.linalg.eigvalsh(rxx)
    if eigenvalues[0] <= 1e-10 * eigenvalues[-1]:
        raise DriverAnalysisError(
            "collinear", "Some drivers are perfect linear combinations of others."
        )
    return _Prepared(names=list(names), n=n, rxx=rxx, rxy=corr[:p, p])


def _result(prep: _Prepared, weights: FloatArray, r2: float) -> DriverResult:
    shares = weights / r2 * 100.0 if r2 > 0 else np.zeros_like(weights)
    return DriverResult(
        names=prep.names,
        weights=weights,
        shares=shares,
        r2=r2,
        n=prep.n,
        correlations=prep.rxy.copy(),
    )


def relative_weights(X: npt.ArrayLike, y: npt.ArrayLike, names: list[str]) -> DriverResult:
    """Johnson's (2000) relative weights of the columns of X for y.

    With R_xx = V diag(λ) Vᵀ, Λ = V diag(√λ) Vᵀ links the predictors to their orthogonal
    counterparts; β = Λ⁻¹ r_xy are the standardised weights of y on those counterparts, and
    driver j's weight is Σ_k Λ_jk² β_k². The weights are ≥ 0 and sum to the model R².
    Rows with any NaN are dropped; raises DriverAnalysisError (a ValueError) when fewer than
    drivers + 2 rows remain or a driver is constant.
    """
    prep = _prepare(X, y, names)
    eigenvalues, vectors = np.linalg.eigh(prep.rxx)
    lam = (vectors * np.sqrt(eigenvalues)) @ vectors.T
    beta = (vectors / np.sqrt(eigenvalues)) @ (vectors.T @ prep.rxy)
    weights = (lam**2) @ (beta**2)
    r2 = float(prep.rxy @ np.linalg.solve(prep.rxx, prep.rxy))
    return _result(prep, weights, r2)


def _all_subset_r2(rxx: FloatArray, rxy: FloatArray) -> FloatArray:
    """R² of every subset of predictors, indexed by bit mask (bit j = predictor j).

    R²(S) = r_Sᵀ R_SS⁻¹ r_S; all subsets of one size are solved in one batched call.
    """
    p = rxy.shape[0]
    r2 = np.zeros(1 << p)
    for size in range(1, p + 1):
        idx = np.array(list(combinations(range(p), size)), dtype=np.int64)
        sub_r = rxx[idx[:, :, None], idx[:, None, :]]
        sub_y = rxy[idx]
        solved = np.linalg.solve(sub_r, sub_y[:, :, None])[:, :, 0]
        masks = (np.int64(1) << idx).sum(axis=1)
        r2[masks] = (sub_y * solved).sum(axis=1)
    return r2


def shapley_r2(X: npt.ArrayLike, y: npt.ArrayLike, names: list[str]) -> DriverResult:
    """Exact Shapley decomposition of R² (general dominance weights) over all subsets.

    φ_j = Σ_{S ⊆ others} |S|! (p − |S| − 1)! / p! × (R²(S ∪ {j}) − R²(S)); the φ sum to the
    full-model R². At most 12 drivers (4,096 subsets); same row handling and errors as
    ``relative_weights``.
    """
    x_arr = np.asarray(X, dtype=np.float64)
    if x_arr.ndim == 2 and x_arr.shape[1] > MAX_SHAPLEY_PREDICTORS:
        raise DriverAnalysisError(
            "too_many_predictors",
            f"Exact Shapley decomposition handles at most {MAX_SHAPLEY_PREDICTORS} drivers; "
            f"got {x_arr.shape[1]}. Use relative_weights instead.",
        )
    prep = _prepare(x_arr, y, names)
    p = prep.rxy.shape[0]
    r2 = _all_subset_r2(prep.rxx, prep.rxy)
    masks = np.arange(1 << p, dtype=np.int64)
    sizes = np.bitwise_count(masks)
    coef = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    weights = np.empty(p)
    for j in range(p):
        bit = np.int64(1) << j
        without = masks[(masks & bit) == 0]
        weights[j] = float(np.sum(coef[sizes[without]] * (r2[without | bit] - r2[without])))
    return _result(prep, weights, float(r2[-1]))


def priority_matrix(
    shares: npt.ArrayLike,
    favourable: npt.ArrayLike,
    names: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Place each driver in the importance × favourable matrix.

    Importance is "high" when the driver's share of R² is above the median share (strictly);
    favourable is "low" when the driver's favourable % is below the median (strictly), so a
    driver on a median line counts as low importance / high favourable. Quadrant codes
    (translated in the UI): fix_first (high importance, low favourable), maintain
    (high, high), monitor (low, low), secondary (low importance, high favourable).
    A driver with a missing share or favourable % gets quadrant None and does not enter
    the medians. Each dict: index, name, share, favourable, quadrant, share_median,
    favourable_median (the medians let a chart draw the quadrant lines).
    """
    share_arr = np.asarray(shares, dtype=np.float64).ravel()
    fav_arr = np.asarray(favourable, dtype=np.float64).ravel()
    if share_arr.shape != fav_arr.shape:
        raise ValueError("shares and favourable must have one value per driver.")
    if names is not None and len(names) != share_arr.size:
        raise ValueError("names must have one entry per driver.")
    known = ~(np.isnan(share_arr) | np.isnan(fav_arr))
    share_median = float(np.median(share_arr[known])) if known.any() else float("nan")
    fav_median = float(np.median(fav_arr[known])) if known.any() else float("nan")
    rows: list[dict[str, Any]] = []
    for i in range(share_arr.size):
        quadrant: str | None = None
        if known[i]:
            important = share_arr[i] > share_median
            weak = fav_arr[i] < fav_median
            if important:
                quadrant = "fix_first" if weak else "maintain"
            else:
                quadrant = "monitor" if weak else "secondary"
        rows.append(
            {
                "index": i,
                "name": names[i] if names is not None else None,
                "share": float(share_arr[i]),
                "favourable": float(fav_arr[i]),
                "quadrant": quadrant,
                "share_median": share_median,
                "favourable_median": fav_median,
            }
        )
    return rows
