"""Event ingestion benchmark: sustained events/s through the real server, and no loss on
kill -9.

    .venv/bin/python bench/ingest.py [--clients 8] [--duration 30] [--kill-after 6]

What it does, all on 127.0.0.1 with a throw-away data directory and SQLite database:

1. migrates, creates a source, starts ``kizuna serve`` (gunicorn, 2 workers) on a free
   port and ``kizuna drain --follow`` beside it;
2. **steady**: ``--clients`` processes post ``/v1/batch`` with 100 events per request
   (keep-alive, one request at a time each) for ``--duration`` seconds while the drain
   runs; reports acknowledged events/s, request latency and how much the drain kept up;
3. **kill -9**: the same load; after ``--kill-after`` seconds the whole server process
   group is SIGKILLed and restarted, later the drain too, and the load goes on. Clients
   retry a failed request with the same messageIds (as Segment's SDKs do), so requests
   that were stored but whose answer was lost come back as duplicates;
4. drains everything and checks that every acknowledged messageId is in DuckDB exactly
   once: prints ``lost: 0`` and ``duplicates: 0`` when all is well (exit status 1 if not).

Every loop is bounded in time; the script stops its processes on the way out.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson

HOST = "127.0.0.1"
EVENTS_PER_REQUEST = 100
FEATURES = ("reports", "dashboards", "export", "alerts", "search", "sharing")


# --- processes ------------------------------------------------------------------------


def kizuna(*args: str) -> list[str]:
    return [sys.executable, "-m", "kizuna.cli", *args]


def environment(data_dir: Path, conn_max_age: int | None = None) -> dict[str, str]:
    """The real settings on a private data directory; nothing inherited may point the
    server at a real database or event store. ``conn_max_age`` keeps each server
    thread's SQLite connection open between requests (Django's ``CONN_MAX_AGE``)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KIZUNA_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        KIZUNA_DATA_DIR=str(data_dir),
        KIZUNA_SECRET_KEY=secrets.token_urlsafe(40),
        KIZUNA_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="kizuna.settings",
    )
    if conn_max_age is not None:
        database = data_dir / "kizuna.sqlite3"
        env["KIZUNA_DATABASE_URL"] = f"sqlite:///{database}?conn_max_age={conn_max_age}"
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start in a new process group so the whole tree (gunicorn master and workers) can
    be killed at once."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=out, start_new_session=True
        )


_T0 = time.monotonic()


def note(message: str) -> None:
    """Progress on stderr, so the table on stdout stays clean."""
    print(f"[{time.monotonic() - _T0:6.1f} s] {message}", file=sys.stderr, flush=True)


def kill_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its live descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
        pending.extend(children.get(current, []))
    return total


def wait_until_serving(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server did not answer on port {port} within {timeout:.0f} s")


# --- load -----------------------------------------------------------------------------


def request_template(run: str, client: int) -> bytes:
    """A 100-event batch whose messageIds contain ``@SEQ@``, replaced per request, so
    building a request costs one bytes.replace."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    batch = []
    for i in range(EVENTS_PER_REQUEST):
        user = (client * 7919 + i * 31) % 2000
        batch.append(
            {
                "type": "track",
                "event": "Feature Used",
                "userId": f"user-{user}",
                "messageId": f"{run}-{client}-@SEQ@-{i}",
                "timestamp": now,
                "properties": {
                    "feature": FEATURES[i % len(FEATURES)],
                    "plan": "pro" if user % 3 else "standard",
                    "duration_ms": 100 + (i * 37) % 900,
                },
                "context": {
                    "library": {"name": "kizuna-bench", "version": "1"},
                    "groupId": f"acct-{user % 150}",
                },
            }
        )
    return orjson.dumps({"batch": batch, "sentAt": now})


def message_ids(run: str, client: int, seq: int) -> list[str]:
    return [f"{run}-{client}-{seq}-{i}" for i in range(EVENTS_PER_REQUEST)]


MAX_CLIENT_SECONDS = 600
"""A client stops by itself after this long even if never told to (a safety bound)."""


def client_loop(
    port: int, key: str, run: str, client: int, ready: Any, go: Any, stop: Any, results: Any
) -> None:
    """Post batches from ``go`` until ``stop``; retry a failed request unchanged."""
    template = request_template(run, client)
    headers = {
        "Content-Type": "application/json",
        "Authorization": "Basic " + b64encode(f"{key}:".encode()).decode(),
    }
    acked: list[int] = []
    latencies: list[float] = []
    failures: dict[int, int] = {}
    first_error = ""
    conn: http.client.HTTPConnection | None = None
    seq = 0
    ready.release()
    go.wait(MAX_CLIENT_SECONDS)
    deadline = time.monotonic() + MAX_CLIENT_SECONDS
    while not stop.is_set() and time.monotonic() < deadline:
        body = template.replace(b"@SEQ@", str(seq).encode())
        started = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            conn.request("POST", "/v1/batch", body, headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            status = 0
            first_error = first_error or f"{type(exc).__name__}: {exc}"
            if conn is not None:
                conn.close()
            conn = None
        if status == 200:
            latencies.append(time.monotonic() - started)
            acked.append(seq)
            seq += 1
        else:
            # Same seq again: the same messageIds, as an SDK retries (0 = no answer).
            failures[status] = failures.get(status, 0) + 1
            time.sleep(0.05)
    if conn is not None:
        conn.close()
    results.put((client, acked, latencies, failures, first_error))


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    acked: dict[int, list[int]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)
    first_error: str = ""

    @property
    def requests(self) -> int:
        return sum(len(seqs) for seqs in self.acked.values())

    @property
    def events(self) -> int:
        return self.requests * EVENTS_PER_REQUEST


def run_load(port: int, key: str, run: str, clients: int, during: Callable[[], None]) -> Phase:
    """Start ``clients`` processes, let them all get ready, then load the server while
    ``during()`` runs in this process (sleeping, killing, restarting), then stop them."""
    context = mp.get_context("spawn")
    ready, go, stop = context.Semaphore(0), context.Event(), context.Event()
    results: Any = context.Queue()
    workers = [
        context.Process(target=client_loop, args=(port, key, run, c, ready, go, stop, results))
        for c in range(clients)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        if not ready.acquire(timeout=120):
            raise SystemExit("client processes did not start")
    phase = Phase(run)
    started = time.monotonic()
    go.set()
    try:
        during()
    finally:
        stop.set()
        phase.seconds = time.monotonic() - started
    for _ in workers:
        client, acked, latencies, failures, first_error = results.get(timeout=120)
        phase.first_error = phase.first_error or first_error
        phase.acked[client] = acked
        phase.latencies.extend(latencies)
        for status, count in failures.items():
            phase.failures[status] = phase.failures.get(status, 0) + count
    for worker in workers:
        worker.join(timeout=30)
    return phase


# --- measuring the stores -------------------------------------------------------------


def spooled_events(data_dir: Path) -> int:
    with sqlite3.connect(f"file:{data_dir / 'kizuna.sqlite3'}?mode=ro", uri=True) as db:
        db.execute("PRAGMA busy_timeout = 10000")
        (count,) = db.execute(
            "SELECT coalesce(sum(event_count), 0) FROM usage_spoolbatch"
        ).fetchone()
    return int(count)


def stored_events(data_dir: Path) -> int:
    path = data_dir / "events.duckdb"
    if not path.exists():
        return 0
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM events").fetchone()
    return int(row[0]) if row else 0


def verify(data_dir: Path, phases: list[Phase]) -> tuple[int, int, int, int]:
    """(acknowledged, found, lost, duplicates) over every phase's acknowledged events."""
    expected = [
        mid
        for phase in phases
        for client, seqs in phase.acked.items()
        for seq in seqs
        for mid in message_ids(phase.name, client, seq)
    ]
    with duckdb.connect(str(data_dir / "events.duckdb"), read_only=True) as con:
        con.execute("CREATE TEMP TABLE expected AS SELECT unnest($1) AS message_id", [expected])
        found_row = con.execute(
            "SELECT count(*) FROM expected WHERE message_id IN (SELECT message_id FROM events)"
        ).fetchone()
        dup_row = con.execute(
            "SELECT count(*) - count(DISTINCT (source_id, message_id)) FROM events"
        ).fetchone()
    found = int(found_row[0]) if found_row else 0
    duplicates = int(dup_row[0]) if dup_row else 0
    return len(expected), found, len(expected) - found, duplicates


def ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    if q == 0.5:
        return f"{statistics.median(values) * 1000:.1f}"
    return f"{statistics.quantiles(values, n=100)[int(q * 100) - 1] * 1000:.1f}"


# --- the benchmark --------------------------------------------------------------------


def warm_up(port: int, key: str, data_dir: Path, timeout: float = 120) -> None:
    """Send one batch and wait until the drain has moved it: both processes are then up
    and past their imports, so the timed phases measure work, not start-up."""
    body = request_template("warmup", 0).replace(b"@SEQ@", b"0")
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    auth = "Basic " + b64encode(f"{key}:".encode()).decode()
    conn.request("POST", "/v1/batch", body, {"Authorization": auth})
    if conn.getresponse().status != 200:
        raise SystemExit("the warm-up request was refused")
    conn.close()
    deadline = time.monotonic() + timeout
    while spooled_events(data_dir):
        if time.monotonic() > deadline:
            raise SystemExit(f"the drain did not move the warm-up batch in {timeout:.0f} s")
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="client processes (default 8)")
    parser.add_argument("--duration", type=float, default=30, help="steady phase seconds")
    parser.add_argument(
        "--kill-after",
        type=float,
        default=6,
        help="kill -9 phase: seconds of load before the kill, and after the restart",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="seconds the server keeps SQLite connections (default: the settings' own)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    if not (0 < args.duration <= 300 and 0 < args.kill_after <= 120 and args.clients <= 32):
        parser.error("--duration at most 300 s, --kill-after at most 120 s, at most 32 clients")

    data_dir = Path(tempfile.mkdtemp(prefix="kizuna-bench-"))
    env = environment(data_dir, args.conn_max_age)
    log = data_dir / "processes.log"
    port = free_port()
    serve = kizuna(
        "serve", "--host", HOST, "--port", str(port),
        "--workers", str(args.workers), "--threads", str(args.threads),
    )  # fmt: skip
    drain_loop = kizuna("drain", "--follow", "--interval", "0.2")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    restart_seconds = 0.0
    try:
        note("migrating a fresh SQLite database")
        subprocess.run(kizuna("migrate", "--verbosity", "0"), env=env, check=True)
        created = subprocess.run(
            kizuna("source", "create", "bench", "--format", "json"),
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        key = json.loads(created.stdout)["write_key"]
        procs["server"] = start(serve, env, log)
        procs["drain"] = start(drain_loop, env, log)
        wait_until_serving(port)
        warm_up(port, key, data_dir)

        # Phase 1: steady load with the drain running.
        note(f"steady load for {args.duration:.0f} s")
        before = {name: tree_cpu_seconds(proc.pid) for name, proc in procs.items()}
        clients_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        steady = run_load(port, key, "steady", args.clients, lambda: time.sleep(args.duration))
        backlog_after_load = spooled_events(data_dir)
        cpu = {name: tree_cpu_seconds(proc.pid) - before[name] for name, proc in procs.items()}
        clients_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu["clients"] = (clients_after.ru_utime + clients_after.ru_stime) - (
            clients_before.ru_utime + clients_before.ru_stime
        )
        drained_during_load = steady.events - backlog_after_load

        # Phase 2: kill -9 the server, then the drain, under load.
        def chaos() -> None:
            nonlocal restart_seconds
            time.sleep(args.kill_after)
            kill_group(procs["server"], signal.SIGKILL)
            note("server SIGKILLed")
            down = time.monotonic()
            procs["server"] = start(serve, env, log)
            wait_until_serving(port)
            restart_seconds = time.monotonic() - down
            note(f"server back after {restart_seconds:.1f} s")
            time.sleep(args.kill_after / 2)
            kill_group(procs["drain"], signal.SIGKILL)
            procs["drain"] = start(drain_loop, env, log)
            note("drain SIGKILLed and restarted")
            time.sleep(args.kill_after / 2)

        note("kill -9 phase")
        killed = run_load(port, key, "kill", args.clients, chaos)
        kill_group(procs.pop("drain"), signal.SIGTERM)
        note("load done; draining the rest")

        # Everything acknowledged must now be drainable and stored exactly once.
        subprocess.run(kizuna("drain"), env=env, check=True, capture_output=True)
        acknowledged, found, lost, duplicates = verify(data_dir, [steady, killed])
    finally:
        for process in procs.values():
            kill_group(process, signal.SIGTERM)

    rate = steady.events / steady.seconds
    drain_rate = drained_during_load / steady.seconds
    age = "as configured" if args.conn_max_age is None else args.conn_max_age
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"kizuna ingest benchmark: {os.cpu_count()} cores, {args.clients} clients, "
          f"gunicorn {args.workers}×{args.threads}, {EVENTS_PER_REQUEST} events/request, "
          f"SQLite spool (CONN_MAX_AGE {age}), "
          f"DuckDB store; load average now {load}")  # fmt: skip
    print(f"{'phase':<9}{'s':>6}{'requests':>10}{'events':>11}{'events/s':>10}"
          f"{'p50 ms':>8}{'p99 ms':>8}{'failed':>8}")  # fmt: skip
    for phase in (steady, killed):
        print(f"{phase.name:<9}{phase.seconds:>6.0f}{phase.requests:>10,}{phase.events:>11,}"
              f"{phase.events / phase.seconds:>10,.0f}{ms(phase.latencies, 0.5):>8}"
              f"{ms(phase.latencies, 0.99):>8}{sum(phase.failures.values()):>8}")  # fmt: skip
    for phase in (steady, killed):
        if phase.failures:
            # 0 = no answer (connection refused or reset while the server was down).
            by_status = dict(sorted(phase.failures.items()))
            print(f"{phase.name}: failed requests by HTTP status {by_status}")
            if phase.first_error:
                print(f"{phase.name}: first connection error: {phase.first_error}")
    print(
        f"steady: ingested {rate:,.0f} events/s; drained {drain_rate:,.0f} events/s "
        f"concurrently; spool backlog at the end of the load {backlog_after_load:,} events"
    )
    share = ", ".join(f"{name} {seconds / steady.seconds:.2f}" for name, seconds in cpu.items())
    print(
        f"steady: CPU cores used: {share} (of {os.cpu_count()}); server CPU per 100-event "
        f"request {cpu['server'] / max(steady.requests, 1) * 1000:.2f} ms"
    )
    print(
        f"kill -9: server SIGKILLed after {args.kill_after:.0f} s of load, answering again "
        f"{restart_seconds:.1f} s later; drain SIGKILLed and restarted under load"
    )
    print(
        f"acknowledged: {acknowledged:,}, stored: {found:,}, lost: {lost}, duplicates: {duplicates}"
    )
    if args.keep:
        print(f"data directory kept: {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if lost == 0 and duplicates == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
