"""Usage metrics: one module of Ibis expressions that run unchanged on DuckDB and Spark.

Definitions are those of ../shared/METRICS.md §Customers; each function's docstring
quotes the one it implements and says what the project chose where METRICS.md leaves a
choice open.

Shared rules:

- A **qualifying** event is a ``track``, ``page`` or ``screen`` call with a ``user_id``
  (``identify`` and ``group`` calls describe people, they are not use of the product).
  An event belongs to an account through its ``group_id`` (the account's external id).
- **Days** are Asia/Tokyo calendar days. Japan has no daylight saving time, so a day is
  ``floor((epoch microseconds + 9 h) / 1 day)``: an integer computed from the instant
  alone, which gives the same day on every backend whatever its session time zone (a
  DuckDB session set to Asia/Tokyo, as on a Japanese server, included). Internally days
  are these integers (day 0 = 1970-01-01); results carry dates.
- **Periods** are half-open, [start, end): ``end`` is not included.
- A ratio whose denominator is 0 is undefined: null in tables, ``None`` in results.

How they are computed: events are reduced once to "member-days" (one row per account,
user and day with activity). Trailing-window distinct counts — "users active in the 28
days before this date" for every account and every date — are the expensive part; they
are computed without joining every date to every event: each member-day covers the
dates whose window contains it up to the member's next active day, so the coverage
intervals of one member never overlap, and the number of members active at a date is a
running sum of +1/−1 interval ends. The dates asked about are rows of the same running
window, so any number of dates costs one sort, not one query each. Feature usage
works the same way per (account, feature).

The functions take an ``ibis.Table`` of events (``type``, ``event``, ``name``,
``user_id``, ``group_id``, ``timestamp``) and return unexecuted ``ibis.Table``
expressions; run them with ``.to_pandas()`` / ``.to_polars()`` or a backend's
``execute``. :func:`events_on_store` gives that table over the configured DuckDB store;
the ``*_metric`` functions at the end are what ``kizuna metrics`` runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
import ibis
import ibis.expr.types as ir
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ibis.common.exceptions import IbisError

from kizuna.usage import store

QUALIFYING_TYPES = ("track", "page", "screen")
TOKYO_OFFSET_SECONDS = 9 * 3600
"""Asia/Tokyo is UTC+9 all year (no daylight saving time)."""
EPOCH = dt.date(1970, 1, 1)

Unit = Literal["user", "account"]
PeriodUnit = Literal["week", "month"]
RetentionMode = Literal["on", "on_or_after"]
FeatureSpec = tuple[str, Sequence[str]]
"""A feature as the metrics see it: (slug, event names)."""


HELP: dict[str, Promise] = {
    "dau": gettext_lazy(
        "Daily active users (DAU): distinct users with a qualifying event (a track, page or "
        "screen call from a known user) on the day, in Japan time."
    ),
    "wau": gettext_lazy(
        "Weekly active users (WAU): distinct users with a qualifying event in the trailing 7 "
        "days, the day itself included."
    ),
    "mau": gettext_lazy(
        "Monthly active users (MAU): distinct users with a qualifying event in the trailing "
        "28 days, the day itself included."
    ),
    "stickiness": gettext_lazy(
        "Stickiness: the mean DAU over the period's days (days without use count as 0) "
        "divided by the distinct users active in the period. Over 28 days this is DAU/MAU."
    ),
    "adoption": gettext_lazy(
        "Feature adoption: users (or accounts) who used the feature in the period divided "
        "by the users (or accounts) active in the period."
    ),
    "retention": gettext_lazy(
        "Retention: the share of a cohort (users first seen in the same week or month) who "
        "were active N weeks or months later; “on or after” also counts those active in a "
        "later week or month."
    ),
    "activation": gettext_lazy(
        "Activation: the share of users first seen in the period who used an activation "
        "feature within their first K days."
    ),
    "activity_churn": gettext_lazy(
        "Activity churn: accounts with an event in the N days before the start and none in "
        "the N days before the end, divided by the accounts with an event before the start."
    ),
}
"""Help texts for the UI, in the words of METRICS.md (translated when shown)."""


# --- Building blocks ---------------------------------------------------------------------


def day_number(value: dt.date) -> int:
    """The integer day the expressions use for a calendar date."""
    return (value - EPOCH).days


def _micros_stub(timestamp: Any) -> int:  # pragma: no cover - never called: a SQL builtin
    raise NotImplementedError


# Microseconds since the epoch of an instant, as each backend spells it. DuckDB's
# TIMESTAMPTZ → TIMESTAMP cast (what Ibis' ``epoch_seconds`` compiles to) goes through the
# session's time zone: with ``SET TimeZone = 'Asia/Tokyo'`` it shifts every event by 9
# hours, and it is an order of magnitude slower than ``epoch_us``.
_DUCKDB_EPOCH_US = ibis.udf.scalar.builtin(
    _micros_stub, name="epoch_us", signature=(("timestamp",), "int64")
)
_SPARK_UNIX_MICROS = ibis.udf.scalar.builtin(
    _micros_stub, name="unix_micros", signature=(("timestamp",), "int64")
)
DAY_MICROS = 86_400 * 1_000_000


def _backend_name(table: ir.Table) -> str:
    try:
        return str(ibis.get_backend(table).name)
    except IbisError:  # unbound tables: the expression is only being built or compiled
        return ""


def _event_day(events: ir.Table) -> ir.IntegerValue:
    """The Tokyo day of each event's ``timestamp``, from the instant alone: never through
    the backend's session time zone. On DuckDB and Spark through their own
    epoch-microseconds function; elsewhere through Ibis' ``epoch_seconds``, which is
    exact where timestamps are instants (TIMESTAMP in Spark, for example)."""
    timestamp = events.timestamp
    backend = _backend_name(events)
    if backend == "duckdb":
        micros = _DUCKDB_EPOCH_US(timestamp)
    elif backend == "pyspark":
        micros = _SPARK_UNIX_MICROS(timestamp)
    else:
        micros = timestamp.epoch_seconds().cast("int64") * 1_000_000
    return ((micros + TOKYO_OFFSET_SECONDS * 1_000_000) // DAY_MICROS).cast("int64")


def _date_of(day: ir.IntegerValue) -> ir.DateValue:
    # DuckDB's DATE + INTERVAL is a TIMESTAMP (naive, so the cast back is exact).
    return (ibis.date(EPOCH.year, EPOCH.month, EPOCH.day) + day.as_interval("D")).cast("date")


def _day_of(date: ir.DateValue) -> ir.IntegerValue:
    return date.delta(ibis.date(EPOCH.year, EPOCH.month, EPOCH.day), unit="day").cast("int64")


def qualifying(events: ir.Table) -> ir.Table:
    """Qualifying events with their Tokyo ``day`` and ``action`` (the track ``event``, or
    the page/screen ``name``: what a feature's event names are matched against)."""
    q = events.filter(events.type.isin(QUALIFYING_TYPES), events.user_id.notnull())
    return q.select(
        "group_id",
        "user_id",
        day=_event_day(q),
        action=ibis.ifelse(q.type == "track", q.event, q.name),
    )


def _member(unit: Unit) -> str:
    if unit not in ("user", "account"):
        raise ValueError(f"unit must be 'user' or 'account', not {unit!r}")
    return "user_id" if unit == "user" else "group_id"


def _features_table(features: Sequence[FeatureSpec]) -> tuple[ir.Table, ir.Table]:
    """(slugs, slug ↔ event name pairs) as in-memory tables."""
    slugs = [slug for slug, _names in features]
    if len(set(slugs)) != len(slugs):
        raise ValueError("feature slugs must be distinct")
    pairs = sorted({(slug, name) for slug, names in features for name in names})
    slug_table = ibis.memtable({"feature": slugs}, schema={"feature": "string"})
    pair_table = ibis.memtable(
        {"feature": [p[0] for p in pairs], "action": [p[1] for p in pairs]},
        schema={"feature": "string", "action": "string"},
    )
    return slug_table, pair_table


def _feature_days(q: ir.Table, features: Sequence[FeatureSpec]) -> tuple[ir.Table, ir.Table]:
    """(slugs, qualifying events of each feature with its ``feature`` slug)."""
    slug_table, pairs = _features_table(features)
    used = q.join(pairs, q.action == pairs.action).select("group_id", "user_id", "day", "feature")
    return slug_table, used


def _coverage(
    member_days: ir.Table, keys: Sequence[str], member: str, windows: Mapping[str, int]
) -> ir.Table:
    """Per (keys, day), one column per window name: a delta whose running sum over days
    is, at each day X, the number of members with a day in [X − w, X).

    A member active on day d counts for X in [d + 1, d + w], but only up to its next
    active day: from there on the next day covers it. These intervals never overlap, so
    +1 at their start and −1 after their end add up to distinct members.
    """
    order = ibis.window(group_by=[*keys, member], order_by=member_days.day)
    seg = member_days.mutate(nxt=member_days.day.lead().over(order))
    one, none = ibis.literal(1, "int64"), ibis.literal(0, "int64")
    parts = [seg.select(*keys, day=(seg.day + 1).cast("int64"), **dict.fromkeys(windows, one))]
    for name, w in windows.items():
        stop = ibis.least(seg.day + w, seg.nxt.fill_null(seg.day + w)) + 1
        deltas = {other: (-one if other == name else none) for other in windows}
        parts.append(seg.select(*keys, day=stop.cast("int64"), **deltas))
    both = ibis.union(*parts)
    return both.group_by([*keys, "day"]).agg(**{name: both[name].sum() for name in windows})


def _validate_window(window_days: int) -> None:
    if not isinstance(window_days, int) or window_days < 1:
        raise ValueError(f"window_days must be a positive integer, not {window_days!r}")


# --- Per account at any number of dates (health score, churn model) --------------------


def account_usage(events: ir.Table, points: ir.Table, window_days: int = 28) -> ir.Table:
    """Usage of each account in the ``window_days`` before each of its dates.

    ``points`` has ``group_id`` (the account's external id) and ``as_of`` (a date); the
    window is [as_of − window_days, as_of), so the date itself is not included (a
    snapshot taken at the start of ``as_of``). One row per point with:

    - ``active_users``: distinct users with a qualifying event in the window;
    - ``mean_dau``: mean over the window's calendar days (days without use count as 0)
      of the distinct users that day;
    - ``stickiness``: mean_dau / active_users — METRICS.md's "mean DAU over the period /
      MAU" with the window as the period; null when nobody was active;
    - ``events`` and ``events_prev``: qualifying events in the window and in the window
      before it, [as_of − 2·window_days, as_of − window_days);
    - ``last_event_day``: the last day with a qualifying event before ``as_of`` (null
      if none).

    Any number of points is one query: the points are rows of the same day-ordered
    window as the per-day activity (see the module docstring).
    """
    _validate_window(window_days)
    w = window_days
    q = qualifying(events)
    q = q.filter(q.group_id.notnull())
    user_days = q.group_by(["group_id", "user_id", "day"]).agg(n=q.count())
    daily = user_days.group_by(["group_id", "day"]).agg(
        dau=user_days.count(), events=user_days.n.sum()
    )
    coverage = _coverage(user_days, ["group_id"], "user_id", {"delta": w})
    pts = points.filter(points.group_id.notnull())
    pts = pts.select(group_id=pts.group_id.cast("string"), as_of=pts.as_of.cast("date"))

    zero = ibis.literal(0, "int64")
    no_date = ibis.null("date")
    rows = ibis.union(
        daily.select("group_id", "day", "dau", "events", delta=zero, point=False, as_of=no_date),
        coverage.select(
            "group_id", "day", dau=zero, events=zero, delta="delta", point=False, as_of=no_date
        ),
        pts.select(
            "group_id",
            day=_day_of(pts.as_of),
            dau=zero,
            events=zero,
            delta=zero,
            point=True,
            as_of="as_of",
        ),
    )
    frame = {"group_by": rows.group_id, "order_by": rows.day}
    current = ibis.window(**frame, range=(-w, -1))
    previous = ibis.window(**frame, range=(-2 * w, -w - 1))
    up_to = ibis.window(**frame, range=(None, 0))
    before = ibis.window(**frame, range=(None, -1))
    active = rows.delta.sum().over(up_to).fill_null(0)
    dau_sum = rows.dau.sum().over(current).fill_null(0)
    last = ibis.ifelse(rows.dau > 0, rows.day, ibis.null("int64")).max().over(before)
    evaluated = rows.mutate(
        active_users=active.cast("int64"),
        mean_dau=(dau_sum / w).cast("float64"),
        events_in=rows.events.sum().over(current).fill_null(0).cast("int64"),
        events_prev=rows.events.sum().over(previous).fill_null(0).cast("int64"),
        last_day=last,
    )
    result = evaluated.filter(evaluated.point)
    return result.select(
        "group_id",
        "as_of",
        "active_users",
        "mean_dau",
        stickiness=ibis.ifelse(
            result.active_users > 0,
            result.mean_dau / result.active_users,
            ibis.null("float64"),
        ),
        events=result.events_in,
        events_prev="events_prev",
        last_event_day=_date_of(result.last_day),
    )


def account_feature_usage(
    events: ir.Table,
    points: ir.Table,
    features: Sequence[FeatureSpec],
    window_days: int = 28,
) -> ir.Table:
    """Use of each feature by each account in the ``window_days`` before each date.

    ``points`` as for :func:`account_usage`; ``features`` is a sequence of (slug, event
    names). A user uses a feature with a qualifying event whose track ``event`` (or
    page/screen ``name``) is one of the feature's event names. One row per (point,
    feature): ``group_id``, ``as_of``, ``feature`` (slug), ``users`` (distinct users of
    the feature in [as_of − window_days, as_of)), ``users_prev`` (in the window before
    that) and ``last_used`` (the last day the account used it before ``as_of``, at any
    time; null if never).
    """
    _validate_window(window_days)
    w = window_days
    q = qualifying(events)
    q = q.filter(q.group_id.notnull())
    slugs, used = _feature_days(q, features)
    keys = ["group_id", "feature"]
    member_days = used.group_by([*keys, "user_id", "day"]).agg()
    used_days = member_days.group_by([*keys, "day"]).agg()
    coverage = _coverage(member_days, keys, "user_id", {"delta": w})
    pts = points.filter(points.group_id.notnull())
    pts = pts.select(group_id=pts.group_id.cast("string"), as_of=pts.as_of.cast("date"))
    pts = pts.cross_join(slugs)

    zero = ibis.literal(0, "int64")
    no_date = ibis.null("date")
    rows = ibis.union(
        used_days.select(*keys, "day", used=True, delta=zero, point=False, as_of=no_date),
        coverage.select(*keys, "day", used=False, delta="delta", point=False, as_of=no_date),
        pts.select(
            *keys, day=_day_of(pts.as_of), used=False, delta=zero, point=True, as_of="as_of"
        ),
    )
    frame = {"group_by": [rows.group_id, rows.feature], "order_by": rows.day}
    up_to = ibis.window(**frame, range=(None, 0))
    up_to_prev = ibis.window(**frame, range=(None, -w))
    before = ibis.window(**frame, range=(None, -1))
    evaluated = rows.mutate(
        users=rows.delta.sum().over(up_to).fill_null(0).cast("int64"),
        users_prev=rows.delta.sum().over(up_to_prev).fill_null(0).cast("int64"),
        last_day=ibis.ifelse(rows.used, rows.day, ibis.null("int64")).max().over(before),
    )
    result = evaluated.filter(evaluated.point)
    return result.select(
        "group_id",
        "as_of",
        "feature",
        "users",
        "users_prev",
        last_used=_date_of(result.last_day),
    )


# --- Period metrics -----------------------------------------------------------------------


def _check_period(start: dt.date, end: dt.date) -> None:
    if end <= start:
        raise ValueError(f"the period end {end} must be after its start {start}")


def _member_days(events: ir.Table, unit: Unit, per_account: bool) -> tuple[ir.Table, list[str]]:
    """Distinct (keys, member, day) of qualifying events, and the keys.

    Counting users overall takes every qualifying event (an account is not needed);
    counting accounts, or anything per account, takes the events that name one.
    """
    member = _member(unit)
    q = qualifying(events)
    keys = ["group_id"] if per_account and member != "group_id" else []
    if unit == "account" or per_account:
        q = q.filter(q.group_id.notnull())
    return q.select(*keys, member, "day").distinct(), keys


def active_series(
    events: ir.Table,
    start: dt.date,
    end: dt.date,
    *,
    unit: Unit = "user",
    per_account: bool = False,
    mau_days: int = 28,
) -> ir.Table:
    """DAU, WAU and MAU for every day D of [start, end), days without use included.

    METRICS.md: "DAU, WAU, MAU: distinct users with a qualifying event in the day /
    trailing 7 / 28 or 30 days (say which)". Kizuna's choice: trailing windows end on D
    and include it — WAU counts [D − 6, D], MAU the **trailing 28 days** [D − 27, D]
    (``mau_days=30`` for the other convention).

    ``unit="account"`` counts accounts (an account is active when one of its users is)
    instead of users. ``per_account=True`` gives the user counts of every account with
    activity in the trailing windows of the period (a ``group_id`` column).
    Columns: [group_id,] day, dau, wau, mau.
    """
    _check_period(start, end)
    _validate_window(mau_days)
    windows = {"dau": 1, "wau": 7, "mau": mau_days}
    member_days, keys = _member_days(events, unit, per_account)
    member = _member(unit)
    first, last = day_number(start), day_number(end)  # the days asked about: [first, last)
    reach = first - max(windows.values()) + 1
    member_days = member_days.filter(member_days.day >= reach, member_days.day < last)
    coverage = _coverage(member_days, keys, member, windows)
    calendar = ibis.memtable(
        {"day": list(range(first + 1, last + 1))}, schema={"day": "int64"}
    )  # a window [X − w, X) ending at X = D + 1 is the trailing window ending on D
    if keys:
        accounts = member_days.select(*keys).distinct()
        calendar = accounts.cross_join(calendar)
    zero = ibis.literal(0, "int64")
    rows = ibis.union(
        coverage.mutate(point=False),
        calendar.mutate(**dict.fromkeys(windows, zero), point=True),
    )
    up_to = ibis.window(group_by=[rows[k] for k in keys], order_by=rows.day, range=(None, 0))
    evaluated = rows.mutate(
        **{name: rows[name].sum().over(up_to).fill_null(0).cast("int64") for name in windows}
    )
    result = evaluated.filter(evaluated.point)
    return result.select(*keys, day=_date_of(result.day - 1), **{n: result[n] for n in windows})


def stickiness(
    events: ir.Table,
    start: dt.date,
    end: dt.date,
    *,
    unit: Unit = "user",
    per_account: bool = False,
) -> ir.Table:
    """Stickiness over [start, end): mean DAU over the period / active users in it.

    METRICS.md: "Stickiness = mean DAU over the period / MAU. Per account too." Kizuna
    reads it for any period: ``mean_dau`` is the mean over the period's calendar days
    (days without use count as 0) of the distinct users active each day, and ``active``
    the distinct users active in the whole period — for a 28-day period exactly
    DAU/MAU with the trailing-28-day MAU. ``stickiness`` is null when nobody was
    active. One row overall, or one per account with activity (``per_account``);
    ``unit="account"`` counts accounts instead of users.
    """
    _check_period(start, end)
    member_days, keys = _member_days(events, unit, per_account)
    member = _member(unit)
    days = day_number(end) - day_number(start)
    inside = member_days.filter(
        member_days.day >= day_number(start), member_days.day < day_number(end)
    )
    grouped = inside.group_by(keys) if keys else inside
    totals = grouped.agg(member_days=inside.count(), active=inside[member].nunique())
    return totals.select(
        *keys,
        mean_dau=(totals.member_days / days).cast("float64"),
        active=totals.active.cast("int64"),
        stickiness=ibis.ifelse(
            totals.active > 0, totals.member_days / days / totals.active, ibis.null("float64")
        ),
    )


def feature_adoption(
    events: ir.Table,
    features: Sequence[FeatureSpec],
    start: dt.date,
    end: dt.date,
    *,
    unit: Unit = "user",
) -> ir.Table:
    """Adoption of each feature over [start, end).

    METRICS.md: "Feature adoption: users (or accounts) who used the feature in the
    period / active users (accounts) in the period." Using a feature is a qualifying
    event whose track ``event`` (or page/screen ``name``) is one of its event names;
    active means any qualifying event. One row per feature: ``feature``, ``adopters``,
    ``active``, ``adoption`` (null when nobody was active).
    """
    _check_period(start, end)
    member = _member(unit)
    q = qualifying(events)
    if unit == "account":
        q = q.filter(q.group_id.notnull())
    q = q.filter(q.day >= day_number(start), q.day < day_number(end))
    slugs, used = _feature_days(q, features)
    adopters = used.group_by("feature").agg(adopters=used[member].nunique())
    active = q.agg(active=q[member].nunique())
    joined = slugs.left_join(adopters, slugs.feature == adopters.feature).cross_join(active)
    adopted = joined.adopters.fill_null(0).cast("int64")
    return joined.select(
        feature=joined.feature,
        adopters=adopted,
        active=joined.active.cast("int64"),
        adoption=ibis.ifelse(joined.active > 0, adopted / joined.active, ibis.null("float64")),
    )


def _period_index(day: ir.IntegerValue, unit: PeriodUnit) -> ir.IntegerValue:
    """Weeks run Monday to Sunday (ISO; 1970-01-01 was a Thursday); months are calendar
    months (year × 12 + month − 1)."""
    if unit == "week":
        return ((day + 3) // 7).cast("int64")
    if unit == "month":
        date = _date_of(day)
        return (date.year() * 12 + date.month() - 1).cast("int64")
    raise ValueError(f"unit must be 'week' or 'month', not {unit!r}")


def _period_start(index: ir.IntegerValue, unit: PeriodUnit) -> ir.DateValue:
    if unit == "week":
        return _date_of(index * 7 - 3)
    return ibis.date(index // 12, index % 12 + 1, 1)


def retention_cohorts(
    events: ir.Table,
    *,
    period: PeriodUnit = "week",
    unit: Unit = "user",
    mode: RetentionMode = "on",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ir.Table:
    """Retention by cohort: the share of a cohort active in period N after its own.

    METRICS.md: "Retention cohorts: share of a signup-week (or month) cohort active in
    week N." The cohort of a user (``unit="account"``: an account) is the week (Monday
    to Sunday) or calendar month of its first qualifying event in ``events``. Mode
    ``"on"`` counts members active in period N exactly; ``"on_or_after"`` counts those
    active in period N or any later one (unbounded retention). Period 0 is always 100 %.

    ``start``/``end`` keep the cohorts whose period begins in [start, end) and ignore
    activity from ``end`` on; the last period observed may be partial. One row per
    cohort and N from 0 to the last period observed: ``cohort`` (first day of its
    period), ``period`` (N), ``cohort_size``, ``retained``, ``retention``.
    """
    if mode not in ("on", "on_or_after"):
        raise ValueError(f"mode must be 'on' or 'on_or_after', not {mode!r}")
    member = _member(unit)
    q = qualifying(events)
    if unit == "account":
        q = q.filter(q.group_id.notnull())
    if end is not None:
        q = q.filter(q.day < day_number(end))
    active = q.select(member, p=_period_index(q.day, period)).distinct()
    spans = active.group_by(member).agg(first=active.p.min(), last=active.p.max())
    if start is not None:
        spans = spans.filter(_period_start(spans.first, period) >= start)
    if end is not None:
        spans = spans.filter(_period_start(spans.first, period) < end)
    horizon = active.agg(latest=active.p.max())
    cohorts = spans.group_by("first").agg(cohort_size=spans.count()).cross_join(horizon)
    grid = cohorts.select(
        "first", "cohort_size", n=ibis.range(0, cohorts.latest - cohorts.first + 1).unnest()
    )
    grid = grid.mutate(n=grid.n.cast("int64"))
    if mode == "on":
        joined = active.join(spans, member)
        counts = joined.group_by(first=joined.first, n=(joined.p - joined.first).cast("int64")).agg(
            retained=joined.count()
        )
        merged = grid.left_join(counts, ["first", "n"])
        retained = merged.retained.fill_null(0)
    else:
        ends = spans.group_by(first=spans.first, n=(spans["last"] - spans.first).cast("int64")).agg(
            ending=spans.count()
        )
        merged = grid.left_join(ends, ["first", "n"])
        later = ibis.window(group_by=merged.first, order_by=merged.n, range=(0, None))
        retained = merged.ending.fill_null(0).sum().over(later)
    out = merged.select(
        cohort=_period_start(merged.first, period),
        period=merged.n,
        cohort_size=merged.cohort_size.cast("int64"),
        retained=retained.cast("int64"),
    )
    return out.mutate(retention=(out.retained / out.cohort_size).cast("float64"))


def activation(
    events: ir.Table,
    event_names: Sequence[str],
    start: dt.date,
    end: dt.date,
    *,
    within_days: int = 7,
) -> ir.Table:
    """Activation over [start, end): the share of new users who used an activation
    feature soon after they were first seen.

    Kizuna's definition (METRICS.md lists activation without one): a user is **new**
    in the period when its first qualifying event in ``events`` falls in [start, end),
    and **activated** when it sent one of ``event_names`` (the activation features'
    event names) on one of its first ``within_days`` days: the first-seen day is day
    1, so ``within_days=7`` means by the end of the sixth day after it. One row:
    ``new_users``, ``activated``, ``activation`` (null without new users).
    """
    _check_period(start, end)
    _validate_window(within_days)
    q = qualifying(events)
    firsts = q.group_by("user_id").agg(first=q.day.min())
    new = firsts.filter(firsts.first >= day_number(start), firsts.first < day_number(end))
    names = ibis.memtable({"action": sorted(set(event_names))}, schema={"action": "string"})
    hits = q.join(names, q.action == names.action).select("user_id", "day")
    early = new.join(hits, "user_id")
    early = early.filter(early.day < early.first + within_days)
    activated_users = early.select("user_id").distinct()
    activated = activated_users.agg(activated=activated_users.count())
    summary = new.agg(new_users=new.count()).cross_join(activated)
    return summary.select(
        new_users=summary.new_users.cast("int64"),
        activated=summary.activated.cast("int64"),
        activation=ibis.ifelse(
            summary.new_users > 0, summary.activated / summary.new_users, ibis.null("float64")
        ),
    )


def activity_churn(
    events: ir.Table, start: dt.date, end: dt.date, *, inactive_days: int = 30
) -> ir.Table:
    """Activity churn over [start, end).

    METRICS.md: "Activity churn: accounts with an event in the inactivity window before
    start and none in the window before end / the former." With N = ``inactive_days``
    the windows are [start − N, start) and [end − N, end); an event is a qualifying
    event naming the account. One row: ``active_before_start``, ``churned``, ``churn``
    (null when no account was active before the start).
    """
    _check_period(start, end)
    _validate_window(inactive_days)
    q = qualifying(events)
    q = q.filter(q.group_id.notnull())
    s, e, n = day_number(start), day_number(end), inactive_days
    before_start = (q.day >= s - n) & (q.day < s)
    before_end = (q.day >= e - n) & (q.day < e)
    accounts = (
        q.filter(before_start | before_end)
        .group_by("group_id")
        .agg(at_start=before_start.any(), at_end=before_end.any())
    )
    totals = accounts.agg(
        active_before_start=accounts.at_start.sum(),
        churned=(accounts.at_start & ~accounts.at_end).sum(),
    )
    active = totals.active_before_start.fill_null(0).cast("int64")
    churned = totals.churned.fill_null(0).cast("int64")
    return totals.select(
        active_before_start=active,
        churned=churned,
        churn=ibis.ifelse(active > 0, churned / active, ibis.null("float64")),
    )


# --- The configured event store -----------------------------------------------------------


@contextlib.contextmanager
def events_on_store(timeout: float = 30.0) -> Iterator[ir.Table]:
    """The ``events`` table of the configured DuckDB event store as an Ibis table.

    Holds the store's shared (reader) lock while the block runs, so run the queries
    inside it and keep the block short: the drain cannot write meanwhile. Raises
    :class:`kizuna.usage.store.StoreBusy` when the store stays locked beyond
    ``timeout`` seconds.
    """
    with store.connect(read_only=True, timeout=timeout) as con:
        backend = ibis.duckdb.from_connection(con)
        yield backend.table("events")


# --- What `kizuna metrics` runs --------------------------------------------------------------

STORE_TIMEOUT = 10.0
"""Seconds the command waits for a busy event store (the drain holds it while writing)."""


@dataclass(frozen=True)
class UsageRatio:
    """A usage metric over [start, end) in the registry's shape: ``value`` = numerator /
    denominator, None when the denominator is 0 (undefined, not 0 %)."""

    metric: str
    start: dt.date
    end: dt.date
    numerator: int | float
    denominator: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@contextlib.contextmanager
def _store_for_command() -> Iterator[ir.Table]:
    """:func:`events_on_store`, with a store that cannot be opened turned into a clear,
    translated CommandError (errors of the queries themselves are not disguised)."""
    with contextlib.ExitStack() as stack:
        try:
            events = stack.enter_context(events_on_store(timeout=STORE_TIMEOUT))
        except store.StoreBusy:
            raise CommandError(
                _(
                    "The event store is busy: another process (usually the event drain) "
                    "has been writing to it for more than %(seconds)d seconds. Try again "
                    "in a moment."
                )
                % {"seconds": STORE_TIMEOUT}
            ) from None
        except ImproperlyConfigured as error:
            raise CommandError(
                _("The event store is not configured correctly: %(error)s") % {"error": error}
            ) from None
        except (OSError, duckdb.Error) as error:
            raise CommandError(
                _("Cannot open the event store (KIZUNA_EVENTS_URL): %(error)s") % {"error": error}
            ) from None
        yield events


def _one_row(expr: ir.Table) -> dict[str, Any]:
    frame = expr.to_pandas()
    row: dict[str, Any] = frame.iloc[0].to_dict() if len(frame) else {}
    return row


def activity_churn_metric(start: dt.date, end: dt.date, inactive_days: int = 30) -> UsageRatio:
    """``kizuna metrics activity-churn [--inactive-days N]``: see :func:`activity_churn`."""
    with _store_for_command() as events:
        row = _one_row(activity_churn(events, start, end, inactive_days=inactive_days))
    return UsageRatio(
        "activity-churn",
        start,
        end,
        int(row["churned"]),
        int(row["active_before_start"]),
        {"inactive_days": inactive_days},
    )


def stickiness_metric(start: dt.date, end: dt.date, account: str | None = None) -> UsageRatio:
    """``kizuna metrics stickiness [--account EXTERNAL_ID]``: mean DAU over the period /
    distinct active users in it (see :func:`stickiness`), for all users or one account."""
    if account is not None:
        _check_account(account)
    with _store_for_command() as events:
        if account is not None:
            events = events.filter(events.group_id == account)
        row = _one_row(stickiness(events, start, end, per_account=account is not None))
    active = int(row.get("active", 0))
    mean_dau = float(row.get("mean_dau", 0.0))
    details: dict[str, Any] = {"days": (end - start).days, "mean_dau": mean_dau}
    if account is not None:
        details["account"] = account
    return UsageRatio("stickiness", start, end, mean_dau, active, details)


def adoption_metric(
    start: dt.date, end: dt.date, feature: str, by: Unit | None = None
) -> UsageRatio:
    """``kizuna metrics adoption --feature SLUG [--by account]``: see
    :func:`feature_adoption`."""
    from kizuna.usage.models import Feature

    found = Feature.objects.filter(slug=feature).first()
    if found is None:
        known = ", ".join(Feature.objects.order_by("slug").values_list("slug", flat=True))
        if not known:
            raise CommandError(
                _("Unknown feature “%(slug)s”: no features are defined yet. Define them in the UI.")
                % {"slug": feature}
            )
        raise CommandError(
            _("Unknown feature “%(slug)s”. Known features: %(slugs)s.")
            % {"slug": feature, "slugs": known}
        )
    unit: Unit = by or "user"
    with _store_for_command() as events:
        row = _one_row(
            feature_adoption(events, [(found.slug, list(found.event_names))], start, end, unit=unit)
        )
    return UsageRatio(
        "adoption",
        start,
        end,
        int(row["adopters"]),
        int(row["active"]),
        {"feature": found.slug, "by": unit, "event_names": ", ".join(found.event_names)},
    )


def _check_account(external_id: str) -> None:
    from kizuna.customers.models import Account

    if not Account.objects.filter(external_id=external_id).exists():
        raise CommandError(
            _("Unknown account “%(account)s”: no account has this external ID.")
            % {"account": external_id}
        )
