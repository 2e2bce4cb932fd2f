"""The spool: accepted requests wait here, in the OLTP database, until the drain moves
them into the event store.

Why a spool in the OLTP database: it makes "acknowledged" mean "durable" with a single
INSERT per request (SQLite in WAL mode or PostgreSQL), and it lets the event store have
one writer (the drain) however many web processes accept events.

Retiring rows: after a drain, the drained ids are deleted in one statement whose WHERE
clause is a handful of id ranges. The exact ids are used rather than "everything up to
the highest id drained", because on PostgreSQL an insert that took a lower id can still
be committing while the drain reads; a plain ``id <= max`` would delete it unread.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Sum

from kizuna.usage.models import SpoolBatch


@dataclass(frozen=True)
class SpooledRequest:
    id: int
    source_id: int
    received_at: dt.datetime
    event_count: int
    payload: bytes


_sqlite_writer = threading.Lock()
"""SQLite lets one connection write at a time and makes the others wait by sleeping and
retrying (1, 2, 5, 10 … ms). Threads of one web process take turns on this lock instead,
which hands over at once; only other processes still meet SQLite's own wait."""


def append(source_id: int, payload: bytes, event_count: int, received_at: dt.datetime) -> None:
    """Store one accepted request. Committed when this returns (the view runs in
    autocommit mode), which is what allows answering 200.

    A plain INSERT through Django's connection rather than ``objects.create()``: this
    runs once per request at hundreds of requests per second, and the ORM's model
    instance and RETURNING clause are work nobody uses here.
    """
    table = connection.ops.quote_name(SpoolBatch._meta.db_table)
    sql = (
        f"INSERT INTO {table} (source_id, received_at, event_count, payload) "  # noqa: S608
        "VALUES (%s, %s, %s, %s)"
    )
    params = [
        source_id,
        connection.ops.adapt_datetimefield_value(received_at),
        event_count,
        payload,
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            with _sqlite_writer:
                cursor.execute(sql, params)
        else:
            cursor.execute(sql, params)


def oldest(limit: int, max_bytes: int | None = None) -> list[SpooledRequest]:
    """Up to ``limit`` spooled requests, oldest first, stopping after the request that
    brings the payloads to ``max_bytes`` (so at least one is returned).

    Read in chunks so the byte limit is checked as it goes. On PostgreSQL a request
    with a lower id can still commit after a chunk has been read; it is simply left for
    the next pass, because only the ids actually read are retired.
    """
    found: list[SpooledRequest] = []
    size = 0
    last = 0
    while len(found) < limit and (max_bytes is None or size < max_bytes):
        want = min(_READ_CHUNK, limit - len(found))
        rows = list(
            SpoolBatch.objects.filter(id__gt=last)
            .order_by("id")
            .values_list("id", "source_id", "received_at", "event_count", "payload")[:want]
        )
        for pk, source_id, received_at, count, payload in rows:
            found.append(SpooledRequest(pk, source_id, received_at, count, bytes(payload)))
            size += len(payload)
            last = pk
            if max_bytes is not None and size >= max_bytes:
                break
        if len(rows) < want:
            break
    return found


_READ_CHUNK = 250


def retire(ids: Iterable[int]) -> int:
    """Delete these spool rows in one statement; return how many were deleted.

    On SQLite, the spool's freed pages are not zero-filled first. SQLite as most
    distributions build it does that by default (``secure_delete``), which writes every
    byte a DELETE frees: for the spool as much again as the INSERTs wrote, and five
    times the work of the DELETE itself, all of it while holding the lock the web
    processes wait for. The spooled events live on in the event store, so nothing is
    kept from anyone by leaving their old pages as they are. The connection's setting
    is put back afterwards: other deletions (survey answers, say) keep it.
    """
    ranges = id_ranges(ids)
    if not ranges:
        return 0
    table = connection.ops.quote_name(SpoolBatch._meta.db_table)
    where = " OR ".join("id BETWEEN %s AND %s" for _range in ranges)
    params = [bound for pair in ranges for bound in pair]
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
            return cursor.rowcount
        cursor.execute("PRAGMA secure_delete")
        previous = {0: "OFF", 1: "ON", 2: "FAST"}[int(cursor.fetchone()[0])]
        cursor.execute("PRAGMA secure_delete = FAST")
        try:
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
            return cursor.rowcount
        finally:
            cursor.execute(f"PRAGMA secure_delete = {previous}")


def id_ranges(ids: Iterable[int]) -> list[tuple[int, int]]:
    """Collapse ids into inclusive (first, last) runs: [1, 2, 3, 7] → [(1, 3), (7, 7)]."""
    ranges: list[tuple[int, int]] = []
    for pk in sorted(set(ids)):
        if ranges and ranges[-1][1] == pk - 1:
            ranges[-1] = (ranges[-1][0], pk)
        else:
            ranges.append((pk, pk))
    return ranges


def pending() -> bool:
    """Whether anything waits in the spool (one indexed probe, no payloads read)."""
    return SpoolBatch.objects.exists()


def backlog() -> tuple[int, int]:
    """(requests, events) waiting in the spool."""
    totals = SpoolBatch.objects.aggregate(requests=Count("id"), events=Sum("event_count"))
    return int(totals["requests"] or 0), int(totals["events"] or 0)
