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


def append(source_id: int, payload: bytes, event_count: int, received_at: dt.datetime) -> None:
    """Store one accepted request. Committed when this returns (the view runs in
    autocommit mode), which is what allows answering 200.

    A plain INSERT through Django's connection rather than ``objects.create()``: this
    runs once per request at hundreds of requests per second, and the ORM's model
    instance and RETURNING clause are work nobody uses here.
    """
    table = connection.ops.quote_name(SpoolBatch._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (source_id, received_at, event_count, payload) "  # noqa: S608
            "VALUES (%s, %s, %s, %s)",
            [
                source_id,
                connection.ops.adapt_datetimefield_value(received_at),
                event_count,
                payload,
            ],
        )


def oldest(limit: int) -> list[SpooledRequest]:
    """Up to ``limit`` spooled requests, oldest first."""
    rows = SpoolBatch.objects.order_by("id").values_list(
        "id", "source_id", "received_at", "event_count", "payload"
    )[:limit]
    return [
        SpooledRequest(pk, source_id, received_at, count, bytes(payload))
        for pk, source_id, received_at, count, payload in rows
    ]


def retire(ids: Iterable[int]) -> int:
    """Delete these spool rows in one statement; return how many were deleted."""
    ranges = id_ranges(ids)
    if not ranges:
        return 0
    table = connection.ops.quote_name(SpoolBatch._meta.db_table)
    where = " OR ".join("id BETWEEN %s AND %s" for _range in ranges)
    params = [bound for pair in ranges for bound in pair]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
        return cursor.rowcount


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
