"""Product-usage events for the demo customers, written straight into the event store.

The customer demo (``kizuna.customers.demo``) decides *who* uses the product and *what*
each account may use on each day (a :class:`UsagePlan`: users with their account, join
and leave days and habits; per account and day an activity factor and which features are
in use). This module turns that into Segment-shaped rows of the store's ``events`` table,
plus one ``identify`` and one ``group`` call per user (and the matching ``identities`` and
``group_memberships`` rows the drain would have written).

Everything is whole-array work (numpy, then Arrow, then one ``INSERT … SELECT`` per month
of events): a user is active on a day with probability ``habit × calendar × account
factor``; an active user-day carries one event plus its share of the remaining events
(drawn in proportion to the user's intensity, so the total is exactly what was asked);
each event's name is drawn from the features the user likes among those the account uses
that day. The calendar is a Japanese office's: weekends and public holidays are quiet,
年末年始 (29 Dec–3 Jan) almost silent, お盆 half, March (fiscal year end) busier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import Q

from kizuna.usage.models import Feature

MESSAGE_PREFIX = "demo-"
"""Every demo event's ``messageId`` starts with this (the demo source's own namespace)."""

DEFAULT_EVENTS_PER_ACTIVE_DAY = 4.0
"""Mean events per active user-day when no total is asked for (~2.4M for 5,000 users)."""

CHUNK_EVENTS = 500_000
"""Events generated and inserted at a time: bounds memory (≈ 0.5 GB) at any total."""

JST_OFFSET_SECONDS = 9 * 3600


@dataclass(frozen=True)
class EventKind:
    """One event name: a ``track`` call's ``event`` or a ``page`` call's ``name``."""

    type: str  # "track" or "page"
    name: str
    weight: float  # how often a user who uses the feature sends it, relative to others


@dataclass(frozen=True)
class DemoFeature:
    slug: str
    name: str
    description: str
    is_key: bool
    account_share: float  # accounts that take the feature up
    user_share: float  # users (of such accounts) who use it
    kinds: tuple[EventKind, ...]

    @property
    def event_names(self) -> list[str]:
        return [kind.name for kind in self.kinds]


FEATURES: tuple[DemoFeature, ...] = (
    DemoFeature(
        "reports",
        "レポート作成",
        "レポートの作成・閲覧・エクスポート。",
        True,
        0.85,
        0.55,
        (
            EventKind("page", "Reports", 1.0),
            EventKind("track", "Report Created", 0.8),
            EventKind("track", "Report Exported", 0.4),
        ),
    ),
    DemoFeature(
        "dashboards",
        "ダッシュボード閲覧",
        "ダッシュボードの閲覧と絞り込み。",
        True,
        0.98,
        0.85,
        (EventKind("page", "Dashboard", 2.0), EventKind("track", "Dashboard Filtered", 0.6)),
    ),
    DemoFeature(
        "workflows",
        "ワークフロー自動化",
        "承認や通知のワークフローの作成と実行。",
        True,
        0.55,
        0.35,
        (EventKind("track", "Workflow Created", 0.3), EventKind("track", "Workflow Run", 1.0)),
    ),
    DemoFeature(
        "integrations",
        "データ連携",
        "外部サービスとの連携と同期。",
        False,
        0.45,
        0.25,
        (
            EventKind("track", "Integration Connected", 0.05),
            EventKind("track", "Data Synced", 0.6),
        ),
    ),
    DemoFeature(
        "imports",
        "一括インポート",
        "CSV・Excel からの一括取り込み。",
        False,
        0.35,
        0.2,
        (EventKind("track", "Bulk Import Completed", 0.15),),
    ),
    DemoFeature(
        "sharing",
        "共有",
        "レポートやダッシュボードの共有とコメント。",
        False,
        0.7,
        0.5,
        (EventKind("track", "Item Shared", 0.5), EventKind("track", "Comment Added", 0.7)),
    ),
)
FEATURE_SLUGS: tuple[str, ...] = tuple(f.slug for f in FEATURES)
KEY_FEATURES: tuple[str, ...] = tuple(f.slug for f in FEATURES if f.is_key)

# Events no feature claims: every active user sends them.
COMMON_KINDS: tuple[EventKind, ...] = (
    EventKind("page", "Home", 3.0),
    EventKind("track", "Signed In", 1.0),
    EventKind("track", "Search Performed", 0.8),
    EventKind("page", "Settings", 0.2),
)

# Share of a working day's events per hour (JST): 9–18 with a lunch dip.
HOUR_WEIGHTS = np.array(
    [
        0.1,
        0.05,
        0.05,
        0.05,
        0.05,
        0.1,
        0.2,
        0.5,
        2,
        6,
        9,
        9,
        4,
        8,
        9,
        9,
        8,
        6,
        3.5,
        2,
        1.2,
        0.8,
        0.5,
        0.3,
    ]
)


def ensure_features() -> int:
    """Create the demo's features (through ``kizuna.usage.features``, the one door)
    unless a feature with that slug or name exists already; returns how many were
    created."""
    from kizuna.usage import features

    created = 0
    for feature in FEATURES:
        if Feature.objects.filter(Q(slug=feature.slug) | Q(name=feature.name)).exists():
            continue
        features.create_feature(
            name=feature.name,
            slug=feature.slug,
            event_names=feature.event_names,
            description=feature.description,
            is_key=feature.is_key,
        )
        created += 1
    return created


# --- The calendar --------------------------------------------------------------------------


def _equinox(year: int, base: float) -> int:
    """Day of the month of the vernal (base 20.8431) or autumnal (23.2488) equinox,
    valid 1980–2099 (the formula the Japanese almanac tables follow)."""
    return int(base + 0.242194 * (year - 1980) - (year - 1980) // 4)


def _nth_monday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def japanese_holidays(year: int) -> set[dt.date]:
    """National holidays (国民の祝日) of ``year``, with substitute holidays (振替休日) and
    the day between two holidays (国民の休日), under the rules in force since 2020."""
    days = {
        dt.date(year, 1, 1),
        _nth_monday(year, 1, 2),
        dt.date(year, 2, 11),
        dt.date(year, 2, 23),
        dt.date(year, 3, _equinox(year, 20.8431)),
        dt.date(year, 4, 29),
        dt.date(year, 5, 3),
        dt.date(year, 5, 4),
        dt.date(year, 5, 5),
        _nth_monday(year, 7, 3),
        dt.date(year, 8, 11),
        _nth_monday(year, 9, 3),
        dt.date(year, 9, _equinox(year, 23.2488)),
        _nth_monday(year, 10, 2),
        dt.date(year, 11, 3),
        dt.date(year, 11, 23),
    }
    between = {
        day + dt.timedelta(days=1)
        for day in days
        if day + dt.timedelta(days=2) in days
        and day + dt.timedelta(days=1) not in days
        and (day + dt.timedelta(days=1)).weekday() != 6
    }
    days |= between
    substitutes = set()
    for day in sorted(days):
        if day.weekday() == 6:
            later = day + dt.timedelta(days=1)
            while later in days or later in substitutes:
                later += dt.timedelta(days=1)
            substitutes.add(later)
    return days | substitutes


def calendar_factors(start: dt.date, days: int) -> np.ndarray:
    """How busy a Japanese office is on each day relative to an ordinary weekday."""
    dates = [start + dt.timedelta(days=n) for n in range(days)]
    holidays: set[dt.date] = set()
    for year in {d.year for d in dates}:
        holidays |= japanese_holidays(year)
    season = {3: 1.1, 4: 1.05, 8: 0.9, 12: 0.95}
    factors = np.empty(days, dtype=np.float32)
    for n, day in enumerate(dates):
        factor = season.get(day.month, 1.0)
        if (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3):
            factor = 0.03
        elif day in holidays:
            factor = 0.08
        elif day.weekday() == 5:
            factor = 0.06
        elif day.weekday() == 6:
            factor = 0.04
        elif day.month == 8 and 13 <= day.day <= 16:
            factor *= 0.55
        factors[n] = factor
    return factors


# --- What to generate ----------------------------------------------------------------------


@dataclass
class UsagePlan:
    """Who uses the product, when, and how (days are indexes from ``start``).

    Accounts (``A``): ``account_ids`` (group ids), ``account_factor`` (A × days: activity
    multiplier, 0 where the account is not a customer), ``feature_on`` (A × features ×
    days: the account uses that feature on that day; features in ``FEATURES`` order).
    Users (``U``): ``user_ids``, ``user_account`` (index into accounts), ``user_join``
    and ``user_leave`` (active on join ≤ day < leave), ``user_habit`` (chance of using
    the product on an ordinary weekday), ``user_intensity`` (relative events per active
    day), ``user_affinity`` (U × features: how much the user uses each feature, 0 = never),
    ``user_names`` and ``user_emails`` (identify traits).
    """

    start: dt.date
    days: int
    account_ids: Sequence[str]
    account_names: Sequence[str]
    account_factor: np.ndarray
    feature_on: np.ndarray
    user_ids: Sequence[str]
    user_names: Sequence[str]
    user_emails: Sequence[str]
    user_account: np.ndarray
    user_join: np.ndarray
    user_leave: np.ndarray
    user_habit: np.ndarray
    user_intensity: np.ndarray
    user_affinity: np.ndarray


def _kinds() -> tuple[list[EventKind], np.ndarray]:
    """All event kinds and, for each, the index of its feature (-1 for common events)."""
    kinds: list[EventKind] = list(COMMON_KINDS)
    owner = [-1] * len(COMMON_KINDS)
    for index, feature in enumerate(FEATURES):
        kinds.extend(feature.kinds)
        owner.extend([index] * len(feature.kinds))
    return kinds, np.array(owner, dtype=np.int64)


def _spans(days: int, length: int) -> list[tuple[int, int]]:
    """[first, last) day indexes of consecutive spans of ``length`` days."""
    return [(first, min(days, first + length)) for first in range(0, days, length)]


def _probabilities(plan: UsagePlan, calendar: np.ndarray, first: int, last: int) -> np.ndarray:
    """Chance that each user is active on each day of [first, last) (users × days)."""
    span = np.arange(first, last)
    alive = (plan.user_join[:, None] <= span[None, :]) & (span[None, :] < plan.user_leave[:, None])
    p = (
        plan.user_habit[:, None]
        * calendar[None, first:last]
        * plan.account_factor[plan.user_account, first:last]
    )
    return np.clip(np.where(alive, p, 0.0), 0.0, 1.0).astype(np.float32)


def generate(plan: UsagePlan, events: int | None, seed: int) -> Iterator[pa.Table]:
    """The events, one Arrow table per span of days (columns: seq, type, event, name,
    user_id, group_id, ts, delay_us). ``events`` = exact total, or None for the default
    density (``DEFAULT_EVENTS_PER_ACTIVE_DAY``)."""
    calendar = calendar_factors(plan.start, plan.days)
    per_day = np.concatenate(
        [
            _probabilities(plan, calendar, a, b).sum(axis=0, dtype=np.float64)
            for a, b in _spans(plan.days, 31)
        ]
    )  # expected active users per day
    total = round(per_day.sum() * DEFAULT_EVENTS_PER_ACTIVE_DAY) if events is None else int(events)
    # Spans short enough to hold about CHUNK_EVENTS events each (at most a month).
    length = int(max(1, min(31, plan.days * CHUNK_EVENTS // max(total, 1))))
    spans = _spans(plan.days, length)
    expected = np.array([per_day[a:b].sum() for a, b in spans])
    shares = expected / expected.sum() if expected.sum() else np.zeros(len(spans))
    targets = np.floor(shares * total).astype(np.int64)
    targets[: total - int(targets.sum())] += 1  # exact total

    kinds, owner = _kinds()
    kind_weight = np.array([k.weight for k in kinds])
    is_page = np.array([k.type == "page" for k in kinds])
    names = np.array([k.name for k in kinds], dtype=object)
    type_dict = pa.array(np.where(is_page, "page", "track").tolist(), pa.string())
    event_dict = pa.array([None if p else n for n, p in zip(names, is_page, strict=True)])
    name_dict = pa.array([n if p else None for n, p in zip(names, is_page, strict=True)])
    user_dict = pa.array(list(plan.user_ids), pa.string())
    group_dict = pa.array(list(plan.account_ids), pa.string())
    # The user's weight for each kind, before the account's feature availability.
    common = owner < 0
    affinity = (
        np.where(common[None, :], 1.0, plan.user_affinity[:, np.maximum(owner, 0)])
        * kind_weight[None, :]
    ).astype(np.float32)
    hour_p = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
    start_seconds = (plan.start - dt.date(1970, 1, 1)).days * 86400 - JST_OFFSET_SECONDS
    seeds = np.random.SeedSequence(seed).spawn(len(spans))
    seq = 0
    for (first, last), target, child in zip(spans, targets, seeds, strict=True):
        rng = np.random.default_rng(child)
        p = _probabilities(plan, calendar, first, last)
        users, days = np.nonzero(rng.random(p.shape, dtype=np.float32) < p)
        days = days + first
        if target <= 0 or len(users) == 0:
            continue
        if len(users) > target:  # fewer events than active user-days: keep a sample
            keep = np.sort(rng.choice(len(users), size=int(target), replace=False))
            users, days = users[keep], days[keep]
        counts = np.ones(len(users), dtype=np.int64)
        extra = int(target) - len(users)
        if extra > 0:
            cumulative = np.cumsum(plan.user_intensity[users], dtype=np.float64)
            picks = np.searchsorted(cumulative, rng.random(extra) * cumulative[-1], side="right")
            counts += np.bincount(np.minimum(picks, len(users) - 1), minlength=len(users))
        ev_user = np.repeat(users, counts)
        ev_day = np.repeat(days, counts)
        ev_account = plan.user_account[ev_user]
        weights = affinity[ev_user].copy()
        featured = ~common
        available = plan.feature_on[ev_account[:, None], owner[featured][None, :], ev_day[:, None]]
        weights[:, featured] *= available
        cumulative = np.cumsum(weights, axis=1)
        draw = rng.random(len(ev_user)) * cumulative[:, -1]
        kind = (cumulative < draw[:, None]).sum(axis=1)
        seconds = rng.choice(24, size=len(ev_user), p=hour_p) * 3600 + rng.integers(
            0, 3600, size=len(ev_user)
        )
        ts = (start_seconds + ev_day.astype(np.int64) * 86400 + seconds) * 1_000_000
        ts += rng.integers(0, 1_000_000, size=len(ev_user))
        order = np.argsort(ts, kind="stable")
        kind, ev_user, ev_account, ts = kind[order], ev_user[order], ev_account[order], ts[order]
        n = len(ts)
        kind_idx = pa.array(kind)
        yield pa.table(
            {
                "seq": pa.array(np.arange(seq, seq + n, dtype=np.int64)),
                "type": pc.take(type_dict, kind_idx),
                "event": pc.take(event_dict, kind_idx),
                "name": pc.take(name_dict, kind_idx),
                "user_id": pc.take(user_dict, pa.array(ev_user)),
                "group_id": pc.take(group_dict, pa.array(ev_account)),
                "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
                "delay_us": pa.array(rng.integers(30_000, 2_000_000, size=n)),
            }
        )
        seq += n


_INSERT_EVENTS = f"""
INSERT INTO events
SELECT '{MESSAGE_PREFIX}' || seq::VARCHAR, $source_id, type, event, name, user_id, NULL,
       group_id, ts, ts, ts + to_microseconds(delay_us), NULL, NULL, NULL
FROM demo_chunk
"""  # noqa: S608 - a module constant, not input

_INSERT_CALLS = f"""
INSERT INTO events
SELECT '{MESSAGE_PREFIX}' || kind || '-' || user_id, $source_id, kind,
       NULL, NULL, user_id, NULL,
       CASE WHEN kind = 'group' THEN group_id END, ts, ts, ts + INTERVAL 1 SECOND, NULL,
       CASE WHEN kind = 'identify'
            THEN json_object('name', user_name, 'email', email)
            ELSE json_object('name', group_name) END,
       NULL
FROM demo_users, (VALUES ('identify'), ('group')) AS k(kind)
"""  # noqa: S608

_INSERT_IDENTITIES = """
INSERT INTO identities
SELECT user_id, json_object('name', user_name, 'email', email), ts, ts FROM demo_users
"""

_INSERT_MEMBERSHIPS = """
INSERT INTO group_memberships SELECT user_id, group_id, ts, ts FROM demo_users
"""


def _users_table(plan: UsagePlan) -> pa.Table:
    """One row per user who ever appears: the identify/group call on their first day
    (at 09:00 JST plus a few minutes)."""
    present = plan.user_join < plan.user_leave
    join = plan.user_join[present].astype(np.int64)
    start_seconds = (plan.start - dt.date(1970, 1, 1)).days * 86400 - JST_OFFSET_SECONDS
    ts = (start_seconds + join * 86400 + 9 * 3600 + (np.flatnonzero(present) % 1800)) * 1_000_000
    accounts = plan.user_account[present]
    pick = np.flatnonzero(present)
    return pa.table(
        {
            "user_id": pc.take(pa.array(list(plan.user_ids), pa.string()), pa.array(pick)),
            "user_name": pc.take(pa.array(list(plan.user_names), pa.string()), pa.array(pick)),
            "email": pc.take(pa.array(list(plan.user_emails), pa.string()), pa.array(pick)),
            "group_id": pc.take(pa.array(list(plan.account_ids), pa.string()), pa.array(accounts)),
            "group_name": pc.take(
                pa.array(list(plan.account_names), pa.string()), pa.array(accounts)
            ),
            "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
        }
    )


def has_demo_events(con: duckdb.DuckDBPyConnection, source_id: int) -> bool:
    """True when the demo's events are complete: the ``identify`` calls are written last,
    in one transaction with the identities and memberships."""
    row = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM events WHERE source_id = $1 AND type = 'identify'"
        " LIMIT 1)",
        [source_id],
    ).fetchone()
    return bool(row and row[0])


def write_events(
    con: duckdb.DuckDBPyConnection,
    plan: UsagePlan,
    source_id: int,
    *,
    events: int | None = None,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the plan's events, then its identify/group calls, identities and
    memberships; returns the number of usage events (calls not counted).

    Each span of events is its own transaction (one transaction for 20M rows would hold
    them all in memory until the commit); the calls, identities and memberships come
    last in one transaction and mark the set as complete (:func:`has_demo_events`), and
    leftovers of an interrupted run are removed first. ``progress`` gets the running
    count after each span."""
    con.execute("DELETE FROM events WHERE source_id = $1", [source_id])
    written = 0
    for chunk in generate(plan, events, seed):
        with _transaction(con):
            con.register("demo_chunk", chunk)
            con.execute(_INSERT_EVENTS, {"source_id": source_id})
            con.unregister("demo_chunk")
        written += chunk.num_rows
        if progress:
            progress(written)
    with _transaction(con):
        con.register("demo_users", _users_table(plan))
        con.execute(_INSERT_CALLS, {"source_id": source_id})
        con.execute(_INSERT_IDENTITIES)
        con.execute(_INSERT_MEMBERSHIPS)
        con.unregister("demo_users")
    return written


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):  # keep the original error
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
