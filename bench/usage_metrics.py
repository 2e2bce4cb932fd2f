"""Usage-metrics benchmark: DAU/WAU/MAU and stickiness, feature adoption and weekly retention
cohorts over N generated product events, computed by Kizuna's Ibis module on DuckDB and, in
the same process, by hand-written DuckDB SQL and by pandas; prints the times, the ratios,
peak memory and whether the three agree.

    .venv/bin/python bench/usage_metrics.py [--events 50000000] [--seed 1] [--repeat 2]
                                            [--db PATH] [--no-pandas] [--strict]

Data: 500 accounts and 5,000 users over 540 days (Asia/Tokyo), Segment-shaped events
(``track`` 70 %, ``page`` 20 %, ``screen`` 3 %, ``identify`` 4 %, ``group`` 3 %; 4 % without
a user id, 3 % without an account), users who sign up over the period, are active on a
share of their days and stop. Generated with numpy in chunks of 5M rows and written into
a DuckDB file (``--db``, default a temporary file, removed at exit; an existing file with
the same size and seed is reused) with the event store's column types (VARCHAR,
TIMESTAMPTZ). The pandas reference receives the same events as a DataFrame with
categorical string columns and the timestamp as int64 microseconds, built from the
generator's arrays (not timed).

The work, identical for all three:

1. per day of the 540: DAU, WAU (trailing 7 days) and MAU (trailing 28 days) of users,
   and stickiness DAU/MAU (``metrics.active_series``);
2. adoption of 10 features (1–3 event names each, some names shared) over the last 90
   days (``metrics.feature_adoption``);
3. weekly user retention cohorts, mode "on" (``metrics.retention_cohorts``).

The DuckDB SQL is written by hand as an analyst fluent in DuckDB would: days as
``(epoch(timestamp) + 9 h) // 1 day``, distinct user-days first. For the trailing
windows it takes the faster of two formulations, measured in the warm-up: DuckDB's
windowed ``count(DISTINCT …) OVER (… RANGE …)`` and the "coverage interval" running sum
that Kizuna's module uses. The pandas reference does the same with numpy where pandas
has no trailing distinct count (user-days expanded over their 28 days, then
de-duplicated).

Timing: ``time.perf_counter``; one warm-up each, then ``--repeat`` interleaved rounds; the
best and median per implementation, and the CPU time (all threads) of the best run. The
goal is checked on the best times; the ratios of the medians and of the CPU times are
printed beside it because on a shared machine one lucky or unlucky round moves the best.
Memory: the peak resident set size during each implementation's runs (Linux ``VmHWM``
reset through /proc/self/clear_refs before each), absolute and above the level before the
run; DuckDB's own allocations are included because it runs in this process. Goal: ours
≤ 1.2× the DuckDB SQL. Exit status 1 when the three disagree (or, with ``--strict``, when
the goal is missed).
"""

# ruff: noqa: S608 — every SQL string here is built from this file's constants, never from input.
from __future__ import annotations

import argparse
import atexit
import datetime as dt
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from measuring import Sections, machine, measure

from kizuna.usage import metrics

ACCOUNTS, USERS, DAYS = 500, 5_000, 540
FIRST_DAY = dt.date(2024, 1, 1)
CHUNK = 5_000_000
TYPES = ["track", "page", "screen", "identify", "group"]
TYPE_P = [0.70, 0.20, 0.03, 0.04, 0.03]
TRACK_EVENTS = [f"Event {i:02d}" for i in range(30)]
PAGES = [f"Page {i:02d}" for i in range(20)]
FEATURES: list[tuple[str, list[str]]] = [
    ("reports", ["Event 00", "Page 00"]),
    ("export", ["Event 01"]),
    ("invite", ["Event 02", "Event 03"]),
    ("search", ["Event 04", "Page 01", "Page 02"]),
    ("alerts", ["Event 05"]),
    ("api", ["Event 10", "Event 11"]),
    ("billing", ["Page 05"]),
    ("rare", ["Event 29"]),
    ("shared", ["Event 00", "Event 05"]),  # names shared with reports and alerts
    ("unused", ["Never Sent"]),
]
ADOPTION_DAYS = 90
QUALIFYING = "('track', 'page', 'screen')"
DAY_SQL = "((epoch_us(timestamp) + 32400000000) // 86400000000)"


# --------------------------------------------------------------------------- data


@dataclass
class Events:
    """The generated events as codes (−1 = null) and microseconds since the epoch."""

    type: np.ndarray
    event: np.ndarray
    name: np.ndarray
    user: np.ndarray
    group: np.ndarray
    micros: np.ndarray

    def __len__(self) -> int:
        return len(self.micros)


def generate(n: int, seed: int) -> Events:
    rng = np.random.default_rng(seed)
    account_of = rng.integers(0, ACCOUNTS, USERS)
    start = (rng.beta(1.0, 1.8, USERS) * (DAYS - 14)).astype(np.int64)
    life = np.minimum(rng.geometric(1 / 240, USERS) + 14, DAYS - start)
    share = rng.uniform(0.08, 0.9, USERS)  # share of its days on which a user is active
    weight = rng.lognormal(0.0, 0.8, USERS) * life * share
    weight /= weight.sum()
    track_p = 1 / np.arange(1, len(TRACK_EVENTS) + 1) ** 0.9
    page_p = 1 / np.arange(1, len(PAGES) + 1) ** 0.9
    parts: list[Events] = []
    for offset in range(0, n, CHUNK):
        size = min(CHUNK, n - offset)
        user = rng.choice(USERS, size=size, p=weight)
        # Active days are evenly spaced within the user's life, about life × share of them.
        slot = np.floor(rng.random(size) * life[user] * share[user])
        day = start[user] + np.floor(slot / share[user]).astype(np.int64)
        second = rng.integers(0, 86_400, size)
        micros = ((day + metrics.day_number(FIRST_DAY)) * 86_400 - 9 * 3600 + second) * 1_000_000
        kind = rng.choice(len(TYPES), size=size, p=TYPE_P).astype(np.int8)
        event = np.where(
            kind == 0, rng.choice(len(TRACK_EVENTS), size=size, p=track_p / track_p.sum()), -1
        ).astype(np.int8)
        name = np.where(
            (kind == 1) | (kind == 2),
            rng.choice(len(PAGES), size=size, p=page_p / page_p.sum()),
            -1,
        ).astype(np.int8)
        group = account_of[user].astype(np.int16)
        group[rng.random(size) < 0.03] = -1
        user = user.astype(np.int16)
        user[rng.random(size) < 0.04] = -1
        parts.append(Events(kind, event, name, user, group, micros.astype(np.int64)))
    return Events(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in Events.__dataclass_fields__)
    )


USER_NAMES = np.array([f"u{i:05d}" for i in range(USERS)], dtype=object)
ACCOUNT_NAMES = np.array([f"acct-{i:04d}" for i in range(ACCOUNTS)], dtype=object)


def _dictionary(codes: np.ndarray, values: Sequence[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32), mask=codes < 0), pa.array(list(values), pa.string())
    )


def write_duckdb(events: Events, path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE events (type VARCHAR NOT NULL, event VARCHAR, name VARCHAR, "
        "user_id VARCHAR, anonymous_id VARCHAR, group_id VARCHAR, "
        '"timestamp" TIMESTAMPTZ NOT NULL)'
    )
    for offset in range(0, len(events), CHUNK):
        part = slice(offset, offset + CHUNK)
        chunk = pa.table(  # noqa: F841 — scanned by DuckDB by name
            {
                "type": _dictionary(events.type[part], TYPES),
                "event": _dictionary(events.event[part], TRACK_EVENTS),
                "name": _dictionary(events.name[part], PAGES),
                "user_id": _dictionary(events.user[part], list(USER_NAMES)),
                "group_id": _dictionary(events.group[part], list(ACCOUNT_NAMES)),
                "timestamp": pa.array(events.micros[part], pa.timestamp("us", tz="UTC")),
            }
        )
        con.execute(
            "INSERT INTO events SELECT type::VARCHAR, event::VARCHAR, name::VARCHAR, "
            "user_id::VARCHAR, NULL, group_id::VARCHAR, timestamp FROM chunk"
        )
    con.execute("CREATE TABLE meta AS SELECT ? AS signature", [_signature(events)])
    con.close()


def _signature(events: Events) -> str:
    return f"{len(events)}:{int(events.micros[:1000].sum())}:{int(events.user[-1000:].sum())}"


def to_pandas(events: Events) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "type": pd.Categorical.from_codes(events.type, TYPES),
            "event": pd.Categorical.from_codes(events.event, TRACK_EVENTS),
            "name": pd.Categorical.from_codes(events.name, PAGES),
            "user_id": pd.Categorical.from_codes(events.user, list(USER_NAMES)),
            "group_id": pd.Categorical.from_codes(events.group, list(ACCOUNT_NAMES)),
            "timestamp_us": events.micros,
        }
    )


# --------------------------------------------------------------------------- the three


@dataclass
class Result:
    """What each implementation returns, in one shape for the comparison."""

    series: pd.DataFrame  # day, dau, wau, mau, stickiness
    adoption: pd.DataFrame  # feature, adopters, active, adoption
    cohorts: pd.DataFrame  # cohort, period, cohort_size, retained, retention


def period() -> tuple[dt.date, dt.date]:
    return FIRST_DAY, FIRST_DAY + dt.timedelta(DAYS)


def adoption_period() -> tuple[dt.date, dt.date]:
    end = FIRST_DAY + dt.timedelta(DAYS)
    return end - dt.timedelta(ADOPTION_DAYS), end


def ours(con: Any) -> Result:
    """Kizuna's module, called as a page or the health score would call it."""
    events = con.table("events")
    start, end = period()
    series = metrics.active_series(events, start, end)
    series = series.mutate(
        stickiness=ibis.ifelse(series.mau > 0, series.dau / series.mau, ibis.null("float64"))
    ).to_pandas()
    adoption = metrics.feature_adoption(events, FEATURES, *adoption_period()).to_pandas()
    cohorts = metrics.retention_cohorts(events, period="week").to_pandas()
    return Result(series, adoption, cohorts)


SQL_USER_DAYS = f"""
    SELECT DISTINCT user_id, {DAY_SQL} AS day
    FROM events WHERE type IN {QUALIFYING} AND user_id IS NOT NULL
"""


def sql_series_window(con: duckdb.DuckDBPyConnection, first: int, last: int) -> pd.DataFrame:
    """Trailing distinct counts with DuckDB's windowed DISTINCT aggregates."""
    return con.execute(
        f"""
        WITH ud AS ({SQL_USER_DAYS}),
        rolled AS (
            SELECT DISTINCT day,
                count(DISTINCT user_id) OVER (ORDER BY day RANGE CURRENT ROW) AS dau,
                count(DISTINCT user_id) OVER (ORDER BY day RANGE 6 PRECEDING) AS wau,
                count(DISTINCT user_id) OVER (ORDER BY day RANGE 27 PRECEDING) AS mau
            FROM ud WHERE day >= {first} - 27 AND day < {last}
        ),
        calendar AS (SELECT range AS day FROM range({first}, {last})),
        filled AS (
            SELECT c.day,
                   coalesce(r.dau, 0) AS dau,
                   -- a day without events still has users in its trailing windows
                   last_value(r.wau IGNORE NULLS) OVER w AS wau_prev,
                   last_value(r.mau IGNORE NULLS) OVER w AS mau_prev,
                   r.wau, r.mau
            FROM calendar c LEFT JOIN rolled r USING (day)
            WINDOW w AS (ORDER BY c.day)
        )
        SELECT day, dau, coalesce(wau, 0) AS wau, coalesce(mau, 0) AS mau FROM filled ORDER BY day
        """
    ).df()


def sql_series_coverage(con: duckdb.DuckDBPyConnection, first: int, last: int) -> pd.DataFrame:
    """Trailing distinct counts as running sums of coverage intervals (each user-day counts
    for the next w days, cut at the user's next active day)."""
    return con.execute(
        f"""
        WITH ud AS ({SQL_USER_DAYS}),
        seg AS (
            SELECT day, lead(day) OVER (PARTITION BY user_id ORDER BY day) AS nxt
            FROM ud WHERE day >= {first} - 27 AND day < {last}
        ),
        deltas AS (
            SELECT day, sum(d1) AS d1, sum(d7) AS d7, sum(d28) AS d28 FROM (
                SELECT day AS day, 1 AS d1, 1 AS d7, 1 AS d28 FROM seg
                UNION ALL SELECT least(day + 1, coalesce(nxt, day + 1)), -1, 0, 0 FROM seg
                UNION ALL SELECT least(day + 7, coalesce(nxt, day + 7)), 0, -1, 0 FROM seg
                UNION ALL SELECT least(day + 28, coalesce(nxt, day + 28)), 0, 0, -1 FROM seg
            ) GROUP BY day
        ),
        running AS (
            SELECT c.range AS day,
                   sum(coalesce(d1, 0)) OVER w AS dau,
                   sum(coalesce(d7, 0)) OVER w AS wau,
                   sum(coalesce(d28, 0)) OVER w AS mau
            FROM range({first} - 28, {last}) c LEFT JOIN deltas ON deltas.day = c.range
            WINDOW w AS (ORDER BY c.range ROWS UNBOUNDED PRECEDING)
        )
        SELECT day, dau::BIGINT AS dau, wau::BIGINT AS wau, mau::BIGINT AS mau
        FROM running WHERE day >= {first} ORDER BY day
        """
    ).df()


def sql_adoption(con: duckdb.DuckDBPyConnection, first: int, last: int) -> pd.DataFrame:
    pairs = ", ".join(f"('{slug}', '{name}')" for slug, names in FEATURES for name in names)
    slugs = ", ".join(f"('{slug}')" for slug, _names in FEATURES)
    return con.execute(
        f"""
        WITH q AS (
            SELECT user_id, CASE WHEN type = 'track' THEN event ELSE name END AS action
            FROM events
            WHERE type IN {QUALIFYING} AND user_id IS NOT NULL
              AND {DAY_SQL} >= {first} AND {DAY_SQL} < {last}
        ),
        pairs(feature, action) AS (VALUES {pairs}),
        slugs(feature) AS (VALUES {slugs}),
        used AS (
            SELECT feature, count(DISTINCT user_id) AS adopters
            FROM q JOIN pairs USING (action) GROUP BY feature
        ),
        active AS (SELECT count(DISTINCT user_id) AS active FROM q)
        SELECT s.feature, coalesce(u.adopters, 0) AS adopters, a.active,
               coalesce(u.adopters, 0) / a.active AS adoption
        FROM slugs s LEFT JOIN used u USING (feature) CROSS JOIN active a
        """
    ).df()


def sql_cohorts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        f"""
        WITH uw AS (
            SELECT DISTINCT user_id, ({DAY_SQL} + 3) // 7 AS week
            FROM events WHERE type IN {QUALIFYING} AND user_id IS NOT NULL
        ),
        firsts AS (SELECT user_id, min(week) AS cohort FROM uw GROUP BY user_id),
        sizes AS (SELECT cohort, count(*) AS cohort_size FROM firsts GROUP BY cohort),
        kept AS (
            SELECT f.cohort, uw.week - f.cohort AS period, count(*) AS retained
            FROM uw JOIN firsts f USING (user_id) GROUP BY ALL
        ),
        horizon AS (SELECT max(week) AS latest FROM uw),
        grid AS (
            SELECT s.cohort, s.cohort_size, k.range AS period
            FROM sizes s, horizon h, range(0, h.latest - s.cohort + 1) k
        )
        SELECT DATE '1970-01-01' + (g.cohort * 7 - 3)::INTEGER AS cohort, g.period,
               g.cohort_size, coalesce(k.retained, 0) AS retained,
               coalesce(k.retained, 0) / g.cohort_size AS retention
        FROM grid g LEFT JOIN kept k USING (cohort, period)
        """
    ).df()


def duckdb_sql(con: duckdb.DuckDBPyConnection, series: Callable[..., pd.DataFrame]) -> Result:
    first, last = (metrics.day_number(d) for d in period())
    frame = series(con, first, last)
    frame["stickiness"] = (frame["dau"] / frame["mau"]).where(frame["mau"] > 0)
    frame["day"] = pd.to_datetime(frame["day"] * 86_400, unit="s").dt.date
    adoption = sql_adoption(con, *(metrics.day_number(d) for d in adoption_period()))
    return Result(frame, adoption, sql_cohorts(con))


def pandas_reference(frame: pd.DataFrame) -> Result:
    first, last = (metrics.day_number(d) for d in period())
    qualifying = frame["type"].isin(["track", "page", "screen"]) & frame["user_id"].notna()
    q = frame.loc[qualifying, ["user_id", "event", "name", "type", "timestamp_us"]]
    day = (q["timestamp_us"].to_numpy() // 1_000_000 + 32_400) // 86_400
    user = q["user_id"].cat.codes.to_numpy().astype(np.int64)
    user_days = np.unique(user * 1_000_000 + day)  # distinct (user, day) as one int
    ud_user, ud_day = user_days // 1_000_000, user_days % 1_000_000
    columns: dict[str, np.ndarray] = {}
    for label, w in (("dau", 1), ("wau", 7), ("mau", 28)):
        # Each user-day counts for the w days from it; a user once per day.
        covered = (
            np.unique(
                (np.repeat(ud_user, w) * 1_000_000)
                + (np.repeat(ud_day, w) + np.tile(np.arange(w), len(ud_day)))
            )
            % 1_000_000
        )
        counts = np.bincount(covered - (first - 28), minlength=last - first + 28)
        columns[label] = counts[28 : 28 + last - first]
    series = pd.DataFrame(
        {
            "day": [FIRST_DAY + dt.timedelta(i) for i in range(last - first)],
            **columns,
        }
    )
    series["stickiness"] = (series["dau"] / series["mau"]).where(series["mau"] > 0)

    a_first, a_last = (metrics.day_number(d) for d in adoption_period())
    in_period = (day >= a_first) & (day < a_last)
    recent = q.loc[in_period]
    action = np.where(
        recent["type"] == "track", recent["event"].astype(object), recent["name"].astype(object)
    )
    active = recent["user_id"].nunique()
    rows = []
    for slug, names in FEATURES:
        adopters = recent.loc[np.isin(action, names), "user_id"].nunique()
        rows.append(
            {"feature": slug, "adopters": adopters, "active": active, "adoption": adopters / active}
        )
    adoption = pd.DataFrame(rows)

    weeks = pd.DataFrame({"user": user, "week": (day + 3) // 7}).drop_duplicates()
    weeks["cohort"] = weeks.groupby("user")["week"].transform("min")
    weeks["period"] = weeks["week"] - weeks["cohort"]
    sizes = weeks.loc[weeks["period"] == 0].groupby("cohort").size().rename("cohort_size")
    kept = weeks.groupby(["cohort", "period"]).size().rename("retained")
    latest = weeks["week"].max()
    grid = pd.DataFrame(
        [(c, p) for c in sizes.index for p in range(latest - c + 1)], columns=["cohort", "period"]
    )
    grid = grid.join(sizes, on="cohort").join(kept, on=["cohort", "period"])
    grid["retained"] = grid["retained"].fillna(0).astype(np.int64)
    grid["retention"] = grid["retained"] / grid["cohort_size"]
    grid["cohort"] = [dt.date(1970, 1, 1) + dt.timedelta(int(c) * 7 - 3) for c in grid["cohort"]]
    return Result(series, adoption, grid)


# --------------------------------------------------------------------------- comparison


def _normalised(result: Result) -> dict[str, pd.DataFrame]:
    def tidy(frame: pd.DataFrame, keys: list[str], dates: Sequence[str] = ()) -> pd.DataFrame:
        frame = frame.copy()
        for column in dates:
            frame[column] = [v.date() if hasattr(v, "date") else v for v in frame[column]]
        return frame.sort_values(keys).reset_index(drop=True)

    return {
        "series": tidy(result.series[["day", "dau", "wau", "mau", "stickiness"]], ["day"], ["day"]),
        "adoption": tidy(
            result.adoption[["feature", "adopters", "active", "adoption"]], ["feature"]
        ),
        "cohorts": tidy(
            result.cohorts[["cohort", "period", "cohort_size", "retained", "retention"]],
            ["cohort", "period"],
            ["cohort"],
        ),
    }


def compare(a: Result, b: Result) -> tuple[bool, str]:
    left, right = _normalised(a), _normalised(b)
    numbers = 0
    worst = 0.0
    for key in left:
        x, y = left[key], right[key]
        if x.shape != y.shape:
            return False, f"{key}: shapes {x.shape} and {y.shape}"
        for column in x.columns:
            if x[column].dtype.kind in "fiu" and y[column].dtype.kind in "fiu":
                xv, yv = x[column].to_numpy(float), y[column].to_numpy(float)
                both_nan = np.isnan(xv) & np.isnan(yv)
                diff = np.where(both_nan, 0.0, np.abs(xv - yv))
                if np.isnan(diff).any() or (diff > 1e-12).any():
                    return False, f"{key}.{column} differs"
                worst = max(worst, float(diff.max(initial=0.0)))
            elif [str(v) for v in x[column]] != [str(v) for v in y[column]]:
                return False, f"{key}.{column} differs"
            numbers += len(x)
    return True, f"{numbers:,} values compared, max |diff| = {worst:.2g}"


# --------------------------------------------------------------------------- measuring


def _machine() -> str:
    return machine(
        f"ibis {ibis.__version__}, duckdb {duckdb.__version__}, pandas {pd.__version__}, "
        f"numpy {np.__version__}"
    )


def _best_sql_series(con: duckdb.DuckDBPyConnection) -> tuple[Callable[..., pd.DataFrame], str]:
    """The faster of the two hand-written formulations of the trailing windows (one timed
    run each, after a warm-up of the user-day scan)."""
    first, last = (metrics.day_number(d) for d in period())
    timings = {}
    variants = {
        "windowed count(DISTINCT)": sql_series_window,
        "coverage running sum": sql_series_coverage,
    }
    reference = None
    for label, fn in variants.items():
        fn(con, first, last)
        started = time.perf_counter()
        frame = fn(con, first, last)
        timings[label] = time.perf_counter() - started
        if reference is None:
            reference = frame
        elif not reference[["dau", "wau", "mau"]].equals(frame[["dau", "wau", "mau"]]):
            raise SystemExit("the two SQL formulations of the trailing windows disagree")
    chosen = min(timings, key=timings.__getitem__)
    note = ", ".join(f"{label} {seconds:.3f} s" for label, seconds in timings.items())
    return variants[chosen], f"{chosen} (series alone: {note})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000_000, help="events to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="timed rounds after a warm-up")
    parser.add_argument("--db", type=Path, help="DuckDB file for the events (kept, reused)")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas reference")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    events = generate(args.events, args.seed)
    generated = time.perf_counter() - started
    if args.db is None:
        directory = tempfile.mkdtemp(prefix="kizuna-bench-usage-")
        path = Path(directory) / "events.duckdb"
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
    else:
        path = args.db
    reuse = False
    if path.exists():
        with duckdb.connect(str(path), read_only=True) as check:
            try:
                reuse = check.execute("SELECT signature FROM meta").fetchone() == (
                    _signature(events),
                )
            except duckdb.Error:
                reuse = False
        if not reuse:
            path.unlink()
    started = time.perf_counter()
    if not reuse:
        write_duckdb(events, path)
    written = time.perf_counter() - started
    frame = None if args.no_pandas else to_pandas(events)
    qualifying = int(((events.type <= 2) & (events.user >= 0)).sum())
    del events
    gc.collect()
    print(
        f"usage_metrics: {args.events:,} events ({qualifying:,} qualifying), {ACCOUNTS} accounts, "
        f"{USERS:,} users, {DAYS} days from {FIRST_DAY}, seed {args.seed}; generated in "
        f"{generated:.1f} s, {'reused' if reuse else 'written to'} DuckDB "
        f"({path.stat().st_size / 2**20:,.0f} MB) in {written:.1f} s"
    )
    print(f"machine: {_machine()}")

    backend = ibis.duckdb.connect(str(path), read_only=True)
    raw: duckdb.DuckDBPyConnection = backend.con
    series_sql, series_note = _best_sql_series(raw)
    print(f"DuckDB SQL trailing windows: {series_note}")
    load_before = os.getloadavg()
    runs: list[tuple[str, Callable[[Sections], Any]]] = [
        ("kizuna (Ibis on DuckDB)", lambda _t: ours(backend)),
        ("duckdb SQL", lambda _t: duckdb_sql(raw, series_sql)),
    ]
    if frame is not None:
        runs.append(("pandas", lambda _t: pandas_reference(frame)))
    measured = measure(runs, args.repeat)
    load_after = os.getloadavg()

    print()
    print(
        f"| implementation | best of {args.repeat} (s) | median (s) | CPU of best (s) "
        "| peak RSS (MB) | peak above start (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for run in measured:
        process = " (process)" if run.peak_is_process else ""
        print(
            f"| {run.name} | {run.best:.3f} | {statistics.median(run.times):.3f} "
            f"| {run.cpu:.2f} | {run.peak_mb:.0f}{process} | {run.delta_mb:.0f} |"
        )
    mine, sql = measured[0], measured[1]
    ratio = mine.best / sql.best
    medians = statistics.median(mine.times) / statistics.median(sql.times)
    line = (
        f"ours / duckdb SQL = {ratio:.2f}× (medians {medians:.2f}×, "
        f"CPU of best {mine.cpu / sql.cpu:.2f}×)"
    )
    if frame is not None:
        line += f"   ours / pandas = {mine.best / measured[2].best:.2f}×"
    print()
    print(line)
    print(
        f"load average (1 min) before/after the runs: {load_before[0]:.2f} / "
        f"{load_after[0]:.2f} on {os.cpu_count()} cores"
    )
    agree = True
    for other in measured[1:]:
        same, detail = compare(mine.result, other.result)
        agree &= same
        print(f"{mine.name} vs {other.name}: {'agree' if same else 'DISAGREE'}; {detail}")
    if frame is not None:
        same, detail = compare(sql.result, measured[2].result)
        agree &= same
        print(f"{sql.name} vs pandas: {'agree' if same else 'DISAGREE'}; {detail}")
    goal = ratio <= 1.2
    print()
    print(f"{'PASS' if goal else 'FAIL'}  ours ≤ 1.2× duckdb SQL ({ratio:.2f}×)")
    print(f"{'PASS' if agree else 'FAIL'}  all {'three' if frame is not None else 'two'} agree")
    return 0 if agree and (goal or not args.strict) else 1


if __name__ == "__main__":
    sys.exit(main())
