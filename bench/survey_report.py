"""Survey-results benchmark: the full results report of a 10,000-employee company with
twelve monthly pulses, computed by Kizuna's own code and, in the same process, by
hand-written DuckDB SQL and by plain pandas; prints the times, the ratios, peak memory and
whether the three agree.

    .venv/bin/python bench/survey_report.py [--employees 10000] [--waves 12] [--seed 1]
                                            [--repeat 3] [--profile] [--strict]

"The full report" is what the results page shows for the latest wave, with the anonymity
guard at k = 5:

* company figures: engagement index, category shares, eNPS with its 95% interval, and per
  factor the favourable/unfavourable % and 0–100 score;
* item scores (n, mean, favourable/neutral/unfavourable %; items with n < k hidden);
* the heatmap of factors × teams (``group_scores`` by ``department_id``, guarded by
  ``guard_groups`` + ``apply``, the real complementary suppression included);
* the department-tree heatmap (``subtree_scores`` + ``guard_tree``);
* the 12-wave trend: company figures per wave, and every consecutive pair of waves
  compared per team in one pass with ``series_comparison`` (Welch's t on the engagement
  index, the two-proportion z test per factor), flagged significant only where the guard shows the
  team in both waves (``wave_guard`` + ``significant_change``), plus the company change;
* Cronbach's alpha per factor (``factor_item_matrix`` + ``cronbach_alpha``);
* key drivers by relative weights (``driver_matrix`` + ``relative_weights``).

Data: a generated company (department tree of depth 3–4, ≈ 400 teams, demographics,
≈ 80% response, the 31 numeric questions of the built-in pulse plus 6 company-specific
items = 37 numeric items per wave, 2% of items skipped) as polars frames in the shape
``kizuna.engagement.data.load`` returns; no database.

The references: the DuckDB SQL runs over the same polars frames (scanned through the Arrow
C stream interface, no copy, no pyarrow), aggregates the answers once per respondent ×
factor, computes test statistics in SQL and their p-values with one vectorised scipy call
each; correlation matrices come from SQL and the eigen-decomposition from numpy. (A wide
per-respondent table with 48 FILTERed aggregates was 2–3× slower in DuckDB here, and
aggregating straight to wave × team × factor was no faster: hashing the 3.5M string
response ids dominates either way.) The pandas reference receives the same frames
converted to pandas beforehand (not timed) and uses groupby/merge/pivot. Both references
apply only the simple part of the guard (a group with n < k is hidden): values are
compared on the groups that both sides show, groups the references hide must be hidden by
Kizuna too, and the groups Kizuna additionally hides by complementary suppression are
counted and printed. The tolerance is 1e-9 absolute on every compared number.

Timing: ``time.perf_counter``, one warm-up each, then ``--repeat`` rounds in which the three
run in turn (interleaved, so background load on a shared machine hits all alike); the best
and median per implementation, the CPU time of its best run, and a per-section breakdown.
Memory: the peak resident set size during each implementation's runs (Linux ``VmHWM``
after resetting it through /proc/self/clear_refs), absolute and above the level before
the run. ``--profile`` adds a cProfile of one run of Kizuna's code. Exit status 1 when the
three disagree (or, with ``--strict``, when a goal is missed).
"""

# ruff: noqa: S608 — every SQL string here is built from this file's constants, never from input.
from __future__ import annotations

import argparse
import atexit
import cProfile
import datetime as dt
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Kizuna's guard imports Django (translations, the audit log): configure the real settings
# on a throw-away data directory that nothing inherited can redirect to a real database.
_DATA_DIR = tempfile.mkdtemp(prefix="kizuna-bench-survey-")
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
for _key in [k for k in os.environ if k.startswith("KIZUNA_")]:
    del os.environ[_key]
os.environ["KIZUNA_DATA_DIR"] = _DATA_DIR
os.environ["KIZUNA_LOG_LEVEL"] = "WARNING"
os.environ["DJANGO_SETTINGS_MODULE"] = "kizuna.settings"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django  # noqa: E402

django.setup()

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402
from measuring import Sections, machine  # noqa: E402
from measuring import measure as measure_runs  # noqa: E402
from scipy import stats as sps  # noqa: E402

from kizuna.engagement import drivers, guard, scoring, stats  # noqa: E402
from kizuna.surveys import catalog  # noqa: E402

K = 5
SIGNIFICANCE = 0.05
TOLERANCE = 1e-9
PULSE_ITEMS = next(q for q in catalog.QUESTIONNAIRES if q.code == catalog.PULSE).questions
CUSTOM_ITEMS = tuple(f"company_{i}" for i in range(1, 7))
ENGAGEMENT = catalog.ENGAGEMENT_FACTORS
DRIVERS = catalog.DRIVER_FACTORS
# The factors a pulse asks, in catalogue order: the heatmap and trend columns.
CODES = (*ENGAGEMENT, "satisfaction", *DRIVERS)
FIRST_WAVE = 101  # survey ids of the waves: 101, 102, …

Frames = dict[str, pl.DataFrame]
FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Dataset:
    answers: pl.DataFrame  # response_id, question_id, value (Int16)
    questions: pl.DataFrame  # question_id, code, factor_code, factor_kind, kind
    responses: pl.DataFrame  # response_id, survey_id, submitted_on, demographics
    departments: list[tuple[int, str, int | None]]  # (id, path, parent id), in path order
    waves: list[int]
    teams: int


def _questions() -> pl.DataFrame:
    """The built-in catalogue (every question, as ``questions_frame`` loads it) plus six
    company-specific agreement items without a factor."""
    kinds = {f.code: f.kind for f in catalog.FACTORS}
    rows = [(q.code, q.kind, q.factor, kinds.get(q.factor or "")) for q in catalog.QUESTIONS]
    rows += [(code, catalog.AGREEMENT, None, None) for code in CUSTOM_ITEMS]
    return pl.DataFrame(
        [(i, *row) for i, row in enumerate(rows, start=1)],
        schema={
            "question_id": pl.Int64,
            "code": pl.String,
            "kind": pl.String,
            "factor_code": pl.String,
            "factor_kind": pl.String,
        },
        orient="row",
    ).select("question_id", "code", "factor_code", "factor_kind", "kind")


def _tree(
    rng: np.random.Generator, employees: int
) -> tuple[dict[int, int | None], list[int], list[int]]:
    """Company → divisions → departments → teams (a few departments have no teams, so the
    tree is 3–4 levels deep). Returns parents, the units people sit in (teams and
    departments without teams) and the departments heads sit in directly."""
    teams_target = max(2, round(employees / 25))
    n_departments = max(2, round(teams_target / 9.6))
    n_divisions = max(1, round(n_departments / 7))
    parent: dict[int, int | None] = {1: None}
    next_id = 2
    divisions = list(range(next_id, next_id + n_divisions))
    for division in divisions:
        parent[division] = 1
    next_id += n_divisions
    departments = []
    for i in range(n_departments):
        parent[next_id] = divisions[i % n_divisions]
        departments.append(next_id)
        next_id += 1
    leaf_departments = [
        int(d) for d in rng.choice(departments, size=max(1, n_departments // 10), replace=False)
    ]
    with_teams = [d for d in departments if d not in leaf_departments]
    spare = max(0, teams_target - len(leaf_departments) - len(with_teams))
    counts = 1 + rng.multinomial(spare, rng.dirichlet(np.full(len(with_teams), 4.0)))
    units = list(leaf_departments)
    for department, count in zip(with_teams, counts, strict=True):
        for _ in range(int(count)):
            parent[next_id] = department
            units.append(next_id)
            next_id += 1
    heads = [1, *divisions, *with_teams]
    return parent, sorted(units), heads


def _path(parent: dict[int, int | None], node: int) -> str:
    ids: list[int] = []
    current: int | None = node
    while current is not None:
        ids.append(current)
        current = parent[current]
    return "/" + "/".join(str(i) for i in reversed(ids)) + "/"


def _pick(rng: np.random.Generator, values: Sequence[str], p: Sequence[float], n: int) -> Any:
    return rng.choice(np.array(values, dtype=object), size=n, p=np.asarray(p) / np.sum(p))


def generate(employees: int, waves: int, seed: int) -> Dataset:
    """A company with planted structure: team effects, person effects, drivers that move
    engagement, team-level shocks between waves, small teams the guard must hide."""
    rng = np.random.default_rng(seed)
    parent, units, heads = _tree(rng, employees)
    paths = {d: _path(parent, d) for d in parent}
    all_depts = sorted(parent)
    dept_index = {d: i for i, d in enumerate(all_depts)}

    # People: 1–2 heads directly in the company, each division and each department with
    # teams; everyone else in a unit, unit sizes lognormal with a few tiny teams.
    head_dept = [d for d in heads for _ in range(int(rng.integers(1, 3)))][:employees]
    weights = rng.lognormal(0.0, 0.55, size=len(units))
    tiny = rng.choice(len(units), size=max(1, len(units) // 25), replace=False)
    weights[tiny] = rng.uniform(0.08, 0.2, size=tiny.size)
    staff = employees - len(head_dept)
    unit_of = rng.choice(np.array(units), size=staff, p=weights / weights.sum())
    emp_dept = np.concatenate([np.array(head_dept, dtype=np.int64), unit_of.astype(np.int64)])
    n = emp_dept.size
    emp_di = np.array([dept_index[int(d)] for d in emp_dept])
    division_of = np.array(
        [int(paths[d].strip("/").split("/")[min(1, paths[d].count("/") - 2)]) for d in all_depts]
    )
    emp_div = division_of[emp_di]
    is_head = np.arange(n) < len(head_dept)

    locations = ("tokyo", "osaka", "nagoya", "fukuoka", "sapporo")
    home = {int(d): locations[int(d) % 3] for d in np.unique(division_of)}
    loc = _pick(rng, locations, (5, 2, 1, 1, 0.5), n)
    at_home = rng.random(n) < 0.7
    loc[at_home] = np.array([home[int(d)] for d in emp_div[at_home]], dtype=object)
    demographics = {
        "tenure_band": _pick(rng, ("<1y", "1-3y", "3-5y", "5-10y", "10y+"), (1, 3, 2.5, 2, 1.5), n),
        "job_level": np.where(
            is_head,
            _pick(rng, ("M2", "M3"), (2, 1), n),
            _pick(rng, ("G1", "G2", "G3", "G4", "M1"), (2, 3, 3, 1.5, 0.8), n),
        ),
        "location": loc,
        "employment_type": _pick(rng, ("full_time", "contract", "part_time"), (85, 10, 5), n),
        "gender": _pick(rng, ("female", "male", "other", "undisclosed"), (44, 52, 1, 3), n),
        "age_band": _pick(rng, ("20s", "30s", "40s", "50s", "60+"), (3, 3.5, 2.5, 1.5, 0.3), n),
    }
    manager_of = {d: 100_000 + d for d in all_depts}

    # Latent model (1–5 scale, centred on 3).
    person = rng.normal(0.0, 0.45, n)
    team = rng.normal(0.0, 0.25, len(all_depts))
    shock = rng.normal(0.0, 0.15, (len(all_depts), waves))
    driver_weight = np.array([0.30, 0.28, 0.12, 0.05, 0.10, 0.04, 0.06, 0.08])
    driver_mean = np.array([0.05, 0.0, 0.6, 0.7, 0.35, -0.2, 0.2, 0.3])
    team_driver = rng.normal(0.0, 0.2, (len(all_depts), len(DRIVERS)))
    propensity = rng.beta(8.0, 2.0, n)

    qframe = _questions()
    qcode = qframe.get_column("code").to_list()
    qid_of = dict(zip(qcode, qframe.get_column("question_id").to_list(), strict=True))
    asked = [
        c
        for c in PULSE_ITEMS
        if qframe.filter(pl.col("code") == c)["kind"][0] in (catalog.AGREEMENT, catalog.SCALE)
    ] + list(CUSTOM_ITEMS)
    asked_ids = np.array([qid_of[c] for c in asked], dtype=np.int64)
    factor_of = dict(zip(qcode, qframe.get_column("factor_code").to_list(), strict=True))

    frames_r: list[pl.DataFrame] = []
    levels: list[FloatArray] = []
    for w in range(waves):
        who = np.flatnonzero(rng.random(n) < propensity)
        m = who.size
        di = emp_di[who]
        d_lat = (
            driver_mean + 0.5 * person[who, None] + team_driver[di] + rng.normal(0, 0.55, (m, 8))
        )
        eng = (
            0.35
            + (d_lat - driver_mean) @ driver_weight
            + 0.6 * person[who]
            + team[di]
            + shock[di, w]
            + 0.015 * w
            + rng.normal(0.0, 0.3, m)
        )
        level = np.empty((m, len(asked)))
        for j, code in enumerate(asked):
            factor = factor_of[code]
            if factor in ENGAGEMENT:
                level[:, j] = eng + rng.normal(0.0, 0.2, m)
            elif factor == "satisfaction":
                level[:, j] = 0.1 + 0.5 * eng + rng.normal(0.0, 0.5, m)
            elif factor in DRIVERS:
                level[:, j] = d_lat[:, DRIVERS.index(factor)]
            elif factor == "enps":
                level[:, j] = 3.8 + 2.0 * eng  # 0–10 scale: 3 + level below → 6.8 + 2 × eng
            else:
                level[:, j] = 0.3 + 0.4 * eng + rng.normal(0.0, 0.6, m)
        levels.append(level)
        opens = dt.date(2025, 4, 1) + dt.timedelta(days=30 * w)
        frames_r.append(
            pl.DataFrame(
                {
                    "survey_id": np.full(m, FIRST_WAVE + w, dtype=np.int64),
                    "submitted_on": [
                        opens + dt.timedelta(days=int(x)) for x in rng.integers(0, 10, m)
                    ],
                    "department_id": emp_dept[who],
                    "department_path": [paths[int(d)] for d in emp_dept[who]],
                    "manager_id": np.array([manager_of[int(d)] for d in emp_dept[who]]),
                    **{k: pl.Series(k, v[who], dtype=pl.String) for k, v in demographics.items()},
                }
            )
        )
    responses = pl.concat(frames_r)
    total = responses.height
    ids = pl.Series("response_id", [rng.bytes(16).hex() for _ in range(total)], dtype=pl.String)
    responses = responses.insert_column(0, ids)

    level = np.vstack(levels)
    noise = rng.normal(0.0, 0.8, level.shape)
    value = np.rint(3.0 + level + noise)
    is_enps = np.array([factor_of[c] == "enps" for c in asked])
    value[:, is_enps] = np.rint(3.0 + level[:, is_enps] + rng.normal(0.0, 1.5, (total, 1)))
    value = np.where(is_enps, value.clip(0, 10), value.clip(1, 5)).astype(np.int16)
    keep = rng.random(level.shape) >= 0.02
    rows, cols = np.nonzero(keep)
    answers = pl.DataFrame(
        {
            "response_id": ids.gather(rows),
            "question_id": asked_ids[cols],
            "value": pl.Series(value[rows, cols], dtype=pl.Int16),
        }
    )
    ordered = sorted(parent, key=lambda d: paths[d])
    return Dataset(
        answers=answers,
        questions=qframe,
        responses=responses,
        departments=[(d, paths[d], parent[d]) for d in ordered],
        waves=[FIRST_WAVE + w for w in range(waves)],
        teams=len(units),
    )


# --------------------------------------------------------------------------- timing


# --------------------------------------------------------------------------- ours


def ours(data: Dataset, timer: Sections) -> dict[str, Any]:
    """The report through Kizuna's functions, called the way the results page calls them."""
    policy = guard.Policy(k=K)
    codes = list(CODES)
    latest_id = data.waves[-1]
    respondents = scoring.respondent_table(data.answers, data.questions, data.responses)
    latest = respondents.filter(pl.col("survey_id") == latest_id)
    timer.mark("respondent table")

    company = guard.guard_table(scoring.group_scores(latest, [], codes), latest, [], policy)
    timer.mark("company")

    latest_answers = data.answers.join(latest.select("response_id"), on="response_id", how="semi")
    items = scoring.item_table(
        latest_answers, data.questions, data.responses.filter(pl.col("survey_id") == latest_id), []
    )
    items = items.with_columns((pl.col("n") >= policy.k).alias("visible"))
    timer.mark("items")

    table = scoring.group_scores(latest, ["department_id"], codes)
    visibility = guard.guard_groups(latest, ["department_id"], policy)
    heatmap = guard.apply(table, visibility, ["department_id"])
    timer.mark("heatmap (teams)")

    tree_visibility = guard.guard_tree(latest, data.departments, policy)
    tree = guard.apply(
        scoring.subtree_scores(latest, codes),
        tree_visibility.select("department_id", "visible", "reason"),
        ["department_id"],
    )
    timer.mark("heatmap (tree)")

    trend = scoring.group_scores(respondents, ["survey_id"], codes)
    waves = respondents.partition_by("survey_id", as_dict=True)
    frames = [waves[(w,)] for w in data.waves]
    # The latest wave's verdicts are the heatmap's (same frame, same call): reuse them.
    seen = [guard.guard_groups(f, ["department_id"], policy) for f in frames[:-1]]
    seen.append(visibility)
    company_changes = []
    team_changes = []
    # every consecutive pair of waves scored and tested at once
    all_teams = scoring.series_comparison(respondents, list(data.waves), ["department_id"], codes)
    all_company = scoring.series_comparison(respondents, list(data.waves), [], codes)
    by_wave = all_teams.partition_by("survey_id", as_dict=True)
    company_by_wave = all_company.partition_by("survey_id", as_dict=True)
    for i in range(1, len(frames)):
        both = guard.wave_guard(seen[i], seen[i - 1], ["department_id"])
        change = by_wave[(data.waves[i],)].drop("survey_id")
        shown = guard.apply(change, both, ["department_id"], keep=["measure", "test"])
        flag = stats.significant_change(
            shown.get_column("p_value").fill_null(np.nan).to_numpy(),
            ~shown.get_column("suppressed").to_numpy(),
            ~shown.get_column("suppressed").to_numpy(),
            SIGNIFICANCE,
        )
        team_changes.append(
            shown.with_columns(
                pl.lit(data.waves[i]).alias("survey_id"), pl.Series("significant", flag)
            )
        )
        company_changes.append(company_by_wave[(data.waves[i],)])
    timer.mark("trend + team tests")

    alpha = {}
    for code in codes:
        matrix = scoring.factor_item_matrix(latest_answers, data.questions, code)
        alpha[code] = float(stats.cronbach_alpha(matrix))
    timer.mark("cronbach alpha")

    x, y = scoring.driver_matrix(latest, list(DRIVERS))
    weights = drivers.relative_weights(x, y, list(DRIVERS))
    timer.mark("drivers")
    return {
        "company": company,
        "items": items,
        "heatmap": heatmap,
        "tree": tree,
        "trend": trend,
        "company_changes": pl.concat(company_changes),
        "team_changes": pl.concat(team_changes),
        "alpha": alpha,
        "drivers": weights,
    }


# --------------------------------------------------------------------------- duckdb


class _ArrowStream:
    """Hands a polars frame to DuckDB through the Arrow C stream interface (no pyarrow
    needed, no copy); each scan asks for a fresh stream."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    """Run a query and read its whole result (DuckDB refuses new work while a result is
    unread); numeric NULLs become NaN."""
    out: dict[str, Any] = {}
    for name, column in con.execute(sql).fetchnumpy().items():
        if isinstance(column, np.ma.MaskedArray):
            numeric = column.dtype.kind in "iuf"
            column = np.ma.filled(
                column.astype(np.float64 if numeric else object), np.nan if numeric else None
            )
        out[name] = np.asarray(column)
    return out


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql).fetchall()


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _group_by(keys: Sequence[str]) -> tuple[str, str]:
    """The select prefix and GROUP BY clause for ``keys`` (none: one company row)."""
    if not keys:
        return "", ""
    return "".join(f"{k}, " for k in keys), "GROUP BY " + ", ".join(keys)


def _engagement_sql(source: str, keys: Sequence[str]) -> str:
    """Group figures from the respondent table ``r`` (one row per response): counts,
    category shares, the eNPS interval (METRICS.md: ±1.96 × 100 × sqrt((pP + pD − (pP −
    pD)²) / n), clipped to [−100, 100]) and the engagement inputs of Welch's test."""
    select, group = _group_by(keys)
    return f"""
    WITH a AS (
        SELECT {select} count(*) AS respondents, sum(es) AS es, sum(ec) AS ec, sum(ef) AS ef,
            count(category) AS categorised,
            count(*) FILTER (WHERE category = 'engaged') AS n_engaged,
            count(*) FILTER (WHERE category = 'not_engaged') AS n_not_engaged,
            count(*) FILTER (WHERE category = 'actively_disengaged') AS n_disengaged,
            count(enps) AS enps_n,
            count(*) FILTER (WHERE enps >= 9)::DOUBLE / nullif(count(enps), 0) AS pp,
            count(*) FILTER (WHERE enps <= 6)::DOUBLE / nullif(count(enps), 0) AS pd,
            avg(em) AS em_mean, var_samp(em) AS em_var, count(em) AS em_n
        FROM {source} {group}),
    b AS (
        SELECT *, 100.0 * (pp - pd) AS enps,
            1.96 * 100.0 * sqrt(greatest(pp + pd - (pp - pd) ^ 2, 0.0) / enps_n) AS half
        FROM a)
    SELECT * EXCLUDE (es, ef, half),
        CASE WHEN ec > 0 THEN (es / ec - 1.0) / 4.0 * 100.0 END AS engagement_index,
        CASE WHEN ec > 0 THEN 100.0 * ef / ec END AS engagement_favourable,
        100.0 * n_engaged / nullif(categorised, 0) AS engaged,
        100.0 * n_not_engaged / nullif(categorised, 0) AS not_engaged,
        100.0 * n_disengaged / nullif(categorised, 0) AS actively_disengaged,
        least(greatest(enps - half, -100.0), 100.0) AS enps_low,
        least(greatest(enps + half, -100.0), 100.0) AS enps_high
    FROM b"""


def _factor_sql(source: str, keys: Sequence[str]) -> str:
    """Per group × factor from the respondent × factor table ``rfk``: pooled counts, shares
    and 0–100 score, and the counts the two-proportion test needs."""
    select, group = _group_by([*keys, "fi"])
    return f"""
    SELECT {select} sum(c) AS answers, sum(fav) AS fav_count,
        100.0 * sum(fav) / sum(c) AS favourable,
        100.0 * sum(unfav) / sum(c) AS unfavourable,
        (sum(s) / sum(c) - 1.0) / 4.0 * 100.0 AS score
    FROM {source} {group}"""


WAVES_SQL = """o AS (SELECT survey_id, row_number() OVER (ORDER BY survey_id) AS i
                 FROM (SELECT DISTINCT survey_id FROM r))"""

WELCH_SQL = """
    CASE WHEN p.em_n >= 2 AND c.em_n >= 2 THEN
        CASE WHEN p.em_var / p.em_n + c.em_var / c.em_n > 0
                 THEN (p.em_mean - c.em_mean) / sqrt(p.em_var / p.em_n + c.em_var / c.em_n)
             WHEN p.em_mean <> c.em_mean THEN sign(p.em_mean - c.em_mean) * 'inf'::DOUBLE
        END END AS t,
    CASE WHEN p.em_n >= 2 AND c.em_n >= 2 THEN
        (p.em_var / p.em_n + c.em_var / c.em_n) ^ 2
        / ((p.em_var / p.em_n) ^ 2 / (p.em_n - 1) + (c.em_var / c.em_n) ^ 2 / (c.em_n - 1))
    END AS df"""

_POOLED = "((p.fav_count + c.fav_count)::DOUBLE / (p.answers + c.answers))"
_SE = f"sqrt({_POOLED} * (1 - {_POOLED}) * (1.0 / p.answers + 1.0 / c.answers))"
Z_SQL = f"""
    CASE WHEN p.answers > 0 AND c.answers > 0 THEN
        CASE WHEN {_SE} = 0 THEN 0.0
             ELSE (p.fav_count::DOUBLE / p.answers - c.fav_count::DOUBLE / c.answers) / {_SE}
        END END AS z"""


def _pairs_sql(engagement: str, keys: Sequence[str]) -> str:
    """Consecutive waves of a per-wave group table side by side (full join: a group in one
    wave only gets NULLs on the other side), with Welch's t and df (t = ±inf when both
    variances are 0 and the means differ, as scipy; NULL below two observations)."""
    on = "".join(f" AND p.{k} = c.{k}" for k in keys)
    carried = "".join(f"coalesce(c.{k}, p.{k}) AS {k}, " for k in keys)
    order = ", ".join(["o.survey_id", *keys])
    return f"""
    WITH {WAVES_SQL},
    e AS (SELECT x.*, o.i FROM {engagement} x JOIN o USING (survey_id))
    SELECT o.survey_id, {carried} p.respondents AS p_n, c.respondents AS c_n,
        p.engagement_index AS prev_value, c.engagement_index AS curr_value, {WELCH_SQL}
    FROM (SELECT * FROM e WHERE i > 1) c
    FULL JOIN (SELECT * FROM e WHERE i < (SELECT max(i) FROM o)) p ON p.i + 1 = c.i{on}
    JOIN o ON o.i = coalesce(c.i, p.i + 1)
    ORDER BY {order}"""


def _factor_pairs_sql(engagement: str, factors: str, keys: Sequence[str]) -> str:
    """The same per group × factor, with the pooled two-proportion z (0 when the pooled
    share is 0 or 1) and both waves' respondent counts (for the guard's simple rule)."""
    on = "".join(f" AND p.{k} = c.{k}" for k in keys)
    carried = "".join(f"coalesce(c.{k}, p.{k}) AS {k}, " for k in keys)
    prev_size = "".join(f" AND pn.{k} = j.{k}" for k in keys)
    curr_size = "".join(f" AND cn.{k} = j.{k}" for k in keys)
    order = ", ".join(["o.survey_id", *keys, "fi"])
    return f"""
    WITH {WAVES_SQL},
    f AS (SELECT x.*, o.i FROM {factors} x JOIN o USING (survey_id)),
    n AS (SELECT x.*, o.i FROM {engagement} x JOIN o USING (survey_id)),
    j AS (SELECT {carried} coalesce(c.fi, p.fi) AS fi, coalesce(c.i, p.i + 1) AS i,
              p.favourable AS prev_value, c.favourable AS curr_value, {Z_SQL}
          FROM (SELECT * FROM f WHERE i > 1) c
          FULL JOIN (SELECT * FROM f WHERE i < (SELECT max(i) FROM o)) p
              ON p.i + 1 = c.i AND p.fi = c.fi{on})
    SELECT o.survey_id, j.* EXCLUDE (i), pn.respondents AS p_n, cn.respondents AS c_n
    FROM j JOIN o USING (i)
    LEFT JOIN n pn ON pn.i = j.i - 1{prev_size}
    LEFT JOIN n cn ON cn.i = j.i{curr_size}
    ORDER BY {order}"""


def _welch_p(t: FloatArray, df: FloatArray) -> FloatArray:
    """Two-sided p of Welch's t for all rows in one scipy call; ±inf t gives 0."""
    p = 2.0 * sps.t.sf(np.abs(t), df)
    return np.asarray(np.where(np.isinf(t), 0.0, p), dtype=np.float64)


def _z_p(z: FloatArray) -> FloatArray:
    return np.asarray(2.0 * sps.norm.sf(np.abs(z)), dtype=np.float64)


def _relative_weights(corr: FloatArray) -> dict[str, Any]:
    """Johnson's relative weights from the correlation matrix of (drivers…, y)."""
    p = corr.shape[0] - 1
    rxx, rxy = corr[:p, :p], corr[:p, p]
    eigenvalues, vectors = np.linalg.eigh(rxx)
    lam = (vectors * np.sqrt(eigenvalues)) @ vectors.T
    beta = (vectors / np.sqrt(eigenvalues)) @ (vectors.T @ rxy)
    weights = (lam**2) @ (beta**2)
    r2 = float(rxy @ np.linalg.solve(rxx, rxy))
    return {"weights": weights, "shares": weights / r2 * 100.0, "correlations": rxy, "r2": r2}


def duckdb_report(data: Dataset, timer: Sections) -> dict[str, Any]:
    """The same report as hand-written DuckDB SQL over the same frames."""
    con = duckdb.connect(config={"threads": os.cpu_count() or 1})
    try:
        return _duckdb_report(con, data, timer)
    finally:
        con.close()


def _duckdb_report(
    con: duckdb.DuckDBPyConnection, data: Dataset, timer: Sections
) -> dict[str, Any]:
    con.register("answers", _ArrowStream(data.answers))
    con.register("responses", _ArrowStream(data.responses))
    con.register("questions", _ArrowStream(data.questions))
    latest = data.waves[-1]
    positions = " ".join(f"WHEN '{f}' THEN {i}" for i, f in enumerate(CODES))
    engagement = ", ".join(str(CODES.index(f)) for f in ENGAGEMENT)
    # One pass over all answers: per respondent × factor (fi = the factor's position in
    # CODES; the eNPS answer as fi = -1). Long, not one column per factor: DuckDB
    # aggregates four sums per (response, factor) much faster than 48 FILTERed ones.
    _run(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE rf AS
        WITH q AS (
            SELECT question_id,
                CASE WHEN question_id = (SELECT min(question_id) FROM questions
                                         WHERE factor_kind = 'enps' AND kind = 'scale') THEN -1
                     WHEN kind = 'agreement' THEN CASE factor_code {positions} END
                END::INTEGER AS fi
            FROM questions)
        SELECT a.response_id, q.fi, sum(a.value)::BIGINT AS s, count(*) AS c,
            sum((a.value >= 4)::INTEGER) AS fav, sum((a.value <= 2)::INTEGER) AS unfav
        FROM answers a JOIN q USING (question_id)
        WHERE a.value IS NOT NULL AND q.fi IS NOT NULL
        GROUP BY a.response_id, q.fi""",
    )
    _run(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE r AS
        WITH e AS (SELECT response_id, sum(s) AS es, sum(c) AS ec, sum(fav) AS ef
                   FROM rf WHERE fi IN ({engagement}) GROUP BY response_id),
             n AS (SELECT response_id, s AS enps FROM rf WHERE fi = -1)
        SELECT p.response_id, p.survey_id, p.department_id, p.department_path,
            coalesce(e.es, 0) AS es, coalesce(e.ec, 0) AS ec, coalesce(e.ef, 0) AS ef,
            CASE WHEN e.ec > 0 THEN e.es::DOUBLE / e.ec END AS em,
            CASE WHEN e.ec > 0 THEN CASE WHEN e.es >= 4 * e.ec THEN 'engaged'
                                         WHEN e.es <= 2 * e.ec THEN 'actively_disengaged'
                                         ELSE 'not_engaged' END END AS category,
            n.enps
        FROM responses p LEFT JOIN e USING (response_id) LEFT JOIN n USING (response_id)""",
    )
    _run(
        con,
        """
        CREATE OR REPLACE TEMP TABLE rfk AS
        SELECT rf.response_id, rf.fi, rf.s, rf.c, rf.fav, rf.unfav,
            rf.s::DOUBLE / rf.c AS m, r.survey_id, r.department_id, r.department_path
        FROM rf JOIN r USING (response_id) WHERE rf.fi >= 0""",
    )
    timer.mark("respondent table")

    # Per wave (the trend; its latest row is the company) and per wave × team (the latest
    # wave is the heatmap; all waves feed the team tests).
    _run(con, f"CREATE OR REPLACE TEMP TABLE we AS {_engagement_sql('r', ['survey_id'])}")
    _run(con, f"CREATE OR REPLACE TEMP TABLE wf AS {_factor_sql('rfk', ['survey_id'])}")
    trend_e = _fetch(con, "SELECT * FROM we ORDER BY survey_id")
    trend_f = _fetch(con, "SELECT * FROM wf ORDER BY survey_id, fi")
    timer.mark("company + trend")
    team = ["survey_id", "department_id"]
    _run(con, f"CREATE OR REPLACE TEMP TABLE te AS {_engagement_sql('r', team)}")
    _run(con, f"CREATE OR REPLACE TEMP TABLE tf AS {_factor_sql('rfk', team)}")
    heat_e = _fetch(con, f"SELECT * FROM te WHERE survey_id = {latest} ORDER BY department_id")
    heat_f = _fetch(con, f"SELECT * FROM tf WHERE survey_id = {latest} ORDER BY department_id, fi")
    timer.mark("heatmap (teams)")

    def exploded(table: str) -> str:
        return f"""(SELECT * EXCLUDE (department_id),
                unnest(string_split(trim(department_path, '/'), '/'))::BIGINT AS department_id
            FROM {table} WHERE survey_id = {latest})"""

    tree_e = _fetch(con, _engagement_sql(exploded("r"), ["department_id"]) + " ORDER BY 1")
    tree_f = _fetch(con, _factor_sql(exploded("rfk"), ["department_id"]) + " ORDER BY 1, 2")
    timer.mark("heatmap (tree)")

    # Consecutive waves: statistics in SQL, p-values in one scipy call per test.
    team_pairs = _fetch(con, _pairs_sql("te", ["department_id"]))
    team_pairs["p_test"] = _welch_p(team_pairs["t"], team_pairs["df"])
    team_factor_pairs = _fetch(con, _factor_pairs_sql("te", "tf", ["department_id"]))
    team_factor_pairs["p_test"] = _z_p(team_factor_pairs["z"])
    wave_pairs = _fetch(con, _pairs_sql("we", []))
    wave_pairs["p_test"] = _welch_p(wave_pairs["t"], wave_pairs["df"])
    wave_factor_pairs = _fetch(con, _factor_pairs_sql("we", "wf", []))
    wave_factor_pairs["p_test"] = _z_p(wave_factor_pairs["z"])
    timer.mark("trend + team tests")

    _run(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE la AS
        SELECT a.response_id, a.question_id, a.value FROM answers a
        SEMI JOIN (SELECT response_id FROM responses WHERE survey_id = {latest}) p
            USING (response_id)
        WHERE a.value IS NOT NULL""",
    )
    items = _fetch(
        con,
        """
        SELECT q.question_id, count(*) AS n, avg(la.value) AS mean,
            CASE WHEN q.kind = 'agreement'
                THEN 100.0 * count(*) FILTER (WHERE value >= 4) / count(*) END AS favourable,
            CASE WHEN q.kind = 'agreement'
                THEN 100.0 * count(*) FILTER (WHERE value = 3) / count(*) END AS neutral,
            CASE WHEN q.kind = 'agreement'
                THEN 100.0 * count(*) FILTER (WHERE value <= 2) / count(*) END AS unfavourable
        FROM la JOIN questions q USING (question_id)
        WHERE q.kind IN ('agreement', 'scale')
        GROUP BY q.question_id, q.kind ORDER BY q.question_id""",
    )
    timer.mark("items")

    # Cronbach's alpha: respondents who answered every item of the factor (listwise).
    alpha_rows = _fetch(
        con,
        f"""
        WITH x AS (SELECT la.response_id, la.question_id, la.value::DOUBLE AS v,
                       q.factor_code AS f
                   FROM la JOIN questions q USING (question_id)
                   WHERE q.kind = 'agreement' AND q.factor_code IN ({_sql_list(CODES)})),
        kf AS (SELECT f, count(DISTINCT question_id) AS k FROM x GROUP BY f),
        per AS (SELECT f, response_id, count(*) AS c, sum(v) AS tot FROM x GROUP BY ALL),
        ok AS (SELECT per.f, per.response_id, per.tot FROM per JOIN kf USING (f)
               WHERE per.c = kf.k),
        iv AS (SELECT x.f, x.question_id, var_samp(x.v) AS vi
               FROM x SEMI JOIN ok ON ok.f = x.f AND ok.response_id = x.response_id
               GROUP BY ALL),
        tv AS (SELECT f, var_samp(tot) AS vt, count(*) AS n FROM ok GROUP BY f),
        s AS (SELECT f, sum(vi) AS svi FROM iv GROUP BY f)
        SELECT f, CASE WHEN kf.k >= 2 AND tv.n >= 2 AND tv.vt > 0
                  THEN kf.k / (kf.k - 1.0) * (1.0 - s.svi / tv.vt) END AS alpha
        FROM s JOIN tv USING (f) JOIN kf USING (f) ORDER BY f""",
    )
    timer.mark("cronbach alpha")

    columns = [f"d{i}" for i in range(len(DRIVERS))] + ["y"]
    wide = ", ".join(
        f"max(m) FILTER (WHERE fi = {CODES.index(d)}) AS d{i}" for i, d in enumerate(DRIVERS)
    )
    pairs = [(i, j) for i in range(len(columns)) for j in range(i + 1, len(columns))]
    complete = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    correlations = _fetch(
        con,
        f"""
        WITH w AS (SELECT response_id, {wide} FROM rfk
                   WHERE survey_id = {latest} AND fi IN ({
            ", ".join(str(CODES.index(d)) for d in DRIVERS)
        })
                   GROUP BY response_id),
        c AS (SELECT w.*, r.em AS y FROM w JOIN r USING (response_id) WHERE {complete})
        SELECT count(*) AS n,
            {", ".join(f"corr({columns[i]}, {columns[j]}) AS c_{i}_{j}" for i, j in pairs)}
        FROM c""",
    )
    corr = np.eye(len(columns))
    for i, j in pairs:
        corr[i, j] = corr[j, i] = float(correlations[f"c_{i}_{j}"][0])
    weights = _relative_weights(corr) | {"n": int(correlations["n"][0])}
    timer.mark("drivers")
    return {
        "trend_e": trend_e,
        "trend_f": trend_f,
        "heat_e": heat_e,
        "heat_f": heat_f,
        "tree_e": tree_e,
        "tree_f": tree_f,
        "team_pairs": team_pairs,
        "team_factor_pairs": team_factor_pairs,
        "wave_pairs": wave_pairs,
        "wave_factor_pairs": wave_factor_pairs,
        "items": items,
        "alpha": {
            str(f): float(a) for f, a in zip(alpha_rows["f"], alpha_rows["alpha"], strict=True)
        },
        "drivers": weights,
    }


# --------------------------------------------------------------------------- pandas


@dataclass(frozen=True)
class PandasData:
    answers: pd.DataFrame
    questions: pd.DataFrame
    responses: pd.DataFrame
    waves: list[int]


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """Column by column through numpy (no pyarrow on this machine); strings become
    pandas' default string dtype."""
    return pd.DataFrame({name: frame.get_column(name).to_numpy() for name in frame.columns})


def _group_figures(r: pd.DataFrame, keys: list[str], codes: Sequence[str]) -> pd.DataFrame:
    """Group figures from the wide respondent frame with one groupby/agg."""
    named: dict[str, tuple[str, str]] = {
        "respondents": ("es", "size"),
        "es": ("es", "sum"),
        "ec": ("ec", "sum"),
        "ef": ("ef", "sum"),
        "categorised": ("category", "count"),
        "n_engaged": ("is_engaged", "sum"),
        "n_not_engaged": ("is_not_engaged", "sum"),
        "n_disengaged": ("is_disengaged", "sum"),
        "enps_n": ("enps", "count"),
        "promoters": ("is_promoter", "sum"),
        "detractors": ("is_detractor", "sum"),
        "em_mean": ("em", "mean"),
        "em_var": ("em", "var"),
        "em_n": ("em", "count"),
    }
    for f in codes:
        named |= {
            f"{f}__answers": (f"{f}__c", "sum"),
            f"{f}__fav_count": (f"{f}__fav", "sum"),
            f"{f}__unfav_count": (f"{f}__unfav", "sum"),
            f"{f}__sum": (f"{f}__s", "sum"),
            f"{f}__m_mean": (f"{f}__m", "mean"),
            f"{f}__m_var": (f"{f}__m", "var"),
            f"{f}__m_n": (f"{f}__m", "count"),
        }
    g = r.groupby(keys if keys else np.zeros(len(r), dtype=np.int8)).agg(**named)
    ec = g["ec"].where(g["ec"] > 0)
    categorised = g["categorised"].where(g["categorised"] > 0)
    n = g["enps_n"].where(g["enps_n"] > 0)
    pp, pd_ = g["promoters"] / n, g["detractors"] / n
    enps = 100.0 * (pp - pd_)
    half = 1.96 * 100.0 * np.sqrt((pp + pd_ - (pp - pd_) ** 2).clip(lower=0.0) / n)
    derived: dict[str, pd.Series] = {
        "engagement_index": (g["es"] / ec - 1.0) / 4.0 * 100.0,
        "engagement_favourable": 100.0 * g["ef"] / ec,
        "engaged": 100.0 * g["n_engaged"] / categorised,
        "not_engaged": 100.0 * g["n_not_engaged"] / categorised,
        "actively_disengaged": 100.0 * g["n_disengaged"] / categorised,
        "enps": enps,
        "enps_low": (enps - half).clip(-100.0, 100.0),
        "enps_high": (enps + half).clip(-100.0, 100.0),
    }
    for f in codes:
        answers = g[f"{f}__answers"].where(g[f"{f}__answers"] > 0)
        derived[f"{f}__favourable"] = 100.0 * g[f"{f}__fav_count"] / answers
        derived[f"{f}__unfavourable"] = 100.0 * g[f"{f}__unfav_count"] / answers
        derived[f"{f}__score"] = (g[f"{f}__sum"] / answers - 1.0) / 4.0 * 100.0
    return pd.concat([g, pd.DataFrame(derived)], axis=1)


def _pandas_pairs(g: pd.DataFrame, keys: list[str], codes: Sequence[str]) -> pd.DataFrame:
    """Consecutive waves side by side per group (outer merge on the wave number)."""
    g = g.reset_index()
    order = {w: i for i, w in enumerate(sorted(g["survey_id"].unique()))}
    g["i"] = g["survey_id"].map(order)
    last = len(order) - 1
    curr = g[g["i"] > 0]
    prev = g[g["i"] < last].assign(i=lambda d: d["i"] + 1)
    both = curr.drop(columns="survey_id").merge(
        prev.drop(columns="survey_id"), on=[*keys, "i"], how="outer", suffixes=("", "_p")
    )
    waves = sorted(order)
    a = both["em_var_p"] / both["em_n_p"]
    b = both["em_var"] / both["em_n"]
    defined = (both["em_n_p"] >= 2) & (both["em_n"] >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = ((both["em_mean_p"] - both["em_mean"]) / np.sqrt(a + b)).where(defined)
        df = ((a + b) ** 2 / (a**2 / (both["em_n_p"] - 1) + b**2 / (both["em_n"] - 1))).where(
            defined
        )
    tests = {
        "survey_id": np.asarray(waves)[both["i"].to_numpy()],
        "engagement_index__p_value": _welch_p(t.to_numpy(float), df.to_numpy(float)),
    }
    for f in codes:
        x1, n1 = both[f"{f}__fav_count_p"], both[f"{f}__answers_p"]
        x2, n2 = both[f"{f}__fav_count"], both[f"{f}__answers"]
        pooled = (x1 + x2) / (n1 + n2)
        with np.errstate(divide="ignore", invalid="ignore"):
            se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
            z = ((x1 / n1 - x2 / n2) / se).where(se > 0, 0.0).where((n1 > 0) & (n2 > 0))
        tests[f"{f}__p_value"] = _z_p(z.to_numpy(float))
    both = pd.concat([both, pd.DataFrame(tests, index=both.index)], axis=1)
    return both.sort_values(["survey_id", *keys])


def pandas_report(data: PandasData, timer: Sections) -> dict[str, Any]:
    """The same report in idiomatic pandas: merge, groupby/agg, unstack, pivot."""
    a, q, responses = data.answers, data.questions, data.responses
    codes = list(CODES)
    latest = data.waves[-1]
    enps_q = q.loc[(q["factor_kind"] == "enps") & (q["kind"] == "scale"), "question_id"].min()
    wanted = q[
        ((q["kind"] == "agreement") & q["factor_code"].notna()) | (q["question_id"] == enps_q)
    ]
    scored = a.dropna(subset=["value"]).merge(
        wanted[["question_id", "factor_code"]], on="question_id"
    )
    scored["fav"] = scored["value"] >= 4
    scored["unfav"] = scored["value"] <= 2
    per = scored.groupby(["response_id", "factor_code"]).agg(
        s=("value", "sum"), c=("value", "size"), fav=("fav", "sum"), unfav=("unfav", "sum")
    )
    wide = per.unstack("factor_code")
    r = responses.set_index("response_id")[["survey_id", "department_id", "department_path"]]
    wide = wide.reindex(r.index)
    engagement = [f for f in q.loc[q["factor_kind"] == "engagement", "factor_code"].unique() if f]
    r = r.assign(
        es=wide["s"][engagement].sum(axis=1),
        ec=wide["c"][engagement].sum(axis=1),
        ef=wide["fav"][engagement].sum(axis=1),
        enps=wide["s"]["enps"],
    )
    r["em"] = (r["es"] / r["ec"]).where(r["ec"] > 0)
    r["category"] = pd.Series(
        np.select(
            [r["es"] >= 4 * r["ec"], r["es"] <= 2 * r["ec"]],
            ["engaged", "actively_disengaged"],
            "not_engaged",
        ),
        index=r.index,
    ).where(r["ec"] > 0)
    r["is_engaged"] = r["category"] == "engaged"
    r["is_not_engaged"] = r["category"] == "not_engaged"
    r["is_disengaged"] = r["category"] == "actively_disengaged"
    r["is_promoter"] = r["enps"] >= 9
    r["is_detractor"] = r["enps"] <= 6
    per_factor: dict[str, pd.Series] = {}
    for f in codes:
        c = wide["c"][f].fillna(0)
        per_factor[f"{f}__s"] = wide["s"][f].fillna(0)
        per_factor[f"{f}__c"] = c
        per_factor[f"{f}__fav"] = wide["fav"][f].fillna(0)
        per_factor[f"{f}__unfav"] = wide["unfav"][f].fillna(0)
        per_factor[f"{f}__m"] = (per_factor[f"{f}__s"] / c).where(c > 0)
    r = r.assign(**per_factor)
    timer.mark("respondent table")

    trend = _group_figures(r, ["survey_id"], codes)
    timer.mark("company + trend")
    teams = _group_figures(r, ["survey_id", "department_id"], codes)
    heatmap = teams.loc[latest]
    timer.mark("heatmap (teams)")

    current = r[r["survey_id"] == latest]
    exploded = current.assign(
        department_id=current["department_path"].str.strip("/").str.split("/")
    ).explode("department_id")
    exploded["department_id"] = exploded["department_id"].astype("int64")
    tree = _group_figures(exploded, ["department_id"], codes)
    timer.mark("heatmap (tree)")

    team_changes = _pandas_pairs(teams, ["department_id"], codes)
    company_changes = _pandas_pairs(trend, [], codes)
    timer.mark("trend + team tests")

    latest_ids = responses.loc[responses["survey_id"] == latest, "response_id"]
    la = (
        a[a["response_id"].isin(latest_ids)]
        .dropna(subset=["value"])
        .merge(q[["question_id", "factor_code", "kind"]], on="question_id")
    )
    la = la[la["kind"].isin(["agreement", "scale"])]
    la = la.assign(
        favourable=100.0 * (la["value"] >= 4),
        neutral=100.0 * (la["value"] == 3),
        unfavourable=100.0 * (la["value"] <= 2),
    )
    items = la.groupby("question_id").agg(
        n=("value", "size"),
        mean=("value", "mean"),
        favourable=("favourable", "mean"),
        neutral=("neutral", "mean"),
        unfavourable=("unfavourable", "mean"),
        kind=("kind", "first"),
    )
    items.loc[items["kind"] != "agreement", ["favourable", "neutral", "unfavourable"]] = np.nan
    timer.mark("items")

    alpha = {}
    agreement = la[la["kind"] == "agreement"]
    for f, rows in agreement[agreement["factor_code"].isin(codes)].groupby("factor_code"):
        matrix = rows.pivot(index="response_id", columns="question_id", values="value").dropna()
        k = matrix.shape[1]
        total_var = matrix.sum(axis=1).var()
        alpha[str(f)] = (
            k / (k - 1) * (1.0 - matrix.var().sum() / total_var)
            if k >= 2 and len(matrix) >= 2 and total_var > 0
            else np.nan
        )
    timer.mark("cronbach alpha")

    complete = current[[f"{d}__m" for d in DRIVERS] + ["em"]].dropna()
    weights = _relative_weights(complete.corr().to_numpy()) | {"n": len(complete)}
    timer.mark("drivers")
    return {
        "trend": trend,
        "heatmap": heatmap,
        "tree": tree,
        "team_changes": team_changes,
        "company_changes": company_changes,
        "items": items,
        "alpha": alpha,
        "drivers": weights,
    }


# --------------------------------------------------------------------------- agreement

GROUP_MEASURES = (
    "respondents",
    "engagement_index",
    "engagement_favourable",
    "engaged",
    "not_engaged",
    "actively_disengaged",
    "enps",
    "enps_low",
    "enps_high",
    "enps_n",
)
FACTOR_MEASURES = ("answers", "favourable", "unfavourable", "score")
CHANGE_FIELDS = ("prev_value", "curr_value", "diff", "p_value")
ITEM_MEASURES = ("n", "mean", "favourable", "neutral", "unfavourable")


def _f64(values: Any) -> FloatArray:
    if isinstance(values, pl.Series):
        return values.cast(pl.Float64).fill_null(np.nan).to_numpy()
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(values, dtype=np.float64)


def _rows(table: str, keys: Sequence[str], visible: Any, columns: dict[str, Any]) -> pl.DataFrame:
    """Canonical long form: table, key, measure, value (null for NaN), visible."""
    shown = np.asarray(visible, dtype=bool)
    parts = [
        pl.DataFrame(
            {
                "table": table,
                "key": list(keys),
                "measure": measure,
                "value": pl.Series(_f64(values)).fill_nan(None),
                "visible": shown,
            }
        )
        for measure, values in columns.items()
    ]
    return pl.concat(parts) if parts else pl.DataFrame()


def _group_columns(frame: Any) -> dict[str, Any]:
    """The compared columns of a wide group table (Kizuna's names; pandas uses them too)."""
    names = [*GROUP_MEASURES, *[f"{f}__{m}" for f in CODES for m in FACTOR_MEASURES]]
    return {name: frame[name] for name in names}


def _keys(prefix: str, values: Any) -> list[str]:
    return [f"{prefix}={int(v)}" for v in np.asarray(values)]


def _driver_rows(table: str, result: dict[str, Any]) -> pl.DataFrame:
    return pl.concat(
        [
            _rows(
                table,
                list(DRIVERS),
                np.ones(len(DRIVERS)),
                {
                    "weight": result["weights"],
                    "share": result["shares"],
                    "correlation": result["correlations"],
                },
            ),
            _rows(table, ["model"], [True], {"r2": [result["r2"]], "n": [result["n"]]}),
        ]
    )


def _alpha_rows(alpha: dict[str, float]) -> pl.DataFrame:
    return _rows("alpha", list(CODES), np.ones(len(CODES)), {"alpha": [alpha[c] for c in CODES]})


def canonical_ours(out: dict[str, Any], waves: list[int]) -> pl.DataFrame:
    parts = []
    company = out["company"]
    parts.append(_rows("company", ["all"], ~company["suppressed"], _group_columns(company)))
    items = out["items"]
    parts.append(
        _rows(
            "items",
            _keys("q", items["question_id"]),
            items["visible"],
            {m: items[m] for m in ITEM_MEASURES},
        )
    )
    for table in ("heatmap", "tree"):
        frame = out[table]
        parts.append(
            _rows(
                table,
                _keys("d", frame["department_id"]),
                ~frame["suppressed"],
                _group_columns(frame),
            )
        )
    trend = out["trend"]
    parts.append(
        _rows(
            "trend",
            _keys("w", trend["survey_id"]),
            trend["respondents"] >= K,
            _group_columns(trend),
        )
    )
    for table, frame in (
        ("company_changes", out["company_changes"]),
        ("team_changes", out["team_changes"]),
    ):
        if table == "team_changes":
            keys = [
                f"w={w}|d={d}"
                for w, d in zip(frame["survey_id"], frame["department_id"], strict=True)
            ]
            visible = ~frame["suppressed"].to_numpy()
            fields: tuple[str, ...] = (*CHANGE_FIELDS, "significant")
        else:
            keys = _keys("w", frame["survey_id"])
            visible = np.ones(frame.height, dtype=bool)
            fields = CHANGE_FIELDS
        measures = frame["measure"].to_list()
        for name in fields:
            long = _rows(table, keys, visible, {"": frame[name]})
            parts.append(long.with_columns(pl.Series("measure", [f"{m}:{name}" for m in measures])))
    parts.append(_alpha_rows(out["alpha"]))
    result = out["drivers"]
    parts.append(
        _driver_rows(
            "drivers",
            {
                "weights": result.weights,
                "shares": result.shares,
                "correlations": result.correlations,
                "r2": result.r2,
                "n": result.n,
            },
        )
    )
    return pl.concat(parts)


def _sql_groups(
    table: str, prefix: str, e: dict[str, Any], f: dict[str, Any], key: str, only: Any = None
) -> pl.DataFrame:
    """Engagement part (one row per group) plus factor part (group × factor) → long;
    ``only`` keeps one value of ``key`` (the latest wave for the company figures)."""
    me = np.ones(len(e[key]), dtype=bool) if only is None else e[key] == only
    mf = np.ones(len(f[key]), dtype=bool) if only is None else f[key] == only
    keys = ["all" if only is not None else f"{prefix}={int(v)}" for v in e[key][me]]
    sizes = dict(zip(keys, e["respondents"][me], strict=True))
    parts = [_rows(table, keys, e["respondents"][me] >= K, {m: e[m][me] for m in GROUP_MEASURES})]
    fkeys = ["all" if only is not None else f"{prefix}={int(v)}" for v in f[key][mf]]
    fvisible = np.array([sizes.get(k, 0) >= K for k in fkeys], dtype=bool)
    names = [CODES[int(i)] for i in f["fi"][mf]]
    for m in FACTOR_MEASURES:
        long = _rows(table, fkeys, fvisible, {"": f[m][mf]})
        parts.append(long.with_columns(pl.Series("measure", [f"{x}__{m}" for x in names])))
    return pl.concat(parts)


def _sql_changes(table: str, e: dict[str, Any], f: dict[str, Any], team: bool) -> pl.DataFrame:
    parts = []
    for frame, factors in ((e, False), (f, True)):
        if team:
            keys = [
                f"w={int(w)}|d={int(d)}"
                for w, d in zip(frame["survey_id"], frame["department_id"], strict=True)
            ]
            visible = (np.nan_to_num(_f64(frame["p_n"])) >= K) & (
                np.nan_to_num(_f64(frame["c_n"])) >= K
            )
        else:
            keys = _keys("w", frame["survey_id"])
            visible = np.ones(len(keys), dtype=bool)
        names = (
            [CODES[int(i)] for i in frame["fi"]] if factors else ["engagement_index"] * len(keys)
        )
        prev, curr = _f64(frame["prev_value"]), _f64(frame["curr_value"])
        p_value = _f64(frame["p_test"])
        values: dict[str, Any] = {
            "prev_value": prev,
            "curr_value": curr,
            "diff": curr - prev,
            "p_value": p_value,
        }
        if team:
            with np.errstate(invalid="ignore"):
                values["significant"] = (p_value < SIGNIFICANCE) & visible
        for name, column in values.items():
            long = _rows(table, keys, visible, {"": column})
            parts.append(long.with_columns(pl.Series("measure", [f"{m}:{name}" for m in names])))
    return pl.concat(parts)


def canonical_duckdb(out: dict[str, Any], waves: list[int]) -> pl.DataFrame:
    items = out["items"]
    parts = [
        _sql_groups("company", "", out["trend_e"], out["trend_f"], "survey_id", waves[-1]),
        _rows(
            "items",
            _keys("q", items["question_id"]),
            items["n"] >= K,
            {m: items[m] for m in ITEM_MEASURES},
        ),
        _sql_groups("heatmap", "d", out["heat_e"], out["heat_f"], "department_id"),
        _sql_groups("tree", "d", out["tree_e"], out["tree_f"], "department_id"),
        _sql_groups("trend", "w", out["trend_e"], out["trend_f"], "survey_id"),
        _sql_changes("company_changes", out["wave_pairs"], out["wave_factor_pairs"], False),
        _sql_changes("team_changes", out["team_pairs"], out["team_factor_pairs"], True),
        _alpha_rows(out["alpha"]),
        _driver_rows("drivers", out["drivers"]),
    ]
    return pl.concat(parts)


def _pandas_changes(table: str, frame: pd.DataFrame, team: bool) -> pl.DataFrame:
    if team:
        keys = [
            f"w={int(w)}|d={int(d)}"
            for w, d in zip(frame["survey_id"], frame["department_id"], strict=True)
        ]
        visible = (frame["respondents"].fillna(0) >= K).to_numpy() & (
            frame["respondents_p"].fillna(0) >= K
        ).to_numpy()
    else:
        keys = _keys("w", frame["survey_id"])
        visible = np.ones(len(keys), dtype=bool)
    parts = []
    for measure, column in [
        ("engagement_index", "engagement_index"),
        *[(f, f"{f}__favourable") for f in CODES],
    ]:
        p_value = _f64(frame[f"{measure}__p_value"])
        values = {
            "prev_value": frame[f"{column}_p"],
            "curr_value": frame[column],
            "diff": _f64(frame[column]) - _f64(frame[f"{column}_p"]),
            "p_value": p_value,
        }
        if team:
            with np.errstate(invalid="ignore"):
                values["significant"] = (p_value < SIGNIFICANCE) & visible
        for name, values_ in values.items():
            long = _rows(table, keys, visible, {"": values_})
            parts.append(long.with_columns(pl.lit(f"{measure}:{name}").alias("measure")))
    return pl.concat(parts)


def canonical_pandas(out: dict[str, Any], waves: list[int]) -> pl.DataFrame:
    trend = out["trend"]
    company = trend.loc[[waves[-1]]]
    items = out["items"].reset_index()
    parts = [
        _rows("company", ["all"], company["respondents"] >= K, _group_columns(company)),
        _rows(
            "items",
            _keys("q", items["question_id"]),
            items["n"] >= K,
            {m: items[m] for m in ITEM_MEASURES},
        ),
    ]
    for table in ("heatmap", "tree"):
        frame = out[table]
        parts.append(
            _rows(table, _keys("d", frame.index), frame["respondents"] >= K, _group_columns(frame))
        )
    parts.append(
        _rows("trend", _keys("w", trend.index), trend["respondents"] >= K, _group_columns(trend))
    )
    parts.append(_pandas_changes("company_changes", out["company_changes"], False))
    parts.append(_pandas_changes("team_changes", out["team_changes"], True))
    parts.append(_alpha_rows(out["alpha"]))
    parts.append(_driver_rows("drivers", out["drivers"]))
    return pl.concat(parts)


@dataclass
class Agreement:
    left: str
    right: str
    compared: int = 0
    max_diff: float = 0.0
    worst: str = ""
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    extra_hidden: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def compare(
    left: pl.DataFrame, right: pl.DataFrame, names: tuple[str, str], left_guards: bool
) -> Agreement:
    """Compare two canonical reports. Values are compared where both sides show the group;
    a group the right side hides (n < k) must be hidden on the left too. With
    ``left_guards`` the left side may hide more (complementary suppression): counted per
    table, not an error."""
    result = Agreement(*names)
    on = ["table", "key", "measure"]
    joined = left.join(right, on=on, how="full", coalesce=True, suffix="_r")
    lv = pl.col("visible").fill_null(False)
    rv = pl.col("visible_r").fill_null(False)

    def fail(frame: pl.DataFrame, why: str) -> None:
        result.error_count += frame.height
        for row in frame.head(5).iter_rows(named=True):
            result.errors.append(
                f"{row['table']} {row['key']} {row['measure']}: {why} "
                f"({names[0]}={row['value']}, {names[1]}={row['value_r']})"
            )

    fail(joined.filter(lv & ~rv), f"shown by {names[0]} but not by {names[1]}")
    only_right = joined.filter(~lv & rv)
    fail(only_right.filter(pl.col("visible").is_null()), f"missing from {names[0]}")
    hidden = only_right.filter(pl.col("visible").is_not_null())
    if left_guards:
        counts = hidden.select("table", "key").unique().group_by("table").len()
        result.extra_hidden = dict(counts.iter_rows())
    else:
        fail(hidden, f"hidden by {names[0]} but shown by {names[1]}")
    both = joined.filter(lv & rv)
    a, b = pl.col("value"), pl.col("value_r")
    fail(both.filter(a.is_null() != b.is_null()), "null on one side only")
    valued = both.filter(a.is_not_null() & b.is_not_null()).with_columns(
        (a - b).abs().alias("diff")
    )
    result.compared = valued.height
    if valued.height:
        worst = valued.sort("diff", descending=True).row(0, named=True)
        result.max_diff = float(worst["diff"])
        result.worst = f"{worst['table']} {worst['key']} {worst['measure']}"
    fail(valued.filter(pl.col("diff") > TOLERANCE), f"differs by more than {TOLERANCE:g}")
    return result


# --------------------------------------------------------------------------- main


SECTION_ORDER = (
    "respondent table",
    "company",
    "company + trend",
    "items",
    "heatmap (teams)",
    "heatmap (tree)",
    "trend + team tests",
    "cronbach alpha",
    "drivers",
)


def _machine() -> str:
    return machine(
        f"polars {pl.__version__}, duckdb {duckdb.__version__}, pandas {pd.__version__}, "
        f"numpy {np.__version__}; OPENBLAS_CORETYPE="
        f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}"
    )


def _profile(data: Dataset, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    ours(data, Sections())
    profiler.disable()
    for key in ("cumulative", "tottime"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(key).print_stats(top)
        text = buffer.getvalue()
        print(f"\ncProfile of one run of Kizuna's report, sorted by {key}:")
        print(text[text.find("   ncalls") :].rstrip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--waves", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after one warm-up")
    parser.add_argument("--profile", action="store_true", help="cProfile one run of ours")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    if args.waves < 2 or args.employees < 50 or args.repeat < 1:
        parser.error("need --waves ≥ 2, --employees ≥ 50 and --repeat ≥ 1")

    started = time.perf_counter()
    data = generate(args.employees, args.waves, args.seed)
    pdata = PandasData(
        to_pandas(data.answers),
        to_pandas(data.questions),
        to_pandas(data.responses),
        data.waves,
    )
    latest_n = data.responses.filter(pl.col("survey_id") == data.waves[-1]).height
    print(
        f"survey_report: {args.employees:,} employees, {len(data.departments)} departments "
        f"({data.teams} teams), {args.waves} waves, {data.responses.height:,} responses, "
        f"{data.answers.height:,} numeric answers (latest wave: {latest_n:,} responses), "
        f"k = {K}, seed {args.seed}; data generated in {time.perf_counter() - started:.1f} s"
    )
    print(f"machine: {_machine()}")
    load_before = os.getloadavg()

    runs = measure_runs(
        [
            ("kizuna (ours)", lambda t: ours(data, t)),
            ("duckdb SQL", lambda t: duckdb_report(data, t)),
            ("pandas", lambda t: pandas_report(pdata, t)),
        ],
        args.repeat,
    )
    mine, sql, frame = runs
    load_after = os.getloadavg()
    print()
    print(
        f"| implementation | best of {args.repeat} (s) | median (s) | CPU of best (s) "
        "| peak RSS (MB) | peak above start (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for run in runs:
        process = " (process)" if run.peak_is_process else ""
        print(
            f"| {run.name} | {run.best:.3f} | {statistics.median(run.times):.3f} "
            f"| {run.cpu:.2f} | {run.peak_mb:.0f}{process} | {run.delta_mb:.0f} |"
        )
    ratio_sql = mine.best / sql.best
    ratio_pandas = mine.best / frame.best
    print()
    print(
        f"ours / duckdb = {ratio_sql:.2f}×   ours / pandas = {ratio_pandas:.2f}×   "
        f"(duckdb / pandas = {sql.best / frame.best:.2f}×)"
    )

    print(
        "load average (1 min) before/after the runs: "
        f"{load_before[0]:.2f} / {load_after[0]:.2f} on {os.cpu_count()} cores"
    )
    print()
    print("| section (best run, s) | " + " | ".join(r.name for r in runs) + " |")
    print("|---|" + "---:|" * len(runs))
    for section in SECTION_ORDER:
        cells = [f"{r.sections[section]:.3f}" if section in r.sections else "—" for r in runs]
        if any(c != "—" for c in cells):
            print(f"| {section} | " + " | ".join(cells) + " |")

    reports = {
        mine.name: canonical_ours(mine.result, data.waves),
        sql.name: canonical_duckdb(sql.result, data.waves),
        frame.name: canonical_pandas(frame.result, data.waves),
    }
    checks = [
        compare(reports[mine.name], reports[sql.name], (mine.name, sql.name), True),
        compare(reports[mine.name], reports[frame.name], (mine.name, frame.name), True),
        compare(reports[sql.name], reports[frame.name], (sql.name, frame.name), False),
    ]
    print()
    for check in checks:
        status = "agree" if check.ok else f"DISAGREE ({check.error_count} problems)"
        print(
            f"{check.left} vs {check.right}: {status}; {check.compared:,} numbers compared, "
            f"max |diff| = {check.max_diff:.2e} (at {check.worst or '—'}, "
            f"tolerance {TOLERANCE:g})"
        )
        for line in check.errors[:10]:
            print(f"    {line}")
    extra = checks[0].extra_hidden
    if extra:
        listed = ", ".join(f"{table}: {n}" for table, n in sorted(extra.items()))
        print(
            "guard: groups Kizuna hides beyond n < k (complementary suppression; the "
            f"references apply only n < k, so these are not compared): {listed}"
        )

    goals = [
        (f"ours ≤ 1.5× duckdb SQL ({ratio_sql:.2f}×)", ratio_sql <= 1.5),
        (f"ours faster than pandas ({ratio_pandas:.2f}×)", ratio_pandas < 1.0),
        ("all three agree", all(c.ok for c in checks)),
    ]
    print()
    for text, passed in goals:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    if args.profile:
        _profile(data, 30)
    if not all(c.ok for c in checks):
        return 1
    if args.strict and not all(passed for _, passed in goals):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
