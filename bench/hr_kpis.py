"""HR KPI benchmark: the monthly turnover series of a 10,000-employee company with five
years of history, computed by Kizuna's code (``kizuna.practices.hrkpi.metrics``) and, in
the same process, by a plain pandas version; prints the times, the ratio, peak memory and
whether the two agree.

    .venv/bin/python bench/hr_kpis.py [--employees 10000] [--months 60] [--seed 1] \
        [--repeat 5] [--strict]

Data: a generated company of ``--employees`` people employed today (≈ 400 departments,
≈ 11% yearly turnover, ≈ 6% yearly transfers, so ≈ 15,500 people and ≈ 19,000
effective-dated department rows over five years), as the tuples ``Staff.load`` reads from
the database (``Employee``: pk, hire date, leave date, leave reason, department;
``EmployeeHistory``: employee, valid from, valid to, department); no database.

Both sides compute, for each of the ``--months`` fiscal months ending with the current one,
the headcount on the month's first day, the leavers in the month (and how many were
voluntary) for the whole company and for one 部 (≈ 1/8 of the company, by the department
people were in on the first day / left from). Ours: ``Staff(...)`` from the tuples, then
``turnover_series`` (vectorised numpy over the whole history per period). pandas: the
tuples to DataFrames, one merge of history and employees, then boolean masks per month
(what a data analyst would write). Both sides' timings include building their structures
from the tuples.

Timing and memory: ``bench/measuring.py`` (one warm-up each, then ``--repeat`` interleaved
rounds; best and median, CPU of the best run, peak RSS). Exit status 1 when the two
disagree (also when ours is slower than pandas, with ``--strict``).
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# metrics imports Django models: configure the real settings on a throw-away data directory
_DATA_DIR = tempfile.mkdtemp(prefix="kizuna-bench-hrkpi-")
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
for _key in [k for k in os.environ if k.startswith("KIZUNA_")]:
    del os.environ[_key]
os.environ["KIZUNA_DATA_DIR"] = _DATA_DIR
os.environ["KIZUNA_LOG_LEVEL"] = "WARNING"
os.environ["DJANGO_SETTINGS_MODULE"] = "kizuna.settings"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from measuring import Sections, machine  # noqa: E402
from measuring import measure as measure_runs  # noqa: E402

from kizuna.practices.hrkpi import metrics  # noqa: E402

TODAY = dt.date(2026, 11, 26)
YEARS = 5
TURNOVER = 0.11
TRANSFERS = 0.06
DEPARTMENTS = 400
GROUP = 8  # departments 1..400 fall into 8 部 of 50: the scoped series is 部 1

Employees = list[tuple[int, dt.date, dt.date | None, str, int]]
History = list[tuple[int, dt.date, dt.date | None, int]]


def generate(employees: int, seed: int) -> tuple[Employees, History]:
    rng = np.random.default_rng(seed)
    window = TODAY - dt.timedelta(days=365 * YEARS)
    leavers = int(employees * TURNOVER * YEARS)
    total = employees + leavers
    people: Employees = []
    history: History = []
    for pk in range(1, total + 1):
        leaves = pk > employees
        if rng.random() < 0.7:  # tenured: hired before the window
            hire = window - dt.timedelta(days=int(rng.integers(1, 365 * 15)))
        else:
            hire = window + dt.timedelta(days=int(rng.integers(0, 365 * YEARS - 60)))
        leave = None
        if leaves:
            earliest = max(hire, window) + dt.timedelta(days=30)
            span = max(1, (TODAY - earliest).days - 1)
            leave = earliest + dt.timedelta(days=int(rng.integers(0, span)))
        reason = str(rng.choice(["voluntary"] * 8 + ["involuntary", "retirement"]))
        dept = int(rng.integers(1, DEPARTMENTS + 1))
        start = hire
        end = leave or TODAY
        # transfers on 1 April / 1 October inside the person's employment
        for year in range(window.year, TODAY.year + 1):
            for month in (4, 10):
                day = dt.date(year, month, 1)
                if start < day <= end and rng.random() < TRANSFERS / 2:
                    history.append((pk, start, day, dept))
                    start, dept = day, int(rng.integers(1, DEPARTMENTS + 1))
        history.append((pk, start, None, dept))
        people.append((pk, hire, leave, reason if leave else "", dept))
    return people, history


def months(count: int) -> list[metrics.Period]:
    last = metrics.period_containing(metrics.MONTH, TODAY, 4)
    return metrics.previous_periods(metrics.MONTH, last, count, 4)


Result = dict[str, list[tuple[int, int, int]]]


def ours(people: Employees, history: History, periods: list[metrics.Period], t: Sections) -> Result:
    staff = metrics.Staff(people, history)
    t.mark("build")
    company = metrics.turnover_series(periods, None, staff=staff)
    t.mark("company series")
    ids = frozenset(range(1, DEPARTMENTS // GROUP + 1))
    scoped = [staff.turnover(p.start, p.end, ids) for p in periods]
    t.mark("scoped series")
    return {
        "company": [(x.headcount, x.leavers, x.voluntary) for x in company],
        "scoped": [(x.headcount, x.leavers, x.voluntary) for x in scoped],
    }


def plain_pandas(
    people: Employees, history: History, periods: list[metrics.Period], t: Sections
) -> Result:
    emp = pd.DataFrame(people, columns=["id", "hire", "leave", "reason", "dept"])
    hist = pd.DataFrame(history, columns=["id", "start", "stop", "dept"])
    for frame, columns in ((emp, ["hire", "leave"]), (hist, ["start", "stop"])):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column])
    rows = hist.merge(emp[["id", "hire", "leave"]], on="id")
    # the department left from: the last history row starting on or before the leave date
    gone = rows[rows["leave"].notna() & (rows["start"] <= rows["leave"])]
    left_from = gone.sort_values(["id", "start"]).groupby("id")["dept"].last()
    emp["left_from"] = emp["id"].map(left_from)
    t.mark("build")
    scoped_depts = set(range(1, DEPARTMENTS // GROUP + 1))
    out: Result = {"company": [], "scoped": []}
    for scope in ("company", "scoped"):
        for p in periods:
            s, e = pd.Timestamp(p.start), pd.Timestamp(p.end)
            mask = (
                (rows["start"] <= s)
                & (rows["stop"].isna() | (rows["stop"] > s))
                & (rows["hire"] <= s)
                & (rows["leave"].isna() | (rows["leave"] >= s))
            )
            leaving = (emp["leave"] >= s) & (emp["leave"] <= e)
            if scope == "scoped":
                mask &= rows["dept"].isin(scoped_depts)
                leaving &= emp["left_from"].isin(scoped_depts)
            headcount = rows.loc[mask, "id"].nunique()
            left = emp[leaving]
            out[scope].append(
                (int(headcount), len(left), int((left["reason"] == "voluntary").sum()))
            )
        t.mark(f"{scope} series")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)
    people, history = generate(args.employees, args.seed)
    periods = months(args.months)
    print(
        f"hr_kpis: {args.employees:,} employees today, {len(people):,} people over {YEARS} "
        f"years, {len(history):,} history rows, {DEPARTMENTS} departments; "
        f"{len(periods)} monthly periods {periods[0].start} … {periods[-1].end}, seed {args.seed}"
    )
    print(f"machine: {machine(f'numpy {np.__version__}, pandas {pd.__version__}')}")
    load_before = os.getloadavg()
    runs = measure_runs(
        [
            ("kizuna (ours)", lambda t: ours(people, history, periods, t)),
            ("pandas", lambda t: plain_pandas(people, history, periods, t)),
        ],
        args.repeat,
    )
    load_after = os.getloadavg()
    mine, frame = runs
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
    ratio = mine.best / frame.best
    print()
    print(f"ours / pandas = {ratio:.2f}×  (pandas / ours = {frame.best / mine.best:.1f}×)")
    print(
        "load average (1 min) before/after the runs: "
        f"{load_before[0]:.2f} / {load_after[0]:.2f} on {os.cpu_count()} cores"
    )
    print()
    sections = sorted({s for r in runs for s in r.sections})
    print("| section (best run, s) | " + " | ".join(r.name for r in runs) + " |")
    print("|---|" + "---:|" * len(runs))
    for section in sections:
        cells = [f"{r.sections[section]:.3f}" if section in r.sections else "—" for r in runs]
        print(f"| {section} | " + " | ".join(cells) + " |")
    agree = mine.result == frame.result
    sample: Any = mine.result["company"][-1]
    print()
    print(f"latest month (headcount, leavers, voluntary): {sample}")
    print(f"results agree: {'yes' if agree else 'NO'}")
    if not agree:
        for scope in ("company", "scoped"):
            for p, a, b in zip(periods, mine.result[scope], frame.result[scope], strict=True):
                if a != b:
                    print(f"  {scope} {p.key}: ours {a} pandas {b}")
        return 1
    if args.strict and ratio > 1:
        print("FAIL: ours slower than pandas")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
