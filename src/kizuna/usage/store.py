"""The event store: where product events live for analysis (DuckDB by default).

``settings.EVENTS_URL`` chooses it; ``duckdb:///absolute/path/events.duckdb`` is the
only kind so far (a warehouse reachable by Ibis is the planned path at scale).

Tables (all times are TIMESTAMPTZ):

``events``
    one row per distinct ``(source_id, message_id)``: ``type``, ``event`` (track
    name), ``name`` (page/screen name), ``user_id``, ``anonymous_id``, ``group_id``
    (the account's external id: from the call itself, ``context.groupId``,
    ``properties.groupId`` or, failing those, the user's account at drain time),
    ``timestamp`` (the event's, or when it was received), ``sent_at``,
    ``received_at``, and ``properties``, ``traits``, ``context`` as JSON.
``identities``
    one row per ``user_id`` with the merged traits of its ``identify`` calls.
``group_memberships``
    one row per ``(user_id, group_id)`` seen in ``group`` calls, with ``first_seen``
    and ``last_seen``: the user → account mapping that metrics join.
``message_keys``
    the drain's own: 64 bits of a hash of ``(source_id, message_id)`` and
    ``received_at`` for each event stored in the last days (the de-duplication window
    of :mod:`kizuna.usage.drain`). Checking a pass's ids against 8-byte integers
    instead of the ``events`` table's strings keeps the check cheap however many
    events arrived recently; ids that match are then confirmed against ``events``.

Concurrency: a DuckDB file has one writing process at a time, and while one process
writes no other may even read it. Every connection therefore goes through
:func:`connect`, which takes an ``fcntl`` lock beside the database file first: shared
for readers, exclusive for the writer (the drain). Keep connections short; a reader
that waits longer than ``timeout`` gets :class:`StoreBusy`. Do not open a second
connection while holding one in the same process: the second waits for the first.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SCHEME = "duckdb://"

SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS events (
        message_id VARCHAR NOT NULL,
        source_id BIGINT NOT NULL,
        type VARCHAR NOT NULL,
        event VARCHAR,
        name VARCHAR,
        user_id VARCHAR,
        anonymous_id VARCHAR,
        group_id VARCHAR,
        "timestamp" TIMESTAMPTZ NOT NULL,
        sent_at TIMESTAMPTZ,
        received_at TIMESTAMPTZ NOT NULL,
        properties JSON,
        traits JSON,
        context JSON
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS identities (
        user_id VARCHAR NOT NULL,
        traits JSON NOT NULL,
        first_seen TIMESTAMPTZ NOT NULL,
        last_seen TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS group_memberships (
        user_id VARCHAR NOT NULL,
        group_id VARCHAR NOT NULL,
        first_seen TIMESTAMPTZ NOT NULL,
        last_seen TIMESTAMPTZ NOT NULL
    )
    """,
)

_MESSAGE_KEYS = """
CREATE TABLE message_keys (
    key UBIGINT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
)
"""


class StoreBusy(Exception):
    """The event store stayed locked by another process for longer than allowed."""


def database_path() -> Path:
    """The DuckDB file named by ``settings.EVENTS_URL``."""
    url: str = settings.EVENTS_URL
    if not url.startswith(SCHEME) or len(url) <= len(SCHEME):
        raise ImproperlyConfigured(
            f"EVENTS_URL must look like duckdb:///path/to/events.duckdb, not {url!r}"
        )
    return Path(url[len(SCHEME) :]).expanduser()


@contextmanager
def connect(read_only: bool = True, timeout: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the event store, closed (and its lock released) on exit.

    ``read_only=True`` is what metrics use (``ibis.duckdb.from_connection(con)`` works
    on it). ``read_only=False`` is for the drain: one such connection at a time across
    all processes. The schema is created on first use, so readers never meet a missing
    table.
    """
    path = database_path()
    if read_only and not path.exists():
        with connect(read_only=False, timeout=timeout):
            pass
    with _locked(path, exclusive=not read_only, timeout=timeout):
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path), read_only=read_only)
        try:
            if not read_only:
                for statement in SCHEMA:
                    con.execute(statement)
                _ensure_message_keys(con)
            yield con
        finally:
            con.close()


def _ensure_message_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Create the drain's ``message_keys`` table, filled from the recent events of a
    store that existed before it (so retries of those are still recognised)."""
    from kizuna.usage import drain  # drain imports this module

    [(exists,)] = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'message_keys'"
    ).fetchall()
    if exists:
        return
    key = drain.MESSAGE_KEY.format(source="source_id", message="message_id")
    con.execute("BEGIN TRANSACTION")
    con.execute(_MESSAGE_KEYS)
    con.execute(
        f"INSERT INTO message_keys SELECT {key}, received_at FROM events "  # noqa: S608
        "WHERE received_at >= now() - $window ORDER BY received_at",
        {"window": drain.DEDUPLICATION_WINDOW},
    )
    con.execute("COMMIT")


@contextmanager
def _locked(path: Path, *, exclusive: bool, timeout: float) -> Iterator[None]:
    """Hold an flock on ``<database>.lock``: LOCK_EX for the writer, LOCK_SH for readers.

    Polls rather than blocks so the wait is bounded; a timeout of 0 tries once.
    """
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusy(f"{path} is locked by another process") from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
