"""The churn-risk model: the probability that an account churns at its next renewal,
learnt from the company's own renewal history, with the reasons behind each risk.

**Data.** One row per past renewal decision (``backtest.renewal_decisions``: a day on
which a subscription of the account ended, churned = no subscription covers that day),
with the account's features as of ``days_before`` days earlier (the same inputs as the
health score: usage in the 28 days before, stopped key features, seats, MRR, tenure,
size band, CSM rating). A key feature counts as *stopped* when the account used it in
the ``health.LOOKBACK_DAYS`` (180) days before but not in the last 28 — wider than "used
in the previous 28 days, not in these", because a stop is still a stop two months later
(the demo plants stops 120–240 days before a renewal, and the model looks 90 days
before it). Decisions whose account was not a customer then, or whose
feature day precedes complete usage history (``health.first_complete_day``), are left
out.

**Model.** Logistic regression on standardised features (scikit-learn), its L2
regularisation chosen by out-of-time folds inside the training decisions. A linear model
explains itself: an account's log-odds are the intercept plus, per feature, coefficient ×
standardised value, so each feature's term is its contribution and the largest positive
terms (related columns added up, :func:`reason_group`) are the account's top reasons.

**Out-of-time validation.** Decisions before a cutoff date train a model that is then
judged on the decisions from the cutoff on — the way it will be used: trained on the
past, applied to the future. The validation gives the AUC (with DeLong's 95 % interval),
the Brier score and a calibration table (predicted vs observed churn in quantile bins of
the prediction). The model then served is refitted the same way on every decision.
A run is **usable** — and the UI shows risks — only when both outcomes have enough
decisions on both sides of the cutoff and the AUC's lower bound is above 0.5.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from kizuna.customers import backtest, health
from kizuna.customers.models import ChurnModelRun, ChurnRisk, SizeBand

DEFAULT_DAYS_BEFORE = backtest.DEFAULT_DAYS_BEFORE
MIN_PER_OUTCOME = backtest.MIN_PER_OUTCOME
VALIDATION_SHARE = 0.3
"""The latest 30 % of decisions (by date) validate the model trained on the rest."""
CALIBRATION_BINS = 5
INACTIVE_CAP_DAYS = 60
REGULARISATION_C = 0.1
"""Used when the training rows are too few to choose (see :func:`choose_c`)."""
C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
INNER_FOLDS = 3
TOP_REASONS = 3

NOT_ENOUGH_HISTORY = "not_enough_history"
NOT_RELIABLE = "not_reliable"

# --- Features ----------------------------------------------------------------------------

BASE_FEATURES = (
    "stickiness",
    "adoption",
    "seat_utilisation",
    "usage_trend",
    "active_users",
    "events",
    "inactive_days",
    "seats",
    "mrr",
    "tenure",
    "csm",
)
STOPPED = "key_features_stopped"
DROP_PREFIX = "drop:"
SIZE_PREFIX = "size:"

# Reasons group the terms of related columns (their contributions add up):
KEY_FEATURE_STOP = "key_feature_stop"
"""The count of stopped key features and the per-feature stop flags."""
SIZE = "size"
"""The size band indicators."""


def feature_names(slugs: list[str]) -> list[str]:
    """The model's columns: base features; the number of key features the account has
    stopped using (``key_features_stopped``) and one stop flag per key feature
    (``drop:<slug>``); one indicator per size band (``size:<band>``).

    The count carries what all stops have in common, so that a feature stopped only a
    few times in the history still counts as a stop; the flags let the model weigh one
    feature's stop more than another's when the history shows it."""
    return [
        *BASE_FEATURES,
        STOPPED,
        *(DROP_PREFIX + slug for slug in slugs),
        *(SIZE_PREFIX + band for band in SizeBand.values),
    ]


def reason_group(feature: str) -> str:
    if feature == STOPPED or feature.startswith(DROP_PREFIX):
        return KEY_FEATURE_STOP
    if feature.startswith(SIZE_PREFIX):
        return SIZE
    return feature


def features_frame(inputs: pl.DataFrame, slugs: list[str]) -> pl.DataFrame:
    """Model features from a health inputs frame (``health.build_inputs``), keyed by
    ``account_id`` and ``day``. Every column is numeric and never null."""
    users = pl.col("active_users").fill_null(0)
    inactive = (pl.col("day") - pl.col("last_event_day")).dt.total_days()
    columns: dict[str, pl.Expr] = {
        "stickiness": pl.col("stickiness").fill_null(0.0),
        "adoption": pl.when(pl.col("features_total") > 0)
        .then(pl.col("features_used") / pl.col("features_total"))
        .otherwise(0.0),
        "seat_utilisation": pl.when(pl.col("seats") > 0)
        .then((users / pl.col("seats")).clip(0.0, 2.0))
        .otherwise(0.0),
        "usage_trend": (
            (pl.col("events").fill_null(0) + 1) / (pl.col("events_prev").fill_null(0) + 1)
        ).log(2),
        "active_users": users.log1p(),
        "events": pl.col("events").fill_null(0).log1p(),
        "inactive_days": inactive.clip(0, INACTIVE_CAP_DAYS).fill_null(INACTIVE_CAP_DAYS),
        "seats": pl.col("seats").fill_null(0).log1p(),
        "mrr": pl.col("mrr").fill_null(0).log1p(),
        "tenure": (pl.col("day") - pl.col("first_start")).dt.total_days() / 365.0,
        "csm": pl.col("csm_rating").fill_null(3),
    }
    stops = {}
    for slug in slugs:
        users_now = pl.col(health.feature_users_column(slug))
        users_before = pl.col(health.feature_prev_column(slug))
        # used some time in the LOOKBACK_DAYS before the window (an account that tried a
        # feature once years ago has not "stopped" it)
        used_before = pl.col(health.feature_last_used_column(slug)) >= pl.col("day") - pl.duration(
            days=health.LOOKBACK_DAYS
        )
        stops[DROP_PREFIX + slug] = (users_now == 0) & (
            (users_before > 0) | used_before.fill_null(False)
        )
    columns[STOPPED] = (
        pl.sum_horizontal(*(flag.cast(pl.Int64) for flag in stops.values())) if stops else pl.lit(0)
    )
    columns.update(stops)
    for band in SizeBand.values:
        columns[SIZE_PREFIX + band] = pl.col("size_band") == band
    return inputs.select(
        "account_id",
        "day",
        *(expr.cast(pl.Float64).fill_null(0.0).alias(name) for name, expr in columns.items()),
    )


def _inputs_for(points: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    slugs = [slug for slug, _names in health.adoption_features()]
    inputs = health.build_inputs(points, ["usage", "csm"])
    return features_frame(inputs, slugs), slugs


def training_frame(
    days_before: int = DEFAULT_DAYS_BEFORE, *, today: dt.date | None = None
) -> tuple[pl.DataFrame, list[str]]:
    """One row per known renewal decision up to ``today`` whose account was active
    ``days_before`` days earlier: ``account_id``, ``decision_day``, ``churned``, ``day``
    (the feature day) and the model features; plus the feature names."""
    decisions = backtest.renewal_decisions(today).with_columns(
        day=pl.col("decision_day") - pl.duration(days=days_before)
    )
    first_day = health.first_complete_day()
    if first_day is None:
        decisions = decisions.clear()
    else:
        decisions = decisions.filter(pl.col("day") >= first_day)
    points = health.points_for_pairs(decisions.select("account_id", "day"))
    features, slugs = _inputs_for(points)
    names = feature_names(slugs)
    frame = decisions.join(features, on=["account_id", "day"], how="inner")
    return frame.sort("decision_day", "account_id"), names


# --- Fitting and judging -----------------------------------------------------------------


@dataclass(frozen=True)
class LinearModel:
    """What scoring needs: standardisation and coefficients, as plain numbers."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    c: float = REGULARISATION_C

    def terms(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """coefficient × standardised value, one column per feature."""
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return np.asarray(z * np.asarray(self.coef), dtype=np.float64)

    def probability(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        logit = self.intercept + self.terms(x).sum(axis=1)
        return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=np.float64)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "logistic_regression",
            "features": self.features,
            "mean": self.mean,
            "scale": self.scale,
            "coef": self.coef,
            "intercept": self.intercept,
            "c": self.c,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearModel:
        return cls(
            features=list(data["features"]),
            mean=[float(v) for v in data["mean"]],
            scale=[float(v) for v in data["scale"]],
            coef=[float(v) for v in data["coef"]],
            intercept=float(data["intercept"]),
            c=float(data.get("c", REGULARISATION_C)),
        )


def fit(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.bool_],
    features: list[str],
    c: float | None = None,
) -> LinearModel:
    """Standardise, then an L2-regularised logistic regression. ``c`` (the inverse
    regularisation strength) defaults to the one :func:`choose_c` picks on these rows."""
    c = choose_c(x, y) if c is None else c
    scaler = StandardScaler().fit(x)
    classifier = LogisticRegression(C=c, max_iter=5000)
    classifier.fit(scaler.transform(x), y.astype(int))
    return LinearModel(
        features=features,
        mean=[float(v) for v in scaler.mean_],
        scale=[float(v) for v in scaler.scale_],
        coef=[float(v) for v in classifier.coef_[0]],
        intercept=float(classifier.intercept_[0]),
        c=c,
    )


def choose_c(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], folds: int = INNER_FOLDS
) -> float:
    """The regularisation that ranked best out of time *within* the given rows (which
    must be in date order): expanding-window folds (``TimeSeriesSplit``), mean AUC per
    candidate, the strongest regularisation among equals. A company's history holds a
    few dozen churns at most, and with that little data an unregularised model learns
    noise; the choice never looks at the validation decisions. Folds lacking either
    outcome are skipped; with none usable the default ``REGULARISATION_C`` stays."""
    from sklearn.model_selection import TimeSeriesSplit

    labels = y.astype(int)
    totals = dict.fromkeys(C_GRID, 0.0)
    used = 0
    for train_index, test_index in TimeSeriesSplit(n_splits=folds).split(x):
        y_train, y_test = labels[train_index], labels[test_index]
        if len(set(y_train)) < 2 or len(set(y_test)) < 2:
            continue
        scaler = StandardScaler().fit(x[train_index])
        x_train, x_test = scaler.transform(x[train_index]), scaler.transform(x[test_index])
        used += 1
        for c in C_GRID:
            model = LogisticRegression(C=c, max_iter=5000).fit(x_train, y_train)
            totals[c] += backtest.auc_interval(y_test, model.decision_function(x_test)).value
    if not used:
        return REGULARISATION_C
    best = max(totals.values())
    return min(c for c, total in totals.items() if total >= best - 1e-12)


def calibration_bins(
    labels: npt.ArrayLike, probability: npt.ArrayLike, bins: int = CALIBRATION_BINS
) -> list[dict[str, float]]:
    """Quantile bins of the predicted probability (edges at its 0, 1/k, …, 1 quantiles;
    a value on an inner edge goes to the lower bin): per non-empty bin its range, count,
    mean prediction and observed churn rate."""
    y = np.asarray(labels, dtype=float)
    p = np.asarray(probability, dtype=float)
    edges = np.quantile(p, np.linspace(0.0, 1.0, bins + 1))
    index = np.searchsorted(edges[1:-1], p)
    result = []
    for b in range(bins):
        members = index == b
        if not members.any():
            continue
        result.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "count": int(members.sum()),
                "predicted": float(p[members].mean()),
                "observed": float(y[members].mean()),
            }
        )
    return result


def choose_cutoff(days: pl.Series, validation_share: float = VALIDATION_SHARE) -> dt.date | None:
    """The first decision day of the latest ``validation_share`` of decisions."""
    ordered = days.sort()
    if ordered.len() < 2:
        return None
    position = math.floor(ordered.len() * (1 - validation_share))
    position = min(max(position, 1), ordered.len() - 1)
    value = ordered[position]
    return value if isinstance(value, dt.date) else None


def train(
    days_before: int = DEFAULT_DAYS_BEFORE,
    *,
    today: dt.date | None = None,
    cutoff: dt.date | None = None,
    min_per_outcome: int = MIN_PER_OUTCOME,
) -> ChurnModelRun:
    """Fit and validate the model on the history up to ``today``; store and return the
    run (also when there is too little history: then ``usable`` is False and ``note``
    says why)."""
    if days_before < 1:
        raise ValueError("days_before must be 1 or more")
    frame, names = training_frame(days_before, today=today)
    run = ChurnModelRun(days_before=days_before, features=names, trained_at=timezone.now())
    if frame.height:
        cutoff = cutoff or choose_cutoff(frame["decision_day"])
    run.cutoff = cutoff
    if cutoff is None:
        run.note = NOT_ENOUGH_HISTORY
        run.save()
        return run
    before = frame.filter(pl.col("decision_day") < cutoff)
    after = frame.filter(pl.col("decision_day") >= cutoff)
    run.train_rows, run.train_churned = before.height, int(before["churned"].sum())
    run.validation_rows, run.validation_churned = after.height, int(after["churned"].sum())
    if min(
        run.train_churned,
        run.train_rows - run.train_churned,
        run.validation_churned,
        run.validation_rows - run.validation_churned,
    ) < max(min_per_outcome, 1):
        run.note = NOT_ENOUGH_HISTORY
        run.save()
        return run
    validation_model = fit(_matrix(before, names), _labels(before), names)
    y_val = _labels(after)
    p_val = validation_model.probability(_matrix(after, names))
    auc = backtest.auc_interval(y_val, p_val)
    run.auc, run.auc_low, run.auc_high = auc.value, auc.low, auc.high
    run.brier = float(np.mean((p_val - y_val) ** 2))
    run.calibration = calibration_bins(y_val, p_val)
    run.validation = [[bool(y), float(p)] for y, p in zip(y_val, p_val, strict=True)]
    served = fit(_matrix(frame, names), _labels(frame), names)
    run.model = {**served.as_json(), "validation_model": validation_model.as_json()}
    run.usable = auc.low > 0.5
    run.note = "" if run.usable else NOT_RELIABLE
    run.save()
    return run


def _matrix(frame: pl.DataFrame, names: list[str]) -> npt.NDArray[np.float64]:
    return np.asarray(frame.select(names).to_numpy(), dtype=np.float64)


def _labels(frame: pl.DataFrame) -> npt.NDArray[np.bool_]:
    return np.asarray(frame["churned"].to_numpy(), dtype=bool)


def latest_run() -> ChurnModelRun | None:
    return ChurnModelRun.objects.order_by("-trained_at", "-pk").first()


def status_message(run: ChurnModelRun | None) -> str:
    """Why risks are not shown for ``run`` (empty when they are)."""
    if run is None:
        return gettext("The churn-risk model has not been trained yet.")
    if run.usable:
        return ""
    if run.note == NOT_RELIABLE:
        return gettext(
            "The churn-risk model did not predict recent renewals reliably (the lower "
            "bound of its AUC is not above 0.5), so no risk is shown."
        )
    return gettext(
        "Not enough history to train the churn-risk model: it needs at least %(minimum)s "
        "churned and %(minimum)s renewed accounts before and after the validation cutoff."
    ) % {"minimum": MIN_PER_OUTCOME}


# --- Scoring active accounts -------------------------------------------------------------


@dataclass(frozen=True)
class AccountRisk:
    account_id: int
    day: dt.date
    probability: float
    reasons: list[dict[str, Any]]


def risks(
    day: dt.date | None = None,
    *,
    run: ChurnModelRun | None = None,
    store: bool = True,
    require_usable: bool = True,
) -> list[AccountRisk]:
    """Churn risk of every account active on ``day`` (default today) under ``run``
    (default the latest), highest first, each with its top reasons. Nothing when the run
    is not usable (unless ``require_usable`` is False, for analysis). ``store`` writes
    them as ChurnRisk rows (replacing the day's earlier ones)."""
    day = day or timezone.localdate()
    run = run or latest_run()
    if run is None or not run.model or (require_usable and not run.usable):
        return []
    model = LinearModel.from_json(run.model)
    points = health.points_for_days([day])
    if not points.height:
        return []
    features, _slugs = _inputs_for(points)
    # A feature that no longer exists counts as average (standardised value 0).
    present = [
        pl.col(name) if name in features.columns else pl.lit(mean).alias(name)
        for name, mean in zip(model.features, model.mean, strict=True)
    ]
    x = np.asarray(features.select(present).to_numpy(), dtype=np.float64)
    probability = model.probability(x)
    terms = model.terms(x)
    result = [
        AccountRisk(
            account_id=int(account_id),
            day=day,
            probability=float(p),
            reasons=top_reasons(model, x[i], terms[i]),
        )
        for i, (account_id, p) in enumerate(
            zip(features["account_id"].to_list(), probability, strict=True)
        )
    ]
    result.sort(key=lambda risk: (-risk.probability, risk.account_id))
    if store:
        _store(run, result)
    return result


def top_reasons(
    model: LinearModel,
    values: npt.NDArray[np.float64],
    terms: npt.NDArray[np.float64],
    limit: int = TOP_REASONS,
) -> list[dict[str, Any]]:
    """What raises this account's risk most, largest first (positive contributions
    only). Terms of related columns are added up into one reason (:func:`reason_group`):
    ``feature`` (the group), ``contribution`` (to the log-odds), ``direction`` ("high" /
    "low": the value is above / below the training average), ``value``, and ``detail``
    (the slugs of the stopped key features, or the account's size band)."""
    groups: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(model.features):
        key = reason_group(name)
        group = groups.setdefault(key, {"feature": key, "contribution": 0.0, "detail": []})
        group["contribution"] += float(terms[j])
        if key == KEY_FEATURE_STOP:
            if name == STOPPED:
                group["value"] = float(values[j])
                group["direction"] = "high" if values[j] > 0 else "low"
            elif values[j] > 0:
                group["detail"].append(name[len(DROP_PREFIX) :])
        elif key == SIZE:
            if values[j] > 0:
                group["detail"].append(name[len(SIZE_PREFIX) :])
                group["direction"] = "high"
        else:
            group["value"] = float(values[j])
            group["direction"] = "high" if values[j] > model.mean[j] else "low"
    for group in groups.values():
        group.setdefault("direction", "low")
        group.setdefault("value", None)
    ranked = sorted(groups.values(), key=lambda group: -group["contribution"])
    return [group for group in ranked[:limit] if group["contribution"] > 0]


def _store(run: ChurnModelRun, result: list[AccountRisk]) -> None:
    rows = [
        ChurnRisk(
            run=run,
            account_id=risk.account_id,
            day=risk.day,
            probability=min(max(risk.probability, 0.0), 1.0),
            reasons=risk.reasons,
        )
        for risk in result
    ]
    with transaction.atomic():
        ChurnRisk.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["account", "day"],
            update_fields=["run", "probability", "reasons"],
        )


def latest_risks(day: dt.date | None = None) -> list[ChurnRisk]:
    """The stored risks of the latest usable run's most recent day (on or before ``day``)."""
    run = latest_run()
    if run is None or not run.usable:
        return []
    stored = ChurnRisk.objects.filter(run=run)
    if day is not None:
        stored = stored.filter(day__lte=day)
    last = stored.order_by("-day").values_list("day", flat=True).first()
    if last is None:
        return []
    return list(stored.filter(day=last).select_related("account").order_by("-probability"))


# --- Reason labels -----------------------------------------------------------------------

_LABELS: dict[str, tuple[str | Promise, str | Promise]] = {
    # feature: (label when the value is low, label when it is high)
    "stickiness": (_("Low stickiness"), _("High stickiness")),
    "adoption": (_("Few key features in use"), _("Many key features in use")),
    "seat_utilisation": (_("Few seats in use"), _("Most seats in use")),
    "usage_trend": (_("Usage falling"), _("Usage rising")),
    "active_users": (_("Few active users"), _("Many active users")),
    "events": (_("Little activity"), _("Much activity")),
    "inactive_days": (_("Recently active"), _("No activity for many days")),
    "seats": (_("Few seats"), _("Many seats")),
    "mrr": (_("Low MRR"), _("High MRR")),
    "tenure": (_("New customer"), _("Long-standing customer")),
    "csm": (_("Low CSM rating"), _("High CSM rating")),
}


def reason_label(reason: dict[str, Any], feature_names: dict[str, str] | None = None) -> str:
    """The reason in words, in the active language. ``feature_names`` maps product
    feature slugs to their display names (looked up when not given)."""
    name = str(reason.get("feature", ""))
    high = reason.get("direction") == "high"
    detail = [str(item) for item in reason.get("detail") or []]
    if name == KEY_FEATURE_STOP or name.startswith(DROP_PREFIX):
        slugs = detail or ([name[len(DROP_PREFIX) :]] if name.startswith(DROP_PREFIX) else [])
        if not slugs:
            return str(_("Stopped using key features") if high else _("Kept using key features"))
        if feature_names is None:
            from kizuna.usage.models import Feature

            feature_names = dict(Feature.objects.values_list("slug", "name"))
        display = pgettext("list separator", ", ").join(
            gettext("“%(feature)s”") % {"feature": feature_names.get(slug, slug)} for slug in slugs
        )
        if high:
            return gettext("Stopped using the key feature %(features)s") % {"features": display}
        return gettext("Kept using the key feature %(features)s") % {"features": display}
    if name == SIZE or name.startswith(SIZE_PREFIX):
        band = detail[0] if detail else name[len(SIZE_PREFIX) :]
        label = str(dict(SizeBand.choices).get(band, band))
        return gettext("Company size: %(size)s") % {"size": label}
    if name in _LABELS:
        return str(_LABELS[name][1 if high else 0])
    return name
