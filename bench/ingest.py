"""Event ingestion benchmark: sustained events/s through the real server with the drain
into DuckDB running beside it, and no loss on kill -9.

    .venv/bin/python bench/ingest.py [--clients 8] [--duration 20] [--runs 3] \
        [--rate 50000] [--kill-after 6] [--workers 2] [--threads 4] [--keep]

What it does, all on 127.0.0.1 with a throw-away data directory and SQLite database:

1. migrates, creates a source, starts ``kizuna serve`` (gunicorn, as configured by
   default) on a free port and ``kizuna drain --follow`` beside it;
2. **max** (``--runs`` times): ``--clients`` processes post ``/v1/batch`` with 100
   events per request as fast as the server answers (keep-alive, one request in
   flight each) for ``--duration`` seconds while the drain runs. Reports the
   acknowledged events/s, request latency, the events/s the drain moved into DuckDB
   meanwhile and the spool backlog at the end; then waits for the drain to catch up so
   the next run starts from an empty spool;
3. **paced**: the same clients offer a fixed ``--rate`` events/s in total (the goal,
   50,000 by default) and the script checks that the server acknowledges that rate and
   that the drain keeps up (the backlog does not grow, and at the end it is at most two
   seconds of events plus one drain pass);
4. **kill -9**: unpaced load; after ``--kill-after`` seconds the whole server process
   group is SIGKILLed and restarted, later the drain too, and the load goes on. Clients
   retry a failed request with the same messageIds (as Segment's SDKs do), so requests
   that were stored but whose answer was lost come back as duplicates;
5. drains everything and checks that every acknowledged messageId is in DuckDB exactly
   once: prints ``lost: 0`` and ``duplicates: 0`` when all is well (exit status 1 if not).

The clients speak HTTP/1.1 over plain sockets with the request bytes prepared in
advance, so the load generator costs the shared 2 cores as little as possible (about a
tenth of what ``http.client`` costs). Every loop is bounded in time; the script stops
its processes on the way out.
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
GOAL_EVENTS_PER_SECOND = 50_000
KEPT_UP_SECONDS = 2.0
KEPT_UP_PASS = 200_000
"""The drain keeps up when the backlog at the end of a phase is at most this many
seconds of the phase's acknowledged events plus one full drain pass (2,000 requests of
100 events: the pass being written, and what arrived meanwhile)…"""
KEPT_UP_GROWTH = 0.05
"""… and the backlog did not grow by more than this share of the acknowledged rate:
the mean backlog of the phase's second half against that of its first (the first fifth
left out: the backlog starts at zero). Means, because a pass takes a second or so and
the backlog rises and falls by up to a pass's worth meanwhile."""


# --- processes ------------------------------------------------------------------------


def kizuna(*args: str) -> list[str]:
    return [sys.executable, "-m", "kizuna.cli", *args]


def environment(data_dir: Path) -> dict[str, str]:
    """The real settings on a private data directory; nothing inherited may point the
    server at a real database or event store."""
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


def peak_rss_mb(pid: int) -> float:
    """The largest peak resident memory (VmHWM) of a process and its live descendants."""
    peak = 0.0
    pending = [pid]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)
        pending.extend(int(child) for child in children)
    return peak


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


class HttpClient:
    """One keep-alive HTTP/1.1 connection: send a prepared request, read the status.

    Enough HTTP for this server's answers (Content-Length or chunked bodies,
    ``Connection: close``); any surprise closes the connection and raises, and the
    caller retries on a new one.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def post(self, request: bytes) -> int:
        if self.sock is None:
            self.sock = socket.create_connection((HOST, self.port), timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self.sock
        try:
            sock.sendall(request)
            buffer = b""
            while b"\r\n\r\n" not in buffer:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed before the answer")
                buffer += chunk
            head, _sep, body = buffer.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            status = int(lines[0].split(b" ", 2)[1])
            length, chunked, close = 0, False, False
            for line in lines[1:]:
                name, _colon, value = line.partition(b":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = value == b"chunked"
                elif name == b"connection":
                    close = value == b"close"
            if chunked:
                while not body.endswith(b"0\r\n\r\n"):
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise ConnectionError("connection closed inside a chunked answer")
                    body += chunk
            else:
                while len(body) < length:
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise ConnectionError("connection closed inside the answer")
                    body += chunk
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status


MAX_CLIENT_SECONDS = 600
"""A client stops by itself after this long even if never told to (a safety bound)."""


def client_loop(
    port: int,
    key: str,
    run: str,
    client: int,
    interval: float,
    ready: Any,
    go: Any,
    stop: Any,
    results: Any,
) -> None:
    """Post batches from ``go`` until ``stop``; retry a failed request unchanged.

    ``interval`` > 0 paces the client: one request every ``interval`` seconds (or as
    soon as the previous one is answered, when the server is slower than that).
    """
    template = request_template(run, client)
    head = (
        f"POST /v1/batch HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Authorization: Basic {b64encode(f'{key}:'.encode()).decode()}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    http = HttpClient(port)
    acked: list[int] = []
    latencies: list[float] = []
    failures: dict[int, int] = {}
    first_error = ""
    seq = 0
    ready.release()
    go.wait(MAX_CLIENT_SECONDS)
    started = time.monotonic()
    deadline = started + MAX_CLIENT_SECONDS
    next_at = started + (interval * client / 8 if interval else 0.0)  # spread the clients
    while not stop.is_set() and time.monotonic() < deadline:
        if interval:
            wait = next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            next_at = max(next_at + interval, time.monotonic() - 1.0)  # no long bursts
        body = template.replace(b"@SEQ@", str(seq).encode())
        request = head + str(len(body)).encode() + b"\r\n\r\n" + body
        sent = time.monotonic()
        try:
            status = http.post(request)
        except (OSError, ValueError, IndexError) as exc:
            status = 0
            first_error = first_error or f"{type(exc).__name__}: {exc}"
        if status == 200:
            latencies.append(time.monotonic() - sent)
            acked.append(seq)
            seq += 1
        else:
            # Same seq again: the same messageIds, as an SDK retries (0 = no answer).
            failures[status] = failures.get(status, 0) + 1
            time.sleep(0.05)
    http.close()
    results.put((client, acked, latencies, failures, first_error))


@dataclass
class Phase:
    name: str
    offered: float = 0.0  # events/s asked of the clients; 0 = as fast as answered
    seconds: float = 0.0
    acked: dict[int, list[int]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)
    first_error: str = ""
    backlog_before: int = 0
    backlog_after: int = 0
    backlog_max: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds in, backlog)
    cpu: dict[str, float] = field(default_factory=dict)  # cores used, by process group

    @property
    def requests(self) -> int:
        return sum(len(seqs) for seqs in self.acked.values())

    @property
    def events(self) -> int:
        return self.requests * EVENTS_PER_REQUEST

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def drained_rate(self) -> float:
        """Events moved into DuckDB per second while the load ran."""
        drained = self.events + self.backlog_before - self.backlog_after
        return drained / self.seconds if self.seconds else 0.0

    @property
    def growth(self) -> float:
        """How fast the backlog grew, in events/s (see KEPT_UP_GROWTH)."""
        start = self.seconds / 5
        middle = (start + self.seconds) / 2
        first = [backlog for at, backlog in self.samples if start <= at < middle]
        second = [backlog for at, backlog in self.samples if at >= middle]
        if not first or not second:
            return 0.0
        return (statistics.mean(second) - statistics.mean(first)) / (middle - start)

    @property
    def kept_up(self) -> bool:
        return (
            self.backlog_after <= KEPT_UP_SECONDS * self.rate + KEPT_UP_PASS
            and self.growth <= KEPT_UP_GROWTH * self.rate
        )

    @property
    def end_to_end(self) -> float:
        """Events/s both acknowledged and stored in DuckDB: what the system sustains."""
        return min(self.rate, self.drained_rate)


def run_load(port: int, key: str, phase: Phase, clients: int, during: Callable[[], None]) -> Phase:
    """Start ``clients`` processes, let them all get ready, then load the server while
    ``during()`` runs in this process (sampling, killing, restarting), then stop them."""
    context = mp.get_context("spawn")
    ready, go, stop = context.Semaphore(0), context.Event(), context.Event()
    results: Any = context.Queue()
    interval = clients * EVENTS_PER_REQUEST / phase.offered if phase.offered else 0.0
    workers = [
        context.Process(
            target=client_loop,
            args=(port, key, phase.name, c, interval, ready, go, stop, results),
        )
        for c in range(clients)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        if not ready.acquire(timeout=120):
            raise SystemExit("client processes did not start")
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
    """Events waiting in the spool (whatever tables the spool uses: every table whose
    name starts with ``usage_spool`` and has an ``event_count`` column)."""
    with sqlite3.connect(f"file:{data_dir / 'kizuna.sqlite3'}?mode=ro", uri=True) as db:
        db.execute("PRAGMA busy_timeout = 10000")
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'usage_spool%'"
            )
            if any(
                column[1] == "event_count" for column in db.execute(f'PRAGMA table_info("{name}")')
            )
        ]
        total = 0
        for name in tables:
            (count,) = db.execute(
                f'SELECT coalesce(sum(event_count), 0) FROM "{name}"'  # noqa: S608
            ).fetchone()
            total += int(count)
    return total


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
    if len(values) < 2:
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
    wait_for_empty_spool(data_dir, timeout)


def wait_for_empty_spool(data_dir: Path, timeout: float) -> float:
    """Seconds until the drain has emptied the spool."""
    started = time.monotonic()
    while spooled_events(data_dir):
        if time.monotonic() - started > timeout:
            raise SystemExit(f"the drain did not empty the spool in {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - started


class Meter:
    """CPU used by the server, the drain and the client processes over a phase."""

    def __init__(self, procs: dict[str, subprocess.Popen[bytes]]) -> None:
        self.procs = procs
        self.started = time.monotonic()
        self.before = {name: tree_cpu_seconds(proc.pid) for name, proc in procs.items()}
        self.children = self._children()

    @staticmethod
    def _children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def cores(self) -> dict[str, float]:
        seconds = time.monotonic() - self.started
        used = {
            name: (tree_cpu_seconds(proc.pid) - self.before[name]) / seconds
            for name, proc in self.procs.items()
        }
        used["clients"] = (self._children() - self.children) / seconds
        return used


def sampling(data_dir: Path, seconds: float, phase: Phase) -> Callable[[], None]:
    """A ``during`` for run_load: watch the spool backlog while the load runs."""

    def watch() -> None:
        started = time.monotonic()
        deadline = started + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(0.25, left))
            backlog = spooled_events(data_dir)
            phase.samples.append((time.monotonic() - started, backlog))
            phase.backlog_max = max(phase.backlog_max, backlog)

    return watch


def measured(
    port: int,
    key: str,
    data_dir: Path,
    procs: dict[str, subprocess.Popen[bytes]],
    phase: Phase,
    clients: int,
    seconds: float,
) -> Phase:
    phase.backlog_before = spooled_events(data_dir)
    meter = Meter(procs)
    run_load(port, key, phase, clients, sampling(data_dir, seconds, phase))
    phase.backlog_after = spooled_events(data_dir)
    phase.backlog_max = max(phase.backlog_max, phase.backlog_after)
    phase.cpu = meter.cores()
    return phase


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="client processes (default 8)")
    parser.add_argument("--duration", type=float, default=20, help="seconds per load phase")
    parser.add_argument("--runs", type=int, default=3, help="unpaced runs (default 3)")
    parser.add_argument(
        "--rate",
        default=str(GOAL_EVENTS_PER_SECOND),
        help="events/s offered in the paced phase; several, comma-separated, give one "
        "phase each (default 50000; 0 skips the phase)",
    )
    parser.add_argument(
        "--kill-after",
        type=float,
        default=6,
        help="kill -9 phase: seconds of load before the kill, and after the restart",
    )
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    if not (0 < args.duration <= 300 and 0 < args.kill_after <= 120 and args.clients <= 32):
        parser.error("--duration at most 300 s, --kill-after at most 120 s, at most 32 clients")
    try:
        rates = [float(rate) for rate in args.rate.split(",") if float(rate) > 0]
    except ValueError:
        parser.error("--rate takes numbers of events per second, comma-separated")
    if not 1 <= args.runs <= 10:
        parser.error("--runs from 1 to 10")

    data_dir = Path(tempfile.mkdtemp(prefix="kizuna-bench-"))
    env = environment(data_dir)
    log = data_dir / "processes.log"
    port = free_port()
    serve = kizuna("serve", "--host", HOST, "--port", str(port))
    if args.workers:
        serve += ["--workers", str(args.workers)]
    if args.threads:
        serve += ["--threads", str(args.threads)]
    drain_loop = kizuna("drain", "--follow")  # as operators run it (1 s when idle)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    restart_seconds = 0.0
    phases: list[Phase] = []
    catch_up: list[float] = []
    memory: dict[str, float] = {}
    load_before = os.getloadavg()
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

        for run in range(1, args.runs + 1):
            note(f"max run {run}: unpaced load for {args.duration:.0f} s")
            phase = measured(
                port, key, data_dir, procs, Phase(f"max{run}"), args.clients, args.duration
            )
            phases.append(phase)
            note(f"  {phase.rate:,.0f} events/s; waiting for the drain to catch up")
            catch_up.append(wait_for_empty_spool(data_dir, 300))
        for number, rate in enumerate(rates, 1):
            note(f"paced load at {rate:,.0f} events/s for {args.duration:.0f} s")
            paced = Phase(f"paced{number}", offered=rate)
            phases.append(measured(port, key, data_dir, procs, paced, args.clients, args.duration))
            wait_for_empty_spool(data_dir, 300)

        memory = {name: peak_rss_mb(proc.pid) for name, proc in procs.items()}

        # kill -9 the server, then the drain, under load.
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
        killed = run_load(port, key, Phase("kill"), args.clients, chaos)
        phases.append(killed)
        kill_group(procs.pop("drain"), signal.SIGTERM)
        note("load done; draining the rest")

        # Everything acknowledged must now be drainable and stored exactly once.
        subprocess.run(kizuna("drain"), env=env, check=True, capture_output=True)
        acknowledged, found, lost, duplicates = verify(data_dir, phases)
    finally:
        for process in procs.values():
            kill_group(process, signal.SIGTERM)

    report(args, phases, catch_up, load_before, restart_seconds)
    print(
        "peak resident memory before the kill phase: "
        + ", ".join(f"{name} {mb:,.0f} MB" for name, mb in memory.items())
        + " (the largest single process of each)"
    )
    print(
        f"acknowledged: {acknowledged:,}, stored: {found:,}, lost: {lost}, duplicates: {duplicates}"
    )
    if args.keep:
        print(f"data directory kept: {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if lost == 0 and duplicates == 0 else 1


def report(
    args: argparse.Namespace,
    phases: list[Phase],
    catch_up: list[float],
    load_before: tuple[float, float, float],
    restart_seconds: float,
) -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"kizuna ingest benchmark: {os.cpu_count()} cores, {args.clients} clients, "
        f"{EVENTS_PER_REQUEST} events/request, SQLite spool, DuckDB store; load average "
        f"{load_before[0]:.1f} before, {load} now"
    )
    print(
        f"{'phase':<7}{'s':>4}{'events':>11}{'acked/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'failed':>7}{'drained/s':>10}{'backlog':>9}{'max':>9}{'growth/s':>9}"
        f"{'server':>7}{'drain':>6}{'clients':>8}"
    )
    for phase in phases:
        cpu = phase.cpu
        columns = (
            f"{phase.drained_rate:>10,.0f}{phase.backlog_after:>9,}{phase.backlog_max:>9,}"
            f"{phase.growth:>9,.0f}{cpu.get('server', 0):>7.2f}{cpu.get('drain', 0):>6.2f}"
            f"{cpu.get('clients', 0):>8.2f}"
            if cpu
            else ""
        )
        print(
            f"{phase.name:<7}{phase.seconds:>4.0f}{phase.events:>11,}{phase.rate:>9,.0f}"
            f"{ms(phase.latencies, 0.5):>8}{ms(phase.latencies, 0.99):>8}"
            f"{sum(phase.failures.values()):>7}{columns}"
        )
    print(
        "(acked/s: events acknowledged with 200; drained/s: events moved into DuckDB "
        "meanwhile; backlog: events still spooled at the end, and the most seen; "
        "growth/s: how fast the backlog grew (mean of the second half against the first); "
        f"server/drain/clients: CPU cores used, of {os.cpu_count()})"
    )
    for phase in phases:
        if phase.failures:
            # 0 = no answer (connection refused or reset while the server was down).
            by_status = dict(sorted(phase.failures.items()))
            print(f"{phase.name}: failed requests by HTTP status {by_status}")
            if phase.first_error:
                print(f"{phase.name}: first connection error: {phase.first_error}")

    unpaced = [phase for phase in phases if phase.name.startswith("max")]
    rate = statistics.median(phase.rate for phase in unpaced)
    p50 = statistics.median(statistics.median(phase.latencies) for phase in unpaced) * 1000
    p99 = statistics.median(float(ms(phase.latencies, 0.99)) for phase in unpaced)
    drained = statistics.median(phase.drained_rate for phase in unpaced)
    end_to_end = statistics.median(phase.end_to_end for phase in unpaced)
    kept = sum(phase.kept_up for phase in unpaced)
    print(
        f"unpaced, median of {len(unpaced)}: acknowledged {rate:,.0f} events/s "
        f"(p50 {p50:.1f} ms, p99 {p99:.1f} ms); drained {drained:,.0f} events/s concurrently; "
        f"end to end (acknowledged and stored) {end_to_end:,.0f} events/s; drain kept up in "
        f"{kept} of {len(unpaced)} runs; spool emptied {statistics.median(catch_up):.1f} s "
        "after the load stopped"
    )
    paced = [phase for phase in phases if phase.name.startswith("paced")]
    for phase in paced:
        verdict = "kept up" if phase.kept_up else "fell behind"
        print(
            f"paced at {phase.offered:,.0f} events/s: acknowledged {phase.rate:,.0f} events/s "
            f"(p50 {ms(phase.latencies, 0.5)} ms, p99 {ms(phase.latencies, 0.99)} ms); "
            f"drained {phase.drained_rate:,.0f} events/s; the drain {verdict} (backlog "
            f"{phase.backlog_after:,} at the end, at most {phase.backlog_max:,}, "
            f"growing {phase.growth:,.0f} events/s)"
        )
    sustained = [phase for phase in paced if phase.kept_up and phase.rate >= 0.98 * phase.offered]
    if paced:
        best = max(sustained, key=lambda phase: phase.offered, default=None)
        mark = "PASS" if best is not None and best.offered >= GOAL_EVENTS_PER_SECOND else "FAIL"
        shown = (
            f"highest paced rate acknowledged with the drain keeping up: "
            f"{best.offered:,.0f} events/s ({best.rate:,.0f} acknowledged, "
            f"{best.drained_rate:,.0f} drained)"
            if best is not None
            else "no paced rate was both acknowledged and drained"
        )
        print(
            f"{mark}  sustained ≥ {GOAL_EVENTS_PER_SECOND:,} events/s with the drain "
            f"keeping up: {shown}"
        )
    killed = next(phase for phase in phases if phase.name == "kill")
    print(
        f"kill -9: server SIGKILLed after {args.kill_after:.0f} s of load "
        f"({killed.rate:,.0f} events/s acknowledged over the phase), answering again "
        f"{restart_seconds:.1f} s later; drain SIGKILLed and restarted under load"
    )


if __name__ == "__main__":
    sys.exit(main())
