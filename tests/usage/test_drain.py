"""The drain: spooled requests become rows in DuckDB, once each, with their account."""

from __future__ import annotations

import datetime as dt
import threading
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from kizuna.core import scheduler
from kizuna.usage import drain, spool, store
from kizuna.usage.models import Source, SpoolBatch
from tests.usage.conftest import query

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def track(message_id: str, user: str = "u1", **extra: Any) -> dict[str, Any]:
    return {"type": "track", "userId": user, "event": "Clicked", "messageId": message_id, **extra}


def send(post: Any, key: str, *events: dict[str, Any]) -> None:
    response = post("batch", {"batch": list(events)}, key)
    assert response.status_code == 200, response.content


def test_events_land_in_duckdb_with_their_fields(post, write_key):
    send(
        post,
        write_key,
        track(
            "m1",
            timestamp="2026-11-26T19:00:00+09:00",
            sentAt="2026-11-26T10:00:01Z",
            properties={"button": "save", "n": 3},
            context={"locale": "ja-JP"},
        ),
        {"type": "page", "anonymousId": "a1", "name": "Pricing", "messageId": "m2"},
    )
    result = drain.drain_once()
    assert (result.requests, result.received, result.stored) == (1, 2, 2)
    assert SpoolBatch.objects.count() == 0

    rows = query(
        "SELECT message_id, type, event, name, user_id, anonymous_id, group_id, "
        "timestamp, sent_at, properties->>'$.button', (properties->>'$.n')::INT, "
        "context->>'$.locale' FROM events ORDER BY message_id"
    )
    assert rows[0] == (
        "m1",
        "track",
        "Clicked",
        None,
        "u1",
        None,
        None,
        dt.datetime(2026, 11, 26, 10, 0, tzinfo=UTC),  # 19:00 JST
        dt.datetime(2026, 11, 26, 10, 0, 1, tzinfo=UTC),
        "save",
        3,
        "ja-JP",
    )
    assert rows[1][:6] == ("m2", "page", None, "Pricing", None, "a1")


def test_event_without_timestamp_takes_the_received_time(post, write_key):
    send(post, write_key, track("m1"))
    received_at = SpoolBatch.objects.get().received_at
    drain.drain_once()
    [(timestamp, received)] = query("SELECT timestamp, received_at FROM events")
    assert timestamp == received == received_at


def test_duplicate_message_id_is_stored_once(post, write_key):
    # Twice within one request, again in a second request before the drain, and once
    # more (a client retry) after the first drain.
    send(post, write_key, track("dup"), track("dup"), track("other"))
    send(post, write_key, track("dup"))
    first = drain.drain_once()
    assert (first.received, first.stored, first.duplicates) == (4, 2, 2)
    send(post, write_key, track("dup"))
    second = drain.drain_once()
    assert (second.received, second.stored) == (1, 0)
    assert query("SELECT message_id, count(*) FROM events GROUP BY 1 ORDER BY 1") == [
        ("dup", 1),
        ("other", 1),
    ]


def test_same_message_id_from_two_sources_is_two_events(post, write_key):
    from kizuna.usage import sources

    _other, other_key = sources.create_source("backend")
    send(post, write_key, track("m1"))
    send(post, other_key, track("m1"))
    drain.drain_once()
    assert query("SELECT count(*) FROM events") == [(2,)]


def test_the_first_copy_of_a_duplicate_is_the_one_kept(post, write_key):
    send(post, write_key, track("m1", properties={"v": "first"}))
    send(post, write_key, track("m1", properties={"v": "second"}))
    drain.drain_once()
    assert query("SELECT properties->>'$.v' FROM events") == [("first",)]


def test_a_crash_before_the_spool_is_cleared_does_not_double_count(post, write_key):
    send(post, write_key, track("m1"), track("m2"))
    with (
        mock.patch.object(spool, "retire", side_effect=RuntimeError("killed")),
        pytest.raises(RuntimeError),
    ):
        drain.drain_once()
    # DuckDB committed, the spool row survived: the next pass finds only duplicates.
    assert SpoolBatch.objects.count() == 1
    again = drain.drain_once()
    assert (again.received, again.stored) == (2, 0)
    assert SpoolBatch.objects.count() == 0
    assert query("SELECT count(*) FROM events") == [(2,)]


def test_a_failed_store_write_keeps_the_spool(post, write_key):
    send(post, write_key, track("m1"))
    with (
        mock.patch.object(drain, "_INSERT", "INSERT INTO no_such_table VALUES (1)"),
        pytest.raises(Exception, match="no_such_table"),
    ):
        drain.drain_once()
    assert SpoolBatch.objects.count() == 1
    assert query("SELECT count(*) FROM events") == [(0,)]  # rolled back whole
    assert drain.drain_once().stored == 1


def test_group_call_links_user_to_account(post, write_key):
    send(
        post,
        write_key,
        {
            "type": "group",
            "userId": "u1",
            "groupId": "acme",
            "messageId": "g1",
            "timestamp": "2026-11-01T00:00:00Z",
        },
        track("t1", "u1"),
        track("t2", "u1", context={"groupId": "globex"}),  # the event's own account wins
        track("t3", "u2"),  # no membership: no account
    )
    drain.drain_once()
    assert query("SELECT message_id, group_id FROM events ORDER BY 1") == [
        ("g1", "acme"),
        ("t1", "acme"),
        ("t2", "globex"),
        ("t3", None),
    ]
    assert query("SELECT user_id, group_id, first_seen FROM group_memberships") == [
        ("u1", "acme", dt.datetime(2026, 11, 1, tzinfo=UTC))
    ]


def test_membership_from_an_earlier_drain_applies_to_later_events(post, write_key):
    send(post, write_key, {"type": "group", "userId": "u1", "groupId": "acme", "messageId": "g"})
    drain.drain_once()
    send(post, write_key, track("later", "u1"))
    drain.drain_once()
    assert query("SELECT group_id FROM events WHERE message_id = 'later'") == [("acme",)]


def test_user_in_two_accounts_gets_the_most_recent(post, write_key):
    send(
        post,
        write_key,
        {
            "type": "group",
            "userId": "u1",
            "groupId": "old",
            "messageId": "g1",
            "timestamp": "2026-01-01T00:00:00Z",
        },
        {
            "type": "group",
            "userId": "u1",
            "groupId": "new",
            "messageId": "g2",
            "timestamp": "2026-06-01T00:00:00Z",
        },
        track("t", "u1"),
    )
    drain.drain_once()
    assert query("SELECT group_id FROM events WHERE message_id = 't'") == [("new",)]
    memberships = query(
        "SELECT group_id, first_seen, last_seen FROM group_memberships ORDER BY group_id"
    )
    assert [m[0] for m in memberships] == ["new", "old"]


def test_repeated_group_calls_keep_one_membership_with_first_and_last_seen(post, write_key):
    for month in (3, 1, 5):
        send(
            post,
            write_key,
            {
                "type": "group",
                "userId": "u1",
                "groupId": "acme",
                "messageId": f"g{month}",
                "timestamp": f"2026-{month:02d}-01T00:00:00Z",
            },
        )
        drain.drain_once()
    assert query("SELECT first_seen, last_seen FROM group_memberships") == [
        (dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 5, 1, tzinfo=UTC))
    ]


def identify(message_id: str, when: str, **traits: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": "u1",
        "messageId": message_id,
        "timestamp": when,
        "traits": traits,
    }


def test_identify_traits_merge_with_later_calls_winning(post, write_key):
    send(
        post,
        write_key,
        identify("i2", "2026-02-01T00:00:00Z", plan="pro"),
        identify("i1", "2026-01-01T00:00:00Z", plan="free", name="Aiko"),
    )
    drain.drain_once()
    # A late-arriving older call only fills what the profile lacks.
    send(post, write_key, identify("i0", "2025-12-01T00:00:00Z", plan="trial", role="admin"))
    drain.drain_once()
    import orjson

    [(traits, first_seen, last_seen)] = query(
        "SELECT traits, first_seen, last_seen FROM identities"
    )
    assert orjson.loads(traits) == {"plan": "pro", "name": "Aiko", "role": "admin"}
    assert first_seen == dt.datetime(2025, 12, 1, tzinfo=UTC)
    assert last_seen == dt.datetime(2026, 2, 1, tzinfo=UTC)


def test_drained_rows_are_retired_and_the_rest_wait(post, write_key):
    for i in range(5):
        send(post, write_key, track(f"m{i}"))
    first = drain.drain_once(max_requests=3)
    assert (first.requests, first.stored) == (3, 3)
    assert spool.backlog() == (2, 2)
    rest = drain.drain_all()
    assert (rest.requests, rest.stored) == (2, 2)
    assert spool.backlog() == (0, 0)


def test_drain_waits_its_turn_when_the_store_is_in_use(post, write_key):
    send(post, write_key, track("m1"))
    opened = threading.Event()
    release = threading.Event()

    def reader() -> None:
        with store.connect(read_only=True):
            opened.set()
            release.wait(10)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert opened.wait(10)
        assert drain.drain_once() == drain.DrainResult(busy=True)
        assert SpoolBatch.objects.count() == 1
    finally:
        release.set()
        thread.join()
    assert drain.drain_once().stored == 1


def test_empty_spool_is_a_no_op():
    assert drain.drain_once() == drain.DrainResult()


def test_readers_get_the_schema_before_any_drain():
    assert query("SELECT count(*) FROM events") == [(0,)]
    assert query("SELECT count(*) FROM identities") == [(0,)]
    assert query("SELECT count(*) FROM group_memberships") == [(0,)]


def test_events_url_must_be_duckdb(settings):
    settings.EVENTS_URL = "clickhouse://localhost/events"
    with pytest.raises(ImproperlyConfigured):
        store.database_path()


def test_id_ranges_collapse_runs():
    assert spool.id_ranges([7, 1, 3, 2, 9, 8, 3]) == [(1, 3), (7, 9)]
    assert spool.id_ranges([]) == []


def test_drain_is_a_frequent_periodic_task(post, write_key):
    from kizuna.usage import tasks

    scheduler.discover_jobs()
    job = scheduler.JOBS["usage.drain_spool"]
    assert job.task is tasks.drain_spool
    assert job.every == timedelta(seconds=10)

    send(post, write_key, track("m1"), track("m2"))
    result = tasks.drain_spool.enqueue()  # the test settings run tasks inline
    assert result.return_value == {
        "requests": 1,
        "received": 2,
        "stored": 2,
        "busy": False,
        "duplicates": 0,
    }
    assert query("SELECT count(*) FROM events") == [(2,)]


# --- de-duplication at scale: the window and the message keys ------------------------


def test_a_copy_received_after_the_window_is_stored_again(post, write_key):
    send(post, write_key, track("m1"))
    first = SpoolBatch.objects.get()
    # As if the first copy had arrived eight days before the retry.
    SpoolBatch.objects.update(received_at=first.received_at - timedelta(days=8))
    drain.drain_once()
    send(post, write_key, track("m1"))  # just outside the window: a new event
    send(post, write_key, track("m1"))  # and again at once: a duplicate of that one
    result = drain.drain_once()
    assert (result.received, result.stored) == (2, 1)
    assert timedelta(days=7) == drain.DEDUPLICATION_WINDOW
    assert query("SELECT count(*) FROM events WHERE message_id = 'm1'") == [(2,)]


def test_ids_sharing_a_key_are_told_apart_by_the_events_themselves(post, write_key):
    # Every event gets the same 64-bit key: each later one is a candidate duplicate, and
    # only the events table can say which really are.
    key = drain.MESSAGE_KEY.format(source="source_id", message="e.messageId")
    with mock.patch.object(drain, "_INCOMING", drain._INCOMING.replace(key, "0::UBIGINT")):
        send(post, write_key, track("a"), track("b"))
        assert drain.drain_once().stored == 2
        send(post, write_key, track("a"), track("c"), track("b"), track("d"))
        again = drain.drain_once()
    assert (again.received, again.stored) == (4, 2)
    assert query("SELECT message_id FROM events ORDER BY 1") == [("a",), ("b",), ("c",), ("d",)]


def test_a_store_from_before_the_message_keys_still_recognises_recent_ids(
    post, write_key, events_store
):
    import duckdb

    # A store as an earlier version left it: events, no message_keys table.
    con = duckdb.connect(str(events_store))
    for statement in store.SCHEMA:
        con.execute(statement)
    con.execute(
        "INSERT INTO events (message_id, source_id, type, timestamp, received_at) "
        "VALUES ('old', $1, 'track', now(), now() - INTERVAL 1 DAY), "
        "('older', $1, 'track', now(), now() - INTERVAL 30 DAY)",
        [Source.objects.get().pk],
    )
    con.close()
    send(post, write_key, track("old"), track("older"), track("new"))
    result = drain.drain_once()
    assert (result.received, result.stored) == (3, 2)  # "older" is outside the window
    assert query("SELECT count(*) FROM message_keys") == [(3,)]


def test_old_message_keys_are_pruned(post, write_key):
    send(post, write_key, track("m1"))
    drain.drain_once()
    send(post, write_key, track("m2"))
    SpoolBatch.objects.update(received_at=timezone.now() + timedelta(days=10))
    drain.drain_once()
    assert query("SELECT count(*) FROM message_keys") == [(1,)]
    assert query("SELECT count(*) FROM events") == [(2,)]


# --- pass sizes -----------------------------------------------------------------------


def test_a_pass_stops_after_the_request_that_reaches_the_byte_limit(post, write_key):
    for i in range(4):
        send(post, write_key, track(f"m{i}"))
    size = len(SpoolBatch.objects.first().payload)
    assert [row.id for row in spool.oldest(10, max_bytes=size + 1)] == list(
        SpoolBatch.objects.order_by("id").values_list("id", flat=True)[:2]
    )
    assert len(spool.oldest(10, max_bytes=1)) == 1  # always at least one
    assert len(spool.oldest(3)) == 3


def test_drain_all_goes_on_after_a_pass_cut_short_by_size(post, write_key):
    for i in range(5):
        send(post, write_key, track(f"m{i}"))
    size = len(SpoolBatch.objects.first().payload)
    result = drain.drain_all(max_bytes=2 * size)
    assert (result.requests, result.stored) == (5, 5)
    assert spool.backlog() == (0, 0)


def test_retiring_leaves_the_connections_secure_delete_setting_alone(post, write_key):
    from django.db import connection

    send(post, write_key, track("m1"))
    if connection.vendor != "sqlite":
        pytest.skip("secure_delete is SQLite's")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete = ON")
        drain.drain_once()
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1
    assert SpoolBatch.objects.count() == 0
