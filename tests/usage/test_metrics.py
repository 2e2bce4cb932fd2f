"""Usage metrics (kizuna.usage.metrics) against independent pandas computations, on DuckDB
and — when pyspark is installed — on Spark.

The reference computations here take days from ``tz_convert("Asia/Tokyo")`` and count
with plain pandas per point, deliberately unlike the module's running-window method.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd
import pytest

from kizuna.usage import metrics

from .conftest import EVENT_SCHEMA, Backend

D = dt.date
TYPES = ["track", "page", "screen", "identify", "group"]
USERS = [f"u{i}" for i in range(24)]
ACCOUNTS = ["acme", "beta", "gamma", "delta"]
START = pd.Timestamp("2025-03-01", tz="Asia/Tokyo")


def random_events(seed: int = 7, n: int = 4000, days: int = 120) -> pd.DataFrame:
    """Events over ``days`` days from 2025-03-01 (Tokyo), with non-qualifying calls,
    anonymous events, events without an account and timestamps near midnight."""
    rng = np.random.default_rng(seed)
    user = rng.choice(np.array([*USERS, None], dtype=object), n)
    # Each user mostly belongs to one account, sometimes another (shared logins).
    home = {u: ACCOUNTS[i % len(ACCOUNTS)] for i, u in enumerate(USERS)}
    group = np.array([home.get(u) for u in user], dtype=object)
    stray = rng.random(n) < 0.1
    group[stray] = rng.choice(np.array([*ACCOUNTS, None], dtype=object), stray.sum())
    # Activity thins out over time so windows differ; some seconds sit next to midnight.
    offset_days = np.floor(rng.beta(1.2, 1.6, n) * days).astype(int)
    seconds = rng.choice(
        np.array([0, 1, 3600 * 9, 3600 * 15 - 1, 3600 * 15, 86_399]), n
    ) + rng.integers(0, 2, n)
    local = START + pd.to_timedelta(offset_days, unit="D") + pd.to_timedelta(seconds, unit="s")
    return pd.DataFrame(
        {
            "type": rng.choice(TYPES, n, p=[0.55, 0.2, 0.1, 0.1, 0.05]),
            "event": rng.choice(["Report Viewed", "Export", "Invite Sent", "Login"], n),
            "name": rng.choice(["Dashboard", "Settings", "Export"], n),
            "user_id": user,
            "anonymous_id": "anon",
            "group_id": group,
            "timestamp": local.tz_convert("UTC"),
        }
    )


def tokyo_qualifying(events: pd.DataFrame) -> pd.DataFrame:
    q = events[events["type"].isin(["track", "page", "screen"]) & events["user_id"].notna()]
    q = q.copy()
    q["day"] = q["timestamp"].dt.tz_convert("Asia/Tokyo").dt.date
    q["action"] = np.where(q["type"] == "track", q["event"], q["name"])
    return q


def as_date(value: object) -> dt.date | None:
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    assert isinstance(value, dt.date)
    return value


@pytest.fixture(scope="module")
def events_frame() -> pd.DataFrame:
    return random_events()


def make_points() -> pd.DataFrame:
    """Every account (and one without events) at dates before, during and after the
    events, one date twice."""
    dates = [D(2025, 2, 20), D(2025, 3, 1), D(2025, 3, 2), D(2025, 3, 29), D(2025, 4, 15)]
    dates += [D(2025, 5, 31), D(2025, 6, 28), D(2025, 7, 20), D(2025, 9, 30)]
    rows = [(g, d) for g in [*ACCOUNTS, "nobody"] for d in dates] + [("acme", D(2025, 4, 15))]
    return pd.DataFrame(rows, columns=["group_id", "as_of"])


POINT_SCHEMA = {"group_id": "string", "as_of": "date"}


def sort(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    return frame.sort_values(list(keys)).reset_index(drop=True)


# --- account_usage / account_feature_usage -----------------------------------------------


def expected_account_usage(events: pd.DataFrame, points: pd.DataFrame, w: int) -> pd.DataFrame:
    q = tokyo_qualifying(events)
    q = q[q["group_id"].notna()]
    rows = []
    for group_id, as_of in points.itertuples(index=False):
        mine = q[q["group_id"] == group_id]
        window = mine[(mine["day"] >= as_of - dt.timedelta(w)) & (mine["day"] < as_of)]
        prev = mine[
            (mine["day"] >= as_of - dt.timedelta(2 * w)) & (mine["day"] < as_of - dt.timedelta(w))
        ]
        active = window["user_id"].nunique()
        mean_dau = window.groupby("day")["user_id"].nunique().sum() / w
        earlier = mine[mine["day"] < as_of]["day"]
        rows.append(
            {
                "group_id": group_id,
                "as_of": as_of,
                "active_users": active,
                "mean_dau": mean_dau,
                "stickiness": mean_dau / active if active else None,
                "events": len(window),
                "events_prev": len(prev),
                "last_event_day": earlier.max() if len(earlier) else None,
            }
        )
    return pd.DataFrame(rows)


def normalise(frame: pd.DataFrame, date_columns: Sequence[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in date_columns:
        frame[column] = [as_date(v) for v in frame[column]]
    return frame


@pytest.mark.parametrize("window", [28, 7])
def test_account_usage_matches_pandas(
    backend: Backend, events_frame: pd.DataFrame, window: int
) -> None:
    points = make_points()
    expr = metrics.account_usage(
        backend.table(events_frame, EVENT_SCHEMA), backend.table(points, POINT_SCHEMA), window
    )
    got = normalise(backend.run(expr), ["as_of", "last_event_day"])
    want = expected_account_usage(events_frame, points, window)
    keys = ["group_id", "as_of", "events"]
    got, want = sort(got, keys), sort(want, keys)
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(points)
    for column in ["group_id", "as_of", "active_users", "events", "events_prev"]:
        assert got[column].tolist() == want[column].tolist(), column
    assert got["last_event_day"].tolist() == want["last_event_day"].tolist()
    np.testing.assert_allclose(got["mean_dau"], want["mean_dau"].astype(float))
    np.testing.assert_allclose(
        got["stickiness"].astype(float), want["stickiness"].astype(float), equal_nan=True
    )
    assert want["active_users"].max() > 5  # the data exercises the windows


def test_account_usage_window_edges(backend: Backend) -> None:
    """By hand: window [as_of − 2, as_of). A Tokyo day runs from 15:00 UTC the day before."""
    utc = pd.Timestamp
    events = pd.DataFrame(
        {
            "type": ["track", "page", "track", "track", "identify", "track", "track"],
            "event": ["x", None, "x", "x", None, "x", "x"],
            "name": [None, "Home", None, None, None, None, None],
            "user_id": ["a", "b", "a", None, "c", "c", "d"],
            "anonymous_id": ["1"] * 7,
            "group_id": ["g"] * 7,
            "timestamp": [
                utc("2025-01-07 15:00:00", tz="UTC"),  # 01-08 00:00 JST: in
                utc("2025-01-08 14:59:59", tz="UTC"),  # 01-08 23:59:59 JST: in
                utc("2025-01-09 03:00:00", tz="UTC"),  # 01-09 JST: in
                utc("2025-01-09 03:00:00", tz="UTC"),  # no user: not qualifying
                utc("2025-01-09 03:00:00", tz="UTC"),  # identify: not qualifying
                utc("2025-01-09 15:00:00", tz="UTC"),  # 01-10 JST = as_of: excluded
                utc("2025-01-07 14:59:59", tz="UTC"),  # 01-07 JST: previous window
            ],
        }
    )
    points = pd.DataFrame({"group_id": ["g"], "as_of": [D(2025, 1, 10)]})
    got = backend.run(
        metrics.account_usage(
            backend.table(events, EVENT_SCHEMA), backend.table(points, POINT_SCHEMA), 2
        )
    ).iloc[0]
    # Day 01-08: a, b (2 users); day 01-09: a (1 user); distinct users a, b.
    assert got["active_users"] == 2
    assert got["mean_dau"] == pytest.approx(1.5)
    assert got["stickiness"] == pytest.approx(0.75)
    assert got["events"] == 3
    assert got["events_prev"] == 1
    assert as_date(got["last_event_day"]) == D(2025, 1, 9)


FEATURES = [
    ("reports", ["Report Viewed", "Dashboard"]),
    ("export", ["Export"]),  # a track event and a page name at once
    ("unused", ["Never Sent"]),
    ("empty", []),
]


def expected_feature_usage(
    events: pd.DataFrame, points: pd.DataFrame, features: Sequence[tuple[str, list[str]]], w: int
) -> pd.DataFrame:
    q = tokyo_qualifying(events)
    q = q[q["group_id"].notna()]
    rows = []
    for group_id, as_of in points.itertuples(index=False):
        for slug, names in features:
            used = q[(q["group_id"] == group_id) & q["action"].isin(names)]
            window = used[(used["day"] >= as_of - dt.timedelta(w)) & (used["day"] < as_of)]
            prev = used[
                (used["day"] >= as_of - dt.timedelta(2 * w))
                & (used["day"] < as_of - dt.timedelta(w))
            ]
            earlier = used[used["day"] < as_of]["day"]
            rows.append(
                {
                    "group_id": group_id,
                    "as_of": as_of,
                    "feature": slug,
                    "users": window["user_id"].nunique(),
                    "users_prev": prev["user_id"].nunique(),
                    "last_used": earlier.max() if len(earlier) else None,
                }
            )
    return pd.DataFrame(rows)


def test_account_feature_usage_matches_pandas(backend: Backend, events_frame: pd.DataFrame) -> None:
    points = make_points()
    expr = metrics.account_feature_usage(
        backend.table(events_frame, EVENT_SCHEMA),
        backend.table(points, POINT_SCHEMA),
        FEATURES,
        window_days=28,
    )
    got = normalise(backend.run(expr), ["as_of", "last_used"])
    want = expected_feature_usage(events_frame, points, FEATURES, 28)
    keys = ["group_id", "as_of", "feature", "users", "users_prev"]
    got, want = sort(got, keys), sort(want, keys)
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(points) * len(FEATURES)
    for column in want.columns:
        assert got[column].tolist() == want[column].tolist(), column
    assert want["users"].max() > 3


# --- Period metrics on a population that joins and leaves -------------------------------

ORIGIN = pd.Timestamp("2025-01-01", tz="Asia/Tokyo")  # a Wednesday
LIFE_ACCOUNTS = [f"acct-{i:02d}" for i in range(12)]


def lifecycle_events(seed: int = 11, users: int = 180, days: int = 200) -> pd.DataFrame:
    """Users who start on different days, are active on some days, and stop: so cohorts,
    activation and activity churn have something to find."""
    rng = np.random.default_rng(seed)
    joined = rng.integers(0, days - 20, users)
    stays = rng.geometric(1 / 60, users)
    account = rng.integers(0, len(LIFE_ACCOUNTS), users)
    user_idx, day = np.nonzero(
        (np.arange(days)[None, :] >= joined[:, None])
        & (np.arange(days)[None, :] < (joined + stays)[:, None])
        & (rng.random((users, days)) < 0.35)
    )
    # Always active on the first day, so the join day is the first-seen day.
    user_idx = np.concatenate([user_idx, np.arange(users)])
    day = np.concatenate([day, joined])
    per_day = rng.integers(1, 4, len(day))
    user_idx, day = np.repeat(user_idx, per_day), np.repeat(day, per_day)
    n = len(day)
    second = rng.integers(0, 86_400, n)
    group = np.array(LIFE_ACCOUNTS, dtype=object)[account[user_idx]]
    group[rng.random(n) < 0.05] = None
    kind = rng.choice(TYPES, n, p=[0.6, 0.2, 0.1, 0.05, 0.05])
    return pd.DataFrame(
        {
            "type": kind,
            "event": rng.choice(["Report Viewed", "Export", "Invite Sent", "Login"], n),
            "name": rng.choice(["Dashboard", "Settings", "Export"], n),
            "user_id": np.array([f"user-{i:03d}" for i in user_idx], dtype=object),
            "anonymous_id": "anon",
            "group_id": group,
            "timestamp": (
                ORIGIN + pd.to_timedelta(day, unit="D") + pd.to_timedelta(second, unit="s")
            ).tz_convert("UTC"),
        }
    )


@pytest.fixture(scope="module")
def life_frame() -> pd.DataFrame:
    return lifecycle_events()


@pytest.fixture
def life(backend: Backend, life_frame: pd.DataFrame) -> object:
    return backend.table(life_frame, EVENT_SCHEMA)


def day_range(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(i) for i in range((end - start).days)]


@pytest.mark.parametrize("per_account", [False, True])
def test_active_series_matches_pandas(
    backend: Backend, life: object, life_frame: pd.DataFrame, per_account: bool
) -> None:
    start, end = D(2025, 2, 10), D(2025, 3, 20)
    got = backend.run(metrics.active_series(life, start, end, per_account=per_account))
    got = normalise(got, ["day"])
    q = tokyo_qualifying(life_frame)
    if per_account:
        q = q[q["group_id"].notna()]
        reach = q[(q["day"] >= start - dt.timedelta(27)) & (q["day"] < end)]
        groups = sorted(reach["group_id"].unique())
    else:
        groups = [None]
    rows = []
    for group in groups:
        mine = q if group is None else q[q["group_id"] == group]
        for day in day_range(start, end):

            def users(days: int, mine: pd.DataFrame = mine, day: dt.date = day) -> int:
                lo = day - dt.timedelta(days - 1)
                return mine[(mine["day"] >= lo) & (mine["day"] <= day)]["user_id"].nunique()

            row = {"day": day, "dau": users(1), "wau": users(7), "mau": users(28)}
            if group is not None:
                row = {"group_id": group, **row}
            rows.append(row)
    want = pd.DataFrame(rows)
    keys = ["group_id", "day"] if per_account else ["day"]
    got, want = sort(got, keys), sort(want, keys)
    assert list(got.columns) == list(want.columns)
    for column in want.columns:
        assert got[column].tolist() == want[column].tolist(), column
    assert (want["mau"] > want["wau"]).any() and (want["wau"] > want["dau"]).any()


def test_active_series_counts_accounts(
    backend: Backend, life: object, life_frame: pd.DataFrame
) -> None:
    start, end = D(2025, 4, 1), D(2025, 4, 15)
    got = normalise(backend.run(metrics.active_series(life, start, end, unit="account")), ["day"])
    q = tokyo_qualifying(life_frame)
    q = q[q["group_id"].notna()]
    for row in sort(got, ["day"]).itertuples():
        window = q[(q["day"] > row.day - dt.timedelta(28)) & (q["day"] <= row.day)]
        assert row.mau == window["group_id"].nunique()
        assert row.dau == q[q["day"] == row.day]["group_id"].nunique()


PERIODS = [(D(2025, 2, 1), D(2025, 3, 1)), (D(2025, 1, 1), D(2025, 4, 1))]


def expected_stickiness(q: pd.DataFrame, start: dt.date, end: dt.date, member: str) -> tuple:
    inside = q[(q["day"] >= start) & (q["day"] < end)]
    days = (end - start).days
    mean_dau = inside.groupby("day")[member].nunique().sum() / days
    active = inside[member].nunique()
    return mean_dau, active, (mean_dau / active if active else None)


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_stickiness_matches_pandas(
    backend: Backend, life: object, life_frame: pd.DataFrame, start: dt.date, end: dt.date
) -> None:
    q = tokyo_qualifying(life_frame)
    overall = backend.run(metrics.stickiness(life, start, end)).iloc[0]
    mean_dau, active, value = expected_stickiness(q, start, end, "user_id")
    assert overall["active"] == active
    assert overall["mean_dau"] == pytest.approx(mean_dau)
    assert overall["stickiness"] == pytest.approx(value)

    per_account = sort(
        backend.run(metrics.stickiness(life, start, end, per_account=True)), ["group_id"]
    )
    with_account = q[q["group_id"].notna()]
    groups = sorted(
        with_account[(with_account["day"] >= start) & (with_account["day"] < end)][
            "group_id"
        ].unique()
    )
    assert per_account["group_id"].tolist() == groups
    for row in per_account.itertuples():
        mean_dau, active, value = expected_stickiness(
            with_account[with_account["group_id"] == row.group_id], start, end, "user_id"
        )
        assert (row.mean_dau, row.active) == (pytest.approx(mean_dau), active)
        assert row.stickiness == pytest.approx(value)

    accounts = backend.run(metrics.stickiness(life, start, end, unit="account")).iloc[0]
    mean_dau, active, value = expected_stickiness(with_account, start, end, "group_id")
    assert (accounts["mean_dau"], accounts["active"]) == (pytest.approx(mean_dau), active)


def test_stickiness_of_an_empty_period_is_undefined(backend: Backend, life: object) -> None:
    row = backend.run(metrics.stickiness(life, D(2030, 1, 1), D(2030, 2, 1))).iloc[0]
    assert row["active"] == 0 and row["mean_dau"] == 0
    assert row["stickiness"] is None or pd.isna(row["stickiness"])


ADOPTION_FEATURES = [
    ("reports", ["Report Viewed", "Dashboard"]),
    ("export", ["Export"]),
    ("invite", ["Invite Sent"]),
    ("nothing", ["Never Sent"]),
]


@pytest.mark.parametrize("unit", ["user", "account"])
def test_feature_adoption_matches_pandas(
    backend: Backend, life: object, life_frame: pd.DataFrame, unit: str
) -> None:
    start, end = D(2025, 3, 1), D(2025, 4, 1)
    got = sort(
        backend.run(metrics.feature_adoption(life, ADOPTION_FEATURES, start, end, unit=unit)),  # type: ignore[arg-type]
        ["feature"],
    )
    member = "user_id" if unit == "user" else "group_id"
    q = tokyo_qualifying(life_frame)
    q = q[(q["day"] >= start) & (q["day"] < end)]
    if unit == "account":
        q = q[q["group_id"].notna()]
    active = q[member].nunique()
    want = sorted(
        (slug, q[q["action"].isin(names)][member].nunique()) for slug, names in ADOPTION_FEATURES
    )
    assert got["feature"].tolist() == [slug for slug, _n in want]
    assert got["adopters"].tolist() == [n for _slug, n in want]
    assert got["active"].tolist() == [active] * len(want)
    np.testing.assert_allclose(got["adoption"], [n / active for _slug, n in want])
    if unit == "user":  # the data has partial adoption to find
        assert got["adoption"].between(0.01, 0.99).any()


def expected_cohorts(
    life_frame: pd.DataFrame, period: str, unit: str, mode: str, end: dt.date | None = None
) -> pd.DataFrame:
    member = "user_id" if unit == "user" else "group_id"
    q = tokyo_qualifying(life_frame)
    if unit == "account":
        q = q[q["group_id"].notna()]
    if end is not None:
        q = q[q["day"] < end]
    freq = "W-SUN" if period == "week" else "M"
    q = q.assign(p=pd.PeriodIndex(pd.to_datetime(q["day"]), freq=freq))
    first = q.groupby(member)["p"].min()
    last_seen = q["p"].max()
    active = q.groupby(member)["p"].agg(set)
    rows = []
    for cohort, members in first.groupby(first).groups.items():
        size = len(members)
        for n in range((last_seen - cohort).n + 1):
            target = cohort + n
            if mode == "on":
                kept = sum(target in active[m] for m in members)
            else:
                kept = sum(max(active[m]) >= target for m in members)
            rows.append(
                {
                    "cohort": cohort.start_time.date(),
                    "period": n,
                    "cohort_size": size,
                    "retained": kept,
                    "retention": kept / size,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("period", "unit", "mode"),
    [
        ("week", "user", "on"),
        ("week", "user", "on_or_after"),
        ("month", "user", "on"),
        ("month", "account", "on_or_after"),
        ("week", "account", "on"),
    ],
)
def test_retention_cohorts_match_pandas(
    backend: Backend, life: object, life_frame: pd.DataFrame, period: str, unit: str, mode: str
) -> None:
    got = backend.run(metrics.retention_cohorts(life, period=period, unit=unit, mode=mode))  # type: ignore[arg-type]
    got = normalise(got, ["cohort"])
    want = expected_cohorts(life_frame, period, unit, mode)
    keys = ["cohort", "period"]
    got, want = sort(got, keys), sort(want, keys)
    assert list(got.columns) == list(want.columns)
    for column in ["cohort", "period", "cohort_size", "retained"]:
        assert got[column].tolist() == want[column].tolist(), column
    np.testing.assert_allclose(got["retention"], want["retention"])
    assert (got["period"] == 0).sum() == got["cohort"].nunique()
    assert set(got[got["period"] == 0]["retention"]) == {1.0}


def test_retention_cohorts_within_a_period(
    backend: Backend, life: object, life_frame: pd.DataFrame
) -> None:
    start, end = D(2025, 2, 3), D(2025, 5, 1)  # a Monday; activity after April is ignored
    got = normalise(
        backend.run(metrics.retention_cohorts(life, start=start, end=end, mode="on_or_after")),
        ["cohort"],
    )
    want = expected_cohorts(life_frame, "week", "user", "on_or_after", end=end)
    want = want[(want["cohort"] >= start) & (want["cohort"] < end)]
    keys = ["cohort", "period"]
    got, want = sort(got, keys), sort(want, keys)
    for column in ["cohort", "period", "cohort_size", "retained"]:
        assert got[column].tolist() == want[column].tolist(), column
    assert min(got["cohort"]) == start


def test_retention_by_hand(backend: Backend) -> None:
    """Three users; weeks start on Monday 2025-01-06. a: weeks 0 and 2; b: week 0 only;
    c: first seen in week 1, then week 2."""
    seen = {
        "a": ["2025-01-06", "2025-01-22"],
        "b": ["2025-01-12"],
        "c": ["2025-01-13", "2025-01-20"],
    }
    rows = [
        ("track", "x", None, user, "anon", "g", pd.Timestamp(day + " 12:00", tz="Asia/Tokyo"))
        for user, days in seen.items()
        for day in days
    ]
    frame = pd.DataFrame(rows, columns=list(EVENT_SCHEMA))
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    table = backend.table(frame, EVENT_SCHEMA)
    on = sort(
        normalise(backend.run(metrics.retention_cohorts(table)), ["cohort"]), ["cohort", "period"]
    )
    assert on[["cohort", "period", "cohort_size", "retained"]].values.tolist() == [
        [D(2025, 1, 6), 0, 2, 2],
        [D(2025, 1, 6), 1, 2, 0],
        [D(2025, 1, 6), 2, 2, 1],
        [D(2025, 1, 13), 0, 1, 1],
        [D(2025, 1, 13), 1, 1, 1],
    ]
    after = sort(
        normalise(backend.run(metrics.retention_cohorts(table, mode="on_or_after")), ["cohort"]),
        ["cohort", "period"],
    )
    assert after["retained"].tolist() == [2, 1, 1, 1, 1]


@pytest.mark.parametrize("within", [1, 7])
def test_activation_matches_pandas(
    backend: Backend, life: object, life_frame: pd.DataFrame, within: int
) -> None:
    start, end = D(2025, 3, 1), D(2025, 5, 1)
    names = ["Invite Sent", "Settings"]
    row = backend.run(metrics.activation(life, names, start, end, within_days=within)).iloc[0]
    q = tokyo_qualifying(life_frame)
    first = q.groupby("user_id")["day"].min()
    new = first[(first >= start) & (first < end)]
    hits = q[q["action"].isin(names)]
    activated = {
        user
        for user, day in zip(hits["user_id"], hits["day"], strict=True)
        if user in new.index and 0 <= (day - new[user]).days < within
    }
    assert row["new_users"] == len(new) > 10
    assert row["activated"] == len(activated)
    assert row["activation"] == pytest.approx(len(activated) / len(new))


@pytest.mark.parametrize("inactive_days", [14, 30])
def test_activity_churn_matches_pandas(
    backend: Backend, life: object, life_frame: pd.DataFrame, inactive_days: int
) -> None:
    start, end = D(2025, 4, 1), D(2025, 6, 1)
    row = backend.run(metrics.activity_churn(life, start, end, inactive_days=inactive_days)).iloc[0]
    q = tokyo_qualifying(life_frame)
    q = q[q["group_id"].notna()]
    n = dt.timedelta(inactive_days)

    def accounts(lo: dt.date, hi: dt.date) -> set[str]:
        return set(q[(q["day"] >= lo) & (q["day"] < hi)]["group_id"])

    before_start, before_end = accounts(start - n, start), accounts(end - n, end)
    churned = before_start - before_end
    assert row["active_before_start"] == len(before_start)
    assert row["churned"] == len(churned)
    assert row["churn"] == pytest.approx(len(churned) / len(before_start))


def test_activity_churn_without_accounts_is_undefined(backend: Backend, life: object) -> None:
    row = backend.run(metrics.activity_churn(life, D(2031, 1, 1), D(2031, 2, 1))).iloc[0]
    assert (row["active_before_start"], row["churned"]) == (0, 0)
    assert row["churn"] is None or pd.isna(row["churn"])


def test_bad_arguments_are_refused() -> None:
    events = ibis.table(EVENT_SCHEMA, name="events")
    with pytest.raises(ValueError, match="after its start"):
        metrics.stickiness(events, D(2025, 2, 1), D(2025, 2, 1))
    with pytest.raises(ValueError, match="unit"):
        metrics.stickiness(events, D(2025, 1, 1), D(2025, 2, 1), unit="team")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window_days"):
        metrics.account_usage(events, ibis.table(POINT_SCHEMA, name="p"), 0)
    with pytest.raises(ValueError, match="mode"):
        metrics.retention_cohorts(events, mode="after")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="distinct"):
        metrics.feature_adoption(events, [("a", ["x"]), ("a", ["y"])], D(2025, 1, 1), D(2025, 2, 1))


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/Los_Angeles"])
def test_days_do_not_depend_on_the_session_time_zone(life_frame: pd.DataFrame, zone: str) -> None:
    """A DuckDB session in another time zone (a Japanese server's default) sees the same
    Tokyo days: the metrics read instants, never wall-clock times."""
    utc, local = Backend("duckdb", ibis.duckdb.connect()), Backend("duckdb", ibis.duckdb.connect())
    local.con.raw_sql(f"SET TimeZone = '{zone}'")
    points = make_points()
    results = []
    for backend in (utc, local):
        events = backend.table(life_frame, EVENT_SCHEMA)
        usage = backend.run(metrics.account_usage(events, backend.table(points, POINT_SCHEMA), 7))
        series = backend.run(metrics.active_series(events, D(2025, 2, 1), D(2025, 3, 1)))
        results.append((sort(usage, ["group_id", "as_of", "events"]), series.sort_values("day")))
    pd.testing.assert_frame_equal(results[0][0], results[1][0])
    pd.testing.assert_frame_equal(
        results[0][1].reset_index(drop=True), results[1][1].reset_index(drop=True)
    )


def all_metrics(backend: Backend, events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every metric function once, as sorted frames with plain dates."""
    table = backend.table(events, EVENT_SCHEMA)
    points = backend.table(make_points(), POINT_SCHEMA)
    start, end = D(2025, 3, 1), D(2025, 5, 1)
    expressions = {
        "account_usage": (metrics.account_usage(table, points), ["group_id", "as_of", "events"]),
        "account_feature_usage": (
            metrics.account_feature_usage(table, points, FEATURES),
            ["group_id", "as_of", "feature", "users"],
        ),
        "active_series": (
            metrics.active_series(table, start, end, per_account=True),
            ["group_id", "day"],
        ),
        "stickiness": (metrics.stickiness(table, start, end, per_account=True), ["group_id"]),
        "adoption": (
            metrics.feature_adoption(table, ADOPTION_FEATURES, start, end, unit="account"),
            ["feature"],
        ),
        "cohorts": (
            metrics.retention_cohorts(table, period="month", mode="on_or_after"),
            ["cohort", "period"],
        ),
        "activation": (metrics.activation(table, ["Export"], start, end), []),
        "activity_churn": (metrics.activity_churn(table, start, end), []),
    }
    out = {}
    for name, (expr, keys) in expressions.items():
        frame = backend.run(expr)
        for column in frame.columns:
            if column in {"as_of", "last_event_day", "last_used", "day", "cohort"}:
                frame[column] = [as_date(v) for v in frame[column]]
            elif frame[column].dtype.kind in "iuf":
                frame[column] = frame[column].astype(float)
        out[name] = sort(frame, keys) if keys else frame
    return out


@pytest.mark.spark
def test_duckdb_and_spark_give_the_same_numbers(
    life_frame: pd.DataFrame, spark_con: object
) -> None:
    duck = all_metrics(Backend("duckdb", ibis.duckdb.connect()), life_frame)
    spark = all_metrics(Backend("spark", spark_con), life_frame)
    for name in duck:
        assert list(duck[name].columns) == list(spark[name].columns), name
        pd.testing.assert_frame_equal(
            duck[name], spark[name], check_dtype=False, check_exact=False, rtol=1e-12, obj=name
        )
        assert len(duck[name]) > 0, name
