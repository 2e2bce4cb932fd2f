"""Moving spooled requests into the event store, in large batches.

One pass (:func:`drain_once`):

1. take the event store's writer lock (another drain running → return at once);
2. read the oldest spooled requests from the OLTP database;
3. in one DuckDB transaction, let DuckDB parse the spooled JSON itself, drop events
   whose ``(source_id, messageId)`` is already stored (or repeated within the pass;
   see :data:`DEDUPLICATION_WINDOW`),
   record ``group`` calls as user → account memberships and ``identify`` traits as
   identities, and append the new events, each carrying its account;
4. after DuckDB has committed, delete the drained spool rows in one statement.

A crash between 3 and 4 leaves rows that are drained again on the next pass; the
message-id check makes that harmless (nothing is counted twice, and memberships and
traits are only updated from events that were actually new).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass

import duckdb
import pyarrow as pa

from kizuna.usage import spool, store
from kizuna.usage.spool import SpooledRequest

logger = logging.getLogger(__name__)

MAX_REQUESTS_PER_PASS = 2000
"""Spooled requests per pass: 2,000 × 100-event batches is 200,000 events. Each pass
pays for opening the store, a checkpoint when it closes and one look at the recent
message ids, whatever its size; at 500 requests those were a third of the drain's time,
at 2,000 a tenth (bench/RESULTS.md, "ingest")."""

MAX_BYTES_PER_PASS = 128 * 1024 * 1024
"""And at most this much spooled JSON per pass (whole requests; the pass that crosses it
stops there), so unusually large batches cannot make a pass take unbounded memory."""

DEDUPLICATION_WINDOW = dt.timedelta(days=7)
"""A messageId is dropped as a duplicate when the same source's event with that id was
received at most this long before the pass's oldest request (Segment promises about 24
hours). The check reads the store's ``message_keys`` (8-byte hashes, kept for this long)
rather than every stored message id, so it costs the same whether the store holds a
million events or a billion; only ids whose hash matches are looked up in ``events``,
where the window again lets DuckDB skip older row groups by their ``received_at``."""

READER_GAP_SECONDS = 0.05
"""Pause between full passes: ``flock`` is not fair, and a drain that re-locks at once
would keep readers (who poll every 20 ms) out for as long as a backlog lasts."""

_EVENT_SHAPE = (
    '[{"messageId": "VARCHAR", "type": "VARCHAR", "event": "VARCHAR", "name": "VARCHAR",'
    ' "userId": "VARCHAR", "anonymousId": "VARCHAR", "groupId": "VARCHAR",'
    ' "timestamp": "VARCHAR", "sentAt": "VARCHAR",'
    ' "properties": "JSON", "traits": "JSON", "context": "JSON"}]'
)

MESSAGE_KEY = "(md5_number(CAST({source} AS VARCHAR) || ':' || {message}) >> 64)::UBIGINT"
"""How a stored event's ``(source_id, message_id)`` becomes its 64-bit entry in the
store's ``message_keys`` table (see :mod:`kizuna.usage.store`)."""

# ``spooled`` is the pass's requests, an Arrow table: handing DuckDB the payloads as a
# Python list costs as much as parsing them. The shape is a constant of this module, not
# input: no injection is possible.
_INCOMING = f"""
CREATE OR REPLACE TEMP TABLE incoming AS
WITH unpacked AS (
    SELECT spool_id, source_id, received_at,
           unnest(events) AS e, generate_subscripts(events, 1) AS ordinal
    FROM (SELECT *, from_json(payload, '{_EVENT_SHAPE}') AS events FROM spooled)
)
SELECT
    e.messageId AS message_id,
    source_id,
    e.type AS type,
    e.event AS event,
    e.name AS name,
    e.userId AS user_id,
    e.anonymousId AS anonymous_id,
    coalesce(
        e.groupId,
        json_extract_string(e.context, '$.groupId'),
        json_extract_string(e.properties, '$.groupId')
    ) AS group_id,
    coalesce(try_cast(e.timestamp AS TIMESTAMPTZ), received_at) AS "timestamp",
    try_cast(e.sentAt AS TIMESTAMPTZ) AS sent_at,
    received_at,
    e.properties AS properties,
    e.traits AS traits,
    e.context AS context,
    spool_id,
    ordinal,
    {MESSAGE_KEY.format(source="source_id", message="e.messageId")} AS key
FROM unpacked
"""  # noqa: S608

# Incoming events whose key is already in the window: almost always none, and the rest
# are the client retries the check is for (or, once in a great while, two ids sharing
# 64 bits of their hash). Only these are looked up in ``events`` itself.
_CANDIDATES = """
CREATE OR REPLACE TEMP TABLE candidates AS
SELECT DISTINCT i.source_id, i.message_id
FROM incoming AS i
SEMI JOIN (SELECT key FROM message_keys WHERE received_at >= $cutoff) AS k ON k.key = i.key
"""

_SEEN = """
CREATE OR REPLACE TEMP TABLE seen AS
SELECT DISTINCT e.source_id, e.message_id
FROM events AS e
SEMI JOIN candidates AS c ON c.source_id = e.source_id AND c.message_id = e.message_id
WHERE e.received_at >= $cutoff
"""

_NONE_SEEN = "CREATE OR REPLACE TEMP TABLE seen AS SELECT source_id, message_id FROM candidates"

# A messageId sent twice within the pass keeps only its first copy. That is rare, so the
# repeats are found by grouping the keys alone rather than by ranking every event.
_FRESH = """
CREATE OR REPLACE TEMP TABLE fresh AS
WITH repeated AS (
    SELECT source_id, message_id, min(spool_id * 10000 + ordinal) AS first
    FROM incoming
    GROUP BY source_id, message_id
    HAVING count(*) > 1
)
SELECT i.*
FROM incoming AS i
LEFT JOIN repeated AS r ON r.source_id = i.source_id AND r.message_id = i.message_id
ANTI JOIN seen AS s ON s.source_id = i.source_id AND s.message_id = i.message_id
WHERE r.first IS NULL OR r.first = i.spool_id * 10000 + i.ordinal
"""

_KEYS = """
INSERT INTO message_keys SELECT key, received_at FROM fresh
"""

_MEMBERSHIPS = """
MERGE INTO group_memberships AS m
USING (
    SELECT user_id, group_id, min("timestamp") AS first_seen, max("timestamp") AS last_seen
    FROM fresh
    WHERE type = 'group' AND user_id IS NOT NULL AND group_id IS NOT NULL
    GROUP BY user_id, group_id
) AS g
ON m.user_id = g.user_id AND m.group_id = g.group_id
WHEN MATCHED THEN UPDATE SET
    first_seen = least(m.first_seen, g.first_seen),
    last_seen = greatest(m.last_seen, g.last_seen)
WHEN NOT MATCHED THEN INSERT (user_id, group_id, first_seen, last_seen)
    VALUES (g.user_id, g.group_id, g.first_seen, g.last_seen)
"""

# Traits merge like Segment profiles: later identify calls override earlier keys. Within
# a pass they are applied in timestamp order; a pass whose newest call is older than the
# stored profile only fills keys the profile lacks.
_IDENTITIES = """
MERGE INTO identities AS t
USING (
    SELECT
        user_id,
        list_reduce(
            list(coalesce(traits, '{}'::JSON) ORDER BY "timestamp", spool_id, ordinal),
            lambda a, b: json_merge_patch(a, b)
        ) AS traits,
        min("timestamp") AS first_seen,
        max("timestamp") AS last_seen
    FROM fresh
    WHERE type = 'identify' AND user_id IS NOT NULL
    GROUP BY user_id
) AS s
ON t.user_id = s.user_id
WHEN MATCHED THEN UPDATE SET
    traits = CASE WHEN s.last_seen >= t.last_seen
        THEN json_merge_patch(t.traits, s.traits)
        ELSE json_merge_patch(s.traits, t.traits) END,
    first_seen = least(t.first_seen, s.first_seen),
    last_seen = greatest(t.last_seen, s.last_seen)
WHEN NOT MATCHED THEN INSERT (user_id, traits, first_seen, last_seen)
    VALUES (s.user_id, s.traits, s.first_seen, s.last_seen)
"""

# Events that name no account get their user's: the membership seen most recently
# (ties broken by group id, so the choice is deterministic).
_INSERT = """
INSERT INTO events
SELECT
    f.message_id, f.source_id, f.type, f.event, f.name, f.user_id, f.anonymous_id,
    coalesce(f.group_id, a.group_id), f."timestamp", f.sent_at, f.received_at,
    f.properties, f.traits, f.context
FROM fresh AS f
LEFT JOIN (
    SELECT user_id, first(group_id ORDER BY last_seen DESC, group_id) AS group_id
    FROM group_memberships
    WHERE user_id IN (SELECT user_id FROM fresh WHERE group_id IS NULL)
    GROUP BY user_id
) AS a ON f.group_id IS NULL AND a.user_id = f.user_id
ORDER BY f."timestamp"
"""


@dataclass(frozen=True)
class DrainResult:
    """What one pass did. ``duplicates`` = events received − events stored."""

    requests: int = 0
    received: int = 0
    stored: int = 0
    busy: bool = False

    @property
    def duplicates(self) -> int:
        return self.received - self.stored

    def as_dict(self) -> dict[str, int | bool]:
        return {**asdict(self), "duplicates": self.duplicates}

    def __add__(self, other: DrainResult) -> DrainResult:
        return DrainResult(
            self.requests + other.requests,
            self.received + other.received,
            self.stored + other.stored,
            self.busy or other.busy,
        )


def drain_once(
    max_requests: int = MAX_REQUESTS_PER_PASS,
    lock_timeout: float = 0.0,
    max_bytes: int = MAX_BYTES_PER_PASS,
) -> DrainResult:
    """Move up to ``max_requests`` spooled requests (and about ``max_bytes`` of them)
    into the event store.

    Returns ``busy=True`` without doing anything when another process holds the event
    store for longer than ``lock_timeout`` seconds (another drain, or long reads).
    """
    if not spool.pending():
        return DrainResult()  # nothing to do: leave the store to its readers
    try:
        with store.connect(read_only=False, timeout=lock_timeout) as con:
            batch = spool.oldest(max_requests, max_bytes)
            if not batch:
                return DrainResult()
            received, stored = _load(con, batch)
            # Still under the lock, so no other drain reads these rows again.
            spool.retire(row.id for row in batch)
    except store.StoreBusy:
        return DrainResult(busy=True)
    return DrainResult(len(batch), received, stored)


def drain_all(
    time_budget: float = 8.0,
    max_requests: int = MAX_REQUESTS_PER_PASS,
    max_bytes: int = MAX_BYTES_PER_PASS,
) -> DrainResult:
    """Drain until the spool is empty, the store is busy, or ``time_budget`` seconds pass."""
    deadline = time.monotonic() + time_budget
    total = DrainResult()
    while True:
        result = drain_once(max_requests, max_bytes=max_bytes)
        total += result
        if result.busy or not result.requests or time.monotonic() >= deadline:
            return total
        if result.requests < max_requests and not spool.pending():
            return total
        time.sleep(READER_GAP_SECONDS)


def _load(con: duckdb.DuckDBPyConnection, batch: list[SpooledRequest]) -> tuple[int, int]:
    """Write one batch in a single DuckDB transaction; return (received, stored)."""
    started = time.monotonic()
    spooled = pa.table(
        {
            "spool_id": pa.array([row.id for row in batch], pa.int64()),
            "source_id": pa.array([row.source_id for row in batch], pa.int64()),
            "received_at": pa.array(
                [row.received_at for row in batch], pa.timestamp("us", tz="UTC")
            ),
            # Validated as UTF-8 here; orjson wrote it, so this never fails in practice.
            "payload": pa.array([row.payload for row in batch], pa.large_string()),
        }
    )
    cutoff = min(row.received_at for row in batch) - DEDUPLICATION_WINDOW
    received = sum(row.event_count for row in batch)
    con.register("spooled", spooled)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(_INCOMING)
        con.execute(_CANDIDATES, {"cutoff": cutoff})
        if _count(con, "candidates"):
            con.execute(_SEEN, {"cutoff": cutoff})
        else:
            con.execute(_NONE_SEEN)
        con.execute(_FRESH)
        con.execute(_MEMBERSHIPS)
        con.execute(_IDENTITIES)
        con.execute(_INSERT)
        con.execute(_KEYS)
        con.execute("DELETE FROM message_keys WHERE received_at < $cutoff", {"cutoff": cutoff})
        stored = _count(con, "fresh")
        for table in ("incoming", "candidates", "seen", "fresh"):
            con.execute(f"DROP TABLE {table}")
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # keep the original error, not this one
            con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("spooled")
    logger.info(
        "drained %s requests in %.2f s: %s events received, %s stored",
        len(batch),
        time.monotonic() - started,
        received,
        stored,
    )
    return received, stored


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    [(count,)] = con.execute(f"SELECT count(*) FROM {table}").fetchall()  # noqa: S608
    return int(count)
