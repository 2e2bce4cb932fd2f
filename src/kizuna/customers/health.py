"""The customer health score: 0–100, higher = healthier, explained measure by measure.

How a score is made (docs/health.md says the same in plain words):

1. **Points.** A point is an (account, day) where a subscription covers the day (the
   account is active, METRICS.md §Customers). Everything is computed for many points at
   once: one day for ``snapshot``, every account × every day for ``backfill`` and the
   back-test, in whole-column polars and one event-store query per usage function — never
   a loop over accounts or days.
2. **Inputs.** Registered input providers add columns to the points: the subscriptions
   themselves (seats, MRR, next end date), product usage from ``kizuna.usage.metrics``
   (window [day − 28, day), so a score for a day uses the events of the 28 days before
   it), the latest CSM assessment on or before the day. A later issue registers its own
   provider (NPS answers, open tickets) with :func:`register_input`.
3. **Measures.** Each :class:`Measure` turns input columns into a raw value and a
   normalised value 0–100 (null = "no data for this account": the measure is left out
   and its weight is shared among the others, which the contributions say).
4. **Score.** The account's profile (its size band's, else the default) gives the weights;
   each available measure gets ``weight / sum of available weights`` of the score, its
   points are ``normalised × that share``, the points add up to the score, and the
   profile's thresholds give the band.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import polars as pl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kizuna.core import audit
from kizuna.customers.models import (
    DEFAULT_GREEN_FROM,
    DEFAULT_RED_BELOW,
    Account,
    CsmAssessment,
    HealthBand,
    HealthProfile,
    HealthScore,
    SizeBand,
    Subscription,
)

WINDOW_DAYS = 28
"""Usage measures look at the 28 days before the scored day ([day − 28, day))."""

STICKINESS_FULL_MARKS = 0.5
"""Stickiness (mean DAU / active users) that earns 100: a B2B tool used on half of all
calendar days by the average active user is used as much as a work tool gets."""

RENEWAL_HORIZON_DAYS = 180
"""Renewal proximity is 0 on the renewal day and rises linearly to 100 at 180 days out."""

FAR_FUTURE = dt.date(9999, 12, 31)

Progress = Callable[[int, int], None]
"""``progress(done, total)`` while scores are written."""


# --- Registries: inputs and measures ------------------------------------------------

InputProvider = Callable[[pl.DataFrame], pl.DataFrame]
"""Given the points frame (``account_id``, ``day``, ``group_id`` and the subscription
columns), return a frame keyed by ``account_id`` and ``day`` (at most one row per point)
whose other columns are joined onto the points. Missing points get nulls."""

INPUTS: dict[str, InputProvider] = {}


def register_input(name: str, provider: InputProvider) -> None:
    """Add an input provider; measures name the providers they read in ``inputs``."""
    INPUTS[name] = provider


@dataclass(frozen=True, eq=False)
class Measure:
    """One ingredient of the health score.

    ``raw`` and ``normalised`` are polars expressions over the inputs frame. ``normalised``
    must lie in 0–100 (it is clipped anyway) and be null when the account has no data
    for the measure, so that its weight goes to the other measures rather than counting
    as a zero. ``rule`` says in plain words how the raw value becomes 0–100 (shown next
    to the weights).
    """

    key: str
    label: str | Promise
    rule: str | Promise
    default_weight: float
    raw: pl.Expr
    normalised: pl.Expr
    inputs: tuple[str, ...] = ()


MEASURES: dict[str, Measure] = {}
"""Registered measures by key, in display order."""


def register_measure(measure: Measure) -> Measure:
    if measure.default_weight < 0 or not math.isfinite(measure.default_weight):
        raise ValueError(f"{measure.key}: default weight must be a finite number ≥ 0")
    for name in measure.inputs:
        if name not in INPUTS:
            raise ValueError(f"{measure.key}: unknown input {name!r}")
    MEASURES[measure.key] = measure
    return measure


# --- Points: active (account, day) pairs with their subscription figures ------------

_SUBSCRIPTION_SCHEMA: dict[str, Any] = {
    "account_id": pl.Int64(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "quantity": pl.Int64(),
    "mrr": pl.Decimal(precision=20, scale=0),
}


def subscriptions_frame() -> pl.DataFrame:
    """Every subscription (small: one row per contract line), ``end`` filled with a far
    future date for open-ended ones."""
    rows = Subscription.objects.values_list(*_SUBSCRIPTION_SCHEMA).order_by("pk")
    frame = pl.DataFrame(list(rows), schema=_SUBSCRIPTION_SCHEMA, orient="row")
    return frame.with_columns(
        pl.col("mrr").cast(pl.Int64), end=pl.col("end_date").fill_null(FAR_FUTURE)
    )


def _accounts_frame() -> pl.DataFrame:
    rows = Account.objects.values_list("pk", "external_id", "size_band").order_by("pk")
    return pl.DataFrame(
        list(rows),
        schema={"account_id": pl.Int64(), "group_id": pl.String(), "size_band": pl.String()},
        orient="row",
    )


def _summarise(covering: pl.DataFrame, subs: pl.DataFrame) -> pl.DataFrame:
    """Per covered point: seats and MRR of the covering subscriptions, the nearest end
    date among them (null when all are open-ended), the account's first start."""
    first_start = subs.group_by("account_id").agg(first_start=pl.col("start_date").min())
    points = covering.group_by("account_id", "day").agg(
        seats=pl.col("quantity").sum(),
        mrr=pl.col("mrr").sum(),
        next_end=pl.col("end_date").min(),
    )
    return (
        points.join(first_start, on="account_id", how="left")
        .join(_accounts_frame(), on="account_id", how="left")
        .sort("day", "account_id")
    )


def points_for_days(days: Sequence[dt.date]) -> pl.DataFrame:
    """Every account active on each of ``days`` (a subscription covers the day)."""
    subs = subscriptions_frame()
    day_frame = pl.DataFrame({"day": sorted(set(days))}, schema={"day": pl.Date()})
    covering = subs.join_where(
        day_frame, pl.col("day") >= pl.col("start_date"), pl.col("day") < pl.col("end")
    )
    return _summarise(covering, subs)


def points_for_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    """The (account_id, day) pairs of ``pairs`` on which the account was active."""
    subs = subscriptions_frame()
    wanted = pairs.select(pl.col("account_id").cast(pl.Int64), pl.col("day").cast(pl.Date))
    covering = (
        wanted.unique()
        .join(subs, on="account_id")
        .filter((pl.col("day") >= pl.col("start_date")) & (pl.col("day") < pl.col("end")))
    )
    return _summarise(covering, subs)


# --- Input providers -----------------------------------------------------------------


def adoption_features() -> list[tuple[str, list[str]]]:
    """(slug, event names) of the features adoption breadth counts: the key features, or
    every feature when none is marked key."""
    from kizuna.usage.models import Feature

    features = Feature.objects.order_by("slug")
    if features.filter(is_key=True).exists():
        features = features.filter(is_key=True)
    return [
        (slug, list(names or [])) for slug, names in features.values_list("slug", "event_names")
    ]


def feature_users_column(slug: str) -> str:
    return f"feature_users:{slug}"


def feature_prev_column(slug: str) -> str:
    return f"feature_users_prev:{slug}"


def feature_last_used_column(slug: str) -> str:
    return f"feature_last_used:{slug}"


_USAGE_COLUMNS: dict[str, Any] = {
    "active_users": pl.Int64(),
    "mean_dau": pl.Float64(),
    "stickiness": pl.Float64(),
    "events": pl.Int64(),
    "events_prev": pl.Int64(),
    "last_event_day": pl.Date(),
}


LOOKBACK_DAYS = 180
"""How far back before a day any input looks: ``feature_last_used:<slug>`` and
``last_event_day`` are null when older than this. Bounding it lets one query read only
the events that can matter (a snapshot does not scan years of history), with the same
result for a day whether it is scored alone or in a back-fill."""


def _events_between(events: Any, first: Any, last: Any) -> Any:
    """Events from Tokyo midnight ``LOOKBACK_DAYS`` before ``first`` up to (excluding)
    ``last`` — everything the points' windows and look-backs can reach."""
    assert isinstance(first, dt.date) and isinstance(last, dt.date)
    tokyo = dt.timezone(dt.timedelta(hours=9))  # the usage metrics' day (no DST in Japan)
    low = dt.datetime.combine(first - dt.timedelta(days=LOOKBACK_DAYS), dt.time(), tokyo)
    high = dt.datetime.combine(last, dt.time(), tokyo)
    return events.filter(
        (events.timestamp >= ibis.literal(low)) & (events.timestamp < ibis.literal(high))
    )


def usage_inputs(points: pl.DataFrame) -> pl.DataFrame:
    """Usage of each point's account in the window before the day, from
    ``usage.metrics.account_usage`` and ``account_feature_usage`` (each run once over all
    points), plus the adoption feature counts and, per feature, ``feature_users:<slug>``,
    ``feature_users_prev:<slug>`` and ``feature_last_used:<slug>`` (the churn model reads
    those). Only events of the last ``LOOKBACK_DAYS`` before a day are read."""
    from kizuna.usage import metrics

    features = adoption_features()
    keys = points.select("account_id", "day", "group_id")
    wanted = keys.select("group_id", as_of="day").unique().sort("as_of", "group_id")
    usage = pl.DataFrame(schema={"group_id": pl.String(), "as_of": pl.Date(), **_USAGE_COLUMNS})
    long = pl.DataFrame(
        schema={
            "group_id": pl.String(),
            "as_of": pl.Date(),
            "feature": pl.String(),
            "users": pl.Int64(),
            "users_prev": pl.Int64(),
            "last_used": pl.Date(),
        }
    )
    if wanted.height:
        with metrics.events_on_store() as all_events:
            events = _events_between(all_events, wanted["as_of"].min(), wanted["as_of"].max())
            table = ibis.memtable(wanted.to_arrow())
            usage = metrics.account_usage(events, table, window_days=WINDOW_DAYS).to_polars()
            if features:
                long = metrics.account_feature_usage(
                    events, table, features, window_days=WINDOW_DAYS
                ).to_polars()
    usage = usage.select(
        pl.col("group_id").cast(pl.String),
        pl.col("as_of").cast(pl.Date).alias("day"),
        *(pl.col(name).cast(kind) for name, kind in _USAGE_COLUMNS.items()),
    )
    frame = keys.join(usage, on=["group_id", "day"], how="left").with_columns(
        pl.col("active_users", "events", "events_prev").fill_null(0),
        features_total=pl.lit(len(features), dtype=pl.Int64),
    )
    long = long.select(
        pl.col("group_id").cast(pl.String),
        pl.col("as_of").cast(pl.Date).alias("day"),
        pl.col("feature").cast(pl.String),
        pl.col("users").cast(pl.Int64).fill_null(0),
        pl.col("users_prev").cast(pl.Int64).fill_null(0),
        pl.col("last_used").cast(pl.Date),
    )
    per_feature = []
    for slug, _names in features:
        one = long.filter(pl.col("feature") == slug).select(
            "group_id",
            "day",
            pl.col("users").alias(feature_users_column(slug)),
            pl.col("users_prev").alias(feature_prev_column(slug)),
            pl.col("last_used").alias(feature_last_used_column(slug)),
        )
        frame = frame.join(one, on=["group_id", "day"], how="left")
        per_feature.append(slug)
    frame = frame.with_columns(
        *(
            pl.col(feature_users_column(slug), feature_prev_column(slug)).fill_null(0)
            for slug in per_feature
        )
    )
    used = [(pl.col(feature_users_column(slug)) > 0).cast(pl.Int64) for slug in per_feature]
    frame = frame.with_columns(
        features_used=pl.sum_horizontal(used) if used else pl.lit(0, dtype=pl.Int64)
    )
    return frame.drop("group_id")


def usage_history_start() -> dt.date | None:
    """The first day with a qualifying event in the store (None when there is none)."""
    from kizuna.usage import metrics

    with metrics.events_on_store() as events:
        first = metrics.qualifying(events).day.min().execute()
    if first is None or (isinstance(first, float) and math.isnan(first)):
        return None
    return metrics.EPOCH + dt.timedelta(days=int(first))


def first_complete_day() -> dt.date | None:
    """The first day whose usage measures rest on complete history: both 28-day windows
    before it (the trend compares them) fall on or after the first recorded event. Days
    before it would score an account as unused merely because tracking had not started,
    so the back-test and the churn model leave them out."""
    start = usage_history_start()
    return None if start is None else start + dt.timedelta(days=2 * WINDOW_DAYS)


def csm_inputs(points: pl.DataFrame) -> pl.DataFrame:
    """The latest CSM rating made on or before each point's day (local calendar day)."""
    keys = points.select("account_id", "day").sort("day")
    if not keys.height:
        return keys.with_columns(csm_rating=pl.lit(None, dtype=pl.Int64))
    last_day = keys["day"].max()
    assert isinstance(last_day, dt.date)
    rows = CsmAssessment.objects.filter(
        at__lt=timezone.make_aware(dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time()))
    ).values_list("account_id", "at", "rating", "pk")
    ratings = pl.DataFrame(
        list(rows),
        schema={
            "account_id": pl.Int64(),
            "at": pl.Datetime("us", "UTC"),
            "csm_rating": pl.Int64(),
            "pk": pl.Int64(),
        },
        orient="row",
    )
    ratings = (
        ratings.with_columns(
            rated_on=pl.col("at").dt.convert_time_zone(settings.TIME_ZONE).dt.date()
        )
        .sort("at", "pk")
        .unique(subset=["account_id", "rated_on"], keep="last")
        .sort("rated_on")
        .select("account_id", "rated_on", "csm_rating")
    )
    return keys.join_asof(
        ratings,
        left_on="day",
        right_on="rated_on",
        by="account_id",
        strategy="backward",
        check_sortedness=False,
    ).select("account_id", "day", "csm_rating")


register_input("usage", usage_inputs)
register_input("csm", csm_inputs)


def build_inputs(points: pl.DataFrame, providers: Iterable[str] | None = None) -> pl.DataFrame:
    """The points with every provider's columns joined on (account_id, day)."""
    names = list(providers) if providers is not None else _needed_inputs()
    frame = points
    for name in names:
        extra = INPUTS[name](points)
        frame = frame.join(extra, on=["account_id", "day"], how="left")
    return frame


def _needed_inputs() -> list[str]:
    names: list[str] = []
    for measure in MEASURES.values():
        names.extend(name for name in measure.inputs if name not in names)
    return names


# --- The measures ----------------------------------------------------------------------

_active = pl.col("active_users")
_seat_share = pl.when(pl.col("seats") > 0).then(_active / pl.col("seats"))
_adoption_share = pl.when(pl.col("features_total") > 0).then(
    pl.col("features_used") / pl.col("features_total")
)
_trend_ratio = pl.when(pl.col("events_prev") > 0).then(pl.col("events") / pl.col("events_prev"))
_days_to_end = (pl.col("next_end") - pl.col("day")).dt.total_days()

register_measure(
    Measure(
        key="stickiness",
        label=_("Stickiness"),
        rule=_(
            "Mean daily active users over the last 28 days divided by the users active in "
            "those 28 days. A value of 0.5 or more earns 100, lower values proportionally "
            "less; no active user earns 0."
        ),
        default_weight=25,
        raw=pl.col("stickiness"),
        normalised=pl.when(_active > 0)
        .then((pl.col("stickiness").fill_null(0) / STICKINESS_FULL_MARKS).clip(0, 1) * 100)
        .otherwise(0.0),
        inputs=("usage",),
    )
)
register_measure(
    Measure(
        key="adoption",
        label=_("Adoption breadth"),
        rule=_(
            "Share of the key features (all features when none is marked key) used in the "
            "last 28 days: all of them earns 100. Left out when no feature is defined."
        ),
        default_weight=25,
        raw=_adoption_share,
        normalised=_adoption_share * 100,
        inputs=("usage",),
    )
)
register_measure(
    Measure(
        key="seats",
        label=_("Seat utilisation"),
        rule=_(
            "Users active in the last 28 days divided by the seats of the subscriptions "
            "covering the day: every seat used earns 100 (capped). Left out without seats."
        ),
        default_weight=20,
        raw=_seat_share,
        normalised=_seat_share.clip(0, 1) * 100,
        inputs=("usage",),
    )
)
register_measure(
    Measure(
        key="trend",
        label=_("Usage trend"),
        rule=_(
            "Events in the last 28 days compared with the 28 days before: unchanged earns "
            "50, doubled or more 100, halved or less 0 (on a log scale in between). Usage "
            "starting from nothing earns 100; no usage in either window earns 0."
        ),
        default_weight=15,
        raw=_trend_ratio,
        normalised=pl.when(pl.col("events_prev") > 0)
        .then(
            pl.when(pl.col("events") > 0)
            .then(50 + 50 * (pl.col("events") / pl.col("events_prev")).log(2).clip(-1, 1))
            .otherwise(0.0)
        )
        .when(pl.col("events") > 0)
        .then(100.0)
        .otherwise(0.0),
        inputs=("usage",),
    )
)
register_measure(
    Measure(
        key="renewal",
        label=_("Renewal proximity"),
        rule=_(
            "Days until the nearest end date of the subscriptions covering the day: 180 "
            "days or more (or no end date) earns 100, the renewal day itself 0, linear in "
            "between. Nearer renewals lower the score."
        ),
        default_weight=5,
        raw=_days_to_end.cast(pl.Float64),
        normalised=pl.when(pl.col("next_end").is_null())
        .then(100.0)
        .otherwise((_days_to_end / RENEWAL_HORIZON_DAYS).clip(0, 1) * 100),
    )
)
register_measure(
    Measure(
        key="csm",
        label=_("CSM assessment"),
        rule=_(
            "The latest rating by the account's CSM, 1 to 5: 1 earns 0, 5 earns 100, 25 "
            "points per step. Left out when no CSM has rated the account yet."
        ),
        default_weight=10,
        raw=pl.col("csm_rating").cast(pl.Float64),
        normalised=(pl.col("csm_rating") - 1) / 4 * 100,
        inputs=("csm",),
    )
)


# --- Profiles: weights and bands -------------------------------------------------------


def default_profile() -> HealthProfile:
    """The profile with a blank segment (created by a migration; recreated if deleted)."""
    profile, _created = HealthProfile.objects.get_or_create(
        segment="",
        defaults={
            "name": "標準",
            "weights": {},
            "red_below": DEFAULT_RED_BELOW,
            "green_from": DEFAULT_GREEN_FROM,
        },
    )
    return profile


def effective_weights(profile: HealthProfile) -> dict[str, float]:
    """The weight of every registered measure in ``profile`` (default when not set)."""
    stored = profile.weights if isinstance(profile.weights, dict) else {}
    return {
        key: float(stored.get(key, measure.default_weight)) for key, measure in MEASURES.items()
    }


def clean_profile_settings(
    weights: Mapping[str, Any] | None, red_below: Any, green_from: Any
) -> tuple[dict[str, float], float, float]:
    """Validate weights and thresholds; raise ``ValidationError`` keyed by field
    (``weights``, ``red_below``, ``green_from``) with translated messages.

    Weights must be numbers ≥ 0 for known measures, and the effective weights (with
    defaults for measures not given) must add up to more than 0. Thresholds must lie in
    0–100 with ``red_below`` < ``green_from``.
    """
    errors: dict[str, list[ValidationError]] = {}
    cleaned: dict[str, float] = {}
    for key, value in (weights or {}).items():
        if key not in MEASURES:
            errors.setdefault("weights", []).append(
                ValidationError(
                    _("Unknown measure: %(key)s."), code="unknown_measure", params={"key": key}
                )
            )
            continue
        number = _number(value)
        if number is None or number < 0:
            errors.setdefault("weights", []).append(
                ValidationError(
                    _("The weight of %(measure)s must be a number of 0 or more."),
                    code="bad_weight",
                    params={"measure": MEASURES[key].label},
                )
            )
            continue
        cleaned[key] = number
    if "weights" not in errors:
        total = sum(cleaned.get(key, m.default_weight) for key, m in MEASURES.items())
        if total <= 0:
            errors["weights"] = [
                ValidationError(_("At least one weight must be above 0."), code="zero_weights")
            ]
    red, green = _number(red_below), _number(green_from)
    for field, number in (("red_below", red), ("green_from", green)):
        if number is None or not 0 <= number <= 100:
            errors[field] = [
                ValidationError(_("Enter a threshold between 0 and 100."), code="threshold_range")
            ]
    if red is not None and green is not None and "red_below" not in errors and red >= green:
        errors["green_from"] = [
            ValidationError(
                _("The green threshold must be above the red threshold."),
                code="threshold_order",
            )
        ]
    if errors:
        raise ValidationError(errors)
    assert red is not None and green is not None
    return cleaned, red, green


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def update_profile(
    profile: HealthProfile,
    *,
    name: str | None = None,
    weights: Mapping[str, Any] | None = None,
    red_below: Any = None,
    green_from: Any = None,
    actor: Any = None,
) -> HealthProfile:
    """Change a profile's name, weights (the mapping replaces the stored one; measures
    not in it take their default weight) and/or thresholds. Validates everything first
    and changes nothing on error. Scores already stored keep the weights they were made
    with; the next snapshot uses the new ones."""
    new_weights, red, green = clean_profile_settings(
        profile.weights if weights is None else weights,
        profile.red_below if red_below is None else red_below,
        profile.green_from if green_from is None else green_from,
    )
    if name is not None and not name.strip():
        raise ValidationError({"name": [ValidationError(_("Enter a name."), code="required")]})
    previous = {
        "name": profile.name,
        "weights": profile.weights,
        "red_below": profile.red_below,
        "green_from": profile.green_from,
    }
    with transaction.atomic():
        if name is not None:
            profile.name = name.strip()
        profile.weights, profile.red_below, profile.green_from = new_weights, red, green
        profile.save()
        audit.record(
            actor,
            "customers.health.profile.update",
            profile,
            previous=previous,
            name=profile.name,
            weights=new_weights,
            red_below=red,
            green_from=green,
        )
    return profile


def create_profile(
    segment: str,
    *,
    name: str,
    weights: Mapping[str, Any] | None = None,
    red_below: Any = DEFAULT_RED_BELOW,
    green_from: Any = DEFAULT_GREEN_FROM,
    actor: Any = None,
) -> HealthProfile:
    """A profile for one size band (``segment``), validated like :func:`update_profile`."""
    errors: dict[str, list[ValidationError]] = {}
    if segment not in SizeBand.values:
        errors["segment"] = [ValidationError(_("Choose a company size."), code="segment")]
    elif HealthProfile.objects.filter(segment=segment).exists():
        errors["segment"] = [
            ValidationError(_("This company size already has a profile."), code="duplicate")
        ]
    if not name.strip():
        errors["name"] = [ValidationError(_("Enter a name."), code="required")]
    try:
        new_weights, red, green = clean_profile_settings(weights, red_below, green_from)
    except ValidationError as exc:
        for field, messages in exc.error_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        profile = HealthProfile.objects.create(
            segment=segment, name=name.strip(), weights=new_weights, red_below=red, green_from=green
        )
        audit.record(
            actor,
            "customers.health.profile.create",
            profile,
            segment=segment,
            weights=new_weights,
            red_below=red,
            green_from=green,
        )
    return profile


def delete_profile(profile: HealthProfile, *, actor: Any = None) -> None:
    """Remove a segment profile; its accounts fall back to the default profile."""
    if profile.is_default:
        raise ValidationError(_("The default profile cannot be deleted."), code="default_profile")
    with transaction.atomic():
        audit.record(actor, "customers.health.profile.delete", profile, segment=profile.segment)
        profile.delete()


def _profiles_frame() -> tuple[pl.DataFrame, dict[str, int]]:
    """One row per profile (id, thresholds, ``w:<measure>`` weights) and the profile id
    of every size band (blank included)."""
    default = default_profile()
    profiles = list(HealthProfile.objects.order_by("pk"))
    rows = []
    for profile in profiles:
        weights = effective_weights(profile)
        rows.append(
            {
                "profile_id": profile.pk,
                "red_below": float(profile.red_below),
                "green_from": float(profile.green_from),
                **{f"w:{key}": weights[key] for key in MEASURES},
            }
        )
    by_segment = {profile.segment: profile.pk for profile in profiles}
    mapping = {band: by_segment.get(band, default.pk) for band in [*SizeBand.values, ""]}
    schema = {
        "profile_id": pl.Int64(),
        "red_below": pl.Float64(),
        "green_from": pl.Float64(),
        **{f"w:{key}": pl.Float64() for key in MEASURES},
    }
    return pl.DataFrame(rows, schema=schema), mapping


# --- Scoring ---------------------------------------------------------------------------

CONTRIBUTION_FIELDS = ("raw", "normalised", "weight", "effective_weight", "points", "missing")


def score_inputs(inputs: pl.DataFrame) -> pl.DataFrame:
    """Score an inputs frame (see :func:`build_inputs`): adds ``raw:<m>``, ``norm:<m>``,
    ``w:<m>``, ``share:<m>``, ``points:<m>`` per measure, ``profile_id``, ``score``,
    ``band`` and ``contributions`` (a struct per measure). Points without any measure
    available under their profile's weights are dropped (no score can be formed)."""
    profiles, mapping = _profiles_frame()
    keys = list(MEASURES)
    frame = inputs.with_columns(
        profile_id=pl.col("size_band")
        .fill_null("")
        .replace_strict(mapping, default=mapping[""], return_dtype=pl.Int64),
        **{f"raw:{k}": MEASURES[k].raw.cast(pl.Float64) for k in keys},
        **{f"norm:{k}": MEASURES[k].normalised.cast(pl.Float64).clip(0.0, 100.0) for k in keys},
    ).join(profiles, on="profile_id", how="left")
    available = {k: pl.col(f"norm:{k}").is_not_null() for k in keys}
    total = pl.sum_horizontal(
        *(pl.when(available[k]).then(pl.col(f"w:{k}")).otherwise(0.0) for k in keys)
    )
    frame = frame.with_columns(_total=total).filter(pl.col("_total") > 0)
    frame = frame.with_columns(
        **{
            f"share:{k}": pl.when(available[k])
            .then(pl.col(f"w:{k}") / pl.col("_total"))
            .otherwise(0.0)
            for k in keys
        }
    )
    frame = frame.with_columns(
        **{
            f"points:{k}": pl.when(available[k])
            .then(pl.col(f"norm:{k}") * pl.col(f"share:{k}"))
            .otherwise(0.0)
            for k in keys
        }
    )
    score = pl.sum_horizontal(*(pl.col(f"points:{k}") for k in keys)).clip(0.0, 100.0)
    frame = frame.with_columns(score=score)
    band = (
        pl.when(pl.col("score") < pl.col("red_below"))
        .then(pl.lit(HealthBand.RED.value))
        .when(pl.col("score") >= pl.col("green_from"))
        .then(pl.lit(HealthBand.GREEN.value))
        .otherwise(pl.lit(HealthBand.YELLOW.value))
    )
    contributions = pl.struct(
        *(
            pl.struct(
                raw=pl.col(f"raw:{k}"),
                normalised=pl.col(f"norm:{k}"),
                weight=pl.col(f"w:{k}"),
                effective_weight=pl.col(f"share:{k}"),
                points=pl.col(f"points:{k}"),
                missing=~available[k],
            ).alias(k)
            for k in keys
        )
    )
    return frame.with_columns(band=band, contributions=contributions).drop("_total")


def score_points(points: pl.DataFrame) -> pl.DataFrame:
    """Scores for a points frame (from :func:`points_for_days` / :func:`points_for_pairs`)."""
    if not points.height:
        return score_inputs(build_inputs(points)).clear()
    return score_inputs(build_inputs(points))


def score_accounts(day: dt.date) -> pl.DataFrame:
    """The health of every account active on ``day``, one row per account (see
    :func:`score_inputs` for the columns). Nothing is stored."""
    return score_points(points_for_days([day]))


def score_days(days: Sequence[dt.date]) -> pl.DataFrame:
    """Like :func:`score_accounts` for many days at once (one usage query in all)."""
    return score_points(points_for_days(days))


def snapshot(day: dt.date | None = None, *, progress: Progress | None = None) -> int:
    """Compute and store (insert or replace) the health of every account active on
    ``day`` (default today); return the number of scores written."""
    return write_scores(score_accounts(day or timezone.localdate()), progress=progress)


def backfill(
    start: dt.date,
    end: dt.date,
    step_days: int = 1,
    *,
    progress: Progress | None = None,
) -> int:
    """Compute and store the health of every active account on every ``step_days``-th
    day of [start, end), in one usage query for all of them; return the scores written."""
    if step_days < 1:
        raise ValueError("step_days must be 1 or more")
    if end <= start:
        raise ValueError(f"the period end {end} must be after its start {start}")
    days = [start + dt.timedelta(days=n) for n in range(0, (end - start).days, step_days)]
    return write_scores(score_days(days), progress=progress)


WRITE_BATCH = 500
"""Rows per INSERT statement (7 parameters each: far below SQLite's variable limit)."""


def write_scores(scored: pl.DataFrame, *, progress: Progress | None = None) -> int:
    """Insert or replace (on account and day) the HealthScore rows of a scored frame.

    A back-fill writes hundreds of thousands of rows, so this bypasses model instances:
    the contributions are encoded to JSON by polars, and the rows go in with ``INSERT …
    ON CONFLICT (account_id, day) DO UPDATE`` — multi-row statements on SQLite; on
    PostgreSQL through ``COPY`` into a temporary table first (client-side parameter
    binding of 1.5 M values is what made it slow). All in one transaction.
    """
    total = scored.height
    if not total:
        return 0
    rows = scored.select(
        "account_id",
        "day",
        "score",
        "band",
        "profile_id",
        pl.col("contributions").struct.json_encode(),
    )
    ops = connection.ops
    meta = HealthScore._meta
    by_name = {field.name: str(field.column) for field in meta.concrete_fields}
    columns = [
        ops.quote_name(by_name[name])
        for name in ("account", "day", "score", "band", "profile", "contributions", "computed_at")
    ]
    target = ops.quote_name(meta.db_table)
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns[2:])
    upsert = f" ON CONFLICT ({columns[0]}, {columns[1]}) DO UPDATE SET {updates}"
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_scores(cursor, rows, columns, target, upsert, now, progress)
        else:
            _insert_scores(cursor, rows, columns, target, upsert, now, progress)
    return total


def _insert_scores(
    cursor: Any,
    rows: pl.DataFrame,
    columns: list[str],
    target: str,
    upsert: str,
    now: dt.datetime,
    progress: Progress | None,
) -> None:
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    # Identifiers come from the model, quoted by the backend; values are parameters.
    head = f"INSERT INTO {target} ({', '.join(columns)}) VALUES "  # noqa: S608
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    done = 0
    for batch in rows.iter_slices(WRITE_BATCH):
        params: list[Any] = []
        for account_id, day, score, band, profile_id, contributions in batch.iter_rows():
            params += [
                account_id,
                ops.adapt_datefield_value(day),
                score,
                band,
                profile_id,
                contributions,
                stamp,
            ]
        cursor.execute(head + ", ".join([placeholder] * batch.height) + upsert, params)
        done += batch.height
        if progress is not None:
            progress(done, rows.height)


def _copy_scores(
    cursor: Any,
    rows: pl.DataFrame,
    columns: list[str],
    target: str,
    upsert: str,
    now: dt.datetime,
    progress: Progress | None,
) -> None:
    names = ", ".join(columns)
    cursor.execute(
        "CREATE TEMPORARY TABLE kizuna_health_load (account_id bigint, day date, "
        "score double precision, band varchar(10), profile_id bigint, contributions jsonb, "
        "computed_at timestamptz) ON COMMIT DROP"
    )
    done = 0
    copy_sql = "COPY kizuna_health_load FROM STDIN"
    with cursor.cursor.copy(copy_sql) as copy:
        for batch in rows.iter_slices(20_000):
            for row in batch.iter_rows():
                copy.write_row((*row, now))
            done += batch.height
            if progress is not None:
                progress(done, rows.height)
    cursor.execute(
        f"INSERT INTO {target} ({names}) SELECT account_id, day, score, band, profile_id, "  # noqa: S608
        f"contributions, computed_at FROM kizuna_health_load{upsert}"
    )
    cursor.execute("DROP TABLE kizuna_health_load")


# --- Reading the history ---------------------------------------------------------------


def latest_scores(day: dt.date | None = None) -> QuerySet[HealthScore]:
    """Each account's most recent score on or before ``day`` (default: any day)."""
    history = HealthScore.objects.filter(account_id=OuterRef("account_id"))
    if day is not None:
        history = history.filter(day__lte=day)
    latest_day = Subquery(history.order_by("-day").values("day")[:1])
    scores = HealthScore.objects.filter(day=latest_day)
    return scores.select_related("account", "profile").order_by("score", "account__name")


def bands_for(account_ids: Sequence[int], day: dt.date) -> dict[int, str | None]:
    """The band of each account's latest score on or before ``day``: the hook
    ``revenue.renewals_pipeline(health=...)`` takes."""
    rows = latest_scores(day).filter(account_id__in=list(account_ids))
    return {score.account_id: score.band for score in rows}


# --- CSM assessments -------------------------------------------------------------------


def record_assessment(
    account: Account,
    rating: Any,
    note: str = "",
    by: Any = None,
    *,
    at: dt.datetime | None = None,
) -> CsmAssessment:
    """Record a CSM's rating (1–5) of ``account``; it counts from its own day on."""
    value = _number(rating)
    if value is None or value != int(value) or not 1 <= value <= 5:
        raise ValidationError(
            {"rating": [ValidationError(_("Choose a rating from 1 to 5."), code="rating")]}
        )
    from kizuna.core.models import User

    with transaction.atomic():
        assessment = CsmAssessment.objects.create(
            account=account,
            rating=int(value),
            note=note or "",
            by=by if isinstance(by, User) else None,
            at=at or timezone.now(),
        )
        audit.record(
            by,
            "customers.health.assessment",
            account,
            assessment=assessment.pk,
            rating=int(value),
        )
    return assessment
