"""End to end with Segment's own Python SDK (segment-analytics-python) against a live
server: what an existing integration sends arrives in DuckDB with the right fields.

Each test runs against both doors: Django's live server (the view behind
``kizuna.wsgi``) and the same server with :class:`TrackingFastPath` in front, which is
what ``kizuna serve`` runs."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import requests

from kizuna.usage import drain, views
from tests.usage.conftest import query

analytics = pytest.importorskip("segment.analytics", reason="segment-analytics-python")

pytestmark = pytest.mark.django_db(transaction=True)

WHEN = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_sdk_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The SDK shares one keep-alive HTTP session per process, and a kept-alive
    connection keeps a live-server thread (and its database connection) alive. Each
    test gets its own session, closed afterwards, and the server threads are given a
    moment to finish while the test database still exists."""
    session = requests.Session()
    monkeypatch.setattr(analytics.request, "_session", session)
    yield
    session.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(
        "process_request_thread" in thread.name for thread in threading.enumerate()
    ):
        time.sleep(0.02)


@pytest.fixture
def fast_server(settings: Any) -> Iterator[Any]:
    """A live server whose WSGI application is the fast path in front of the site."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost:0", start=False)
    inner = server.thread.static_handler
    server.thread.static_handler = lambda handler: views.TrackingFastPath(inner(handler))
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["view", "fast path"])
def server(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("live_server" if request.param == "view" else "fast_server")


def make_client(live_server: Any, key: str, errors: list[Any], **options: Any) -> Any:
    return analytics.Client(
        write_key=key,
        host=live_server.url,
        on_error=lambda error, batch: errors.append((error, batch)),
        max_retries=1,
        **options,
    )


def test_sdk_calls_arrive_in_the_event_store(write_key, server):
    errors: list[Any] = []
    client = make_client(server, write_key, errors, sync_mode=True)
    client.identify("user-1", {"email": "aiko@example.com", "plan": "pro"}, timestamp=WHEN)
    client.group("user-1", "acct-42", {"name": "株式会社サンプル"}, timestamp=WHEN)
    client.track(
        "user-1", "Report Exported", {"format": "csv"}, timestamp=WHEN, message_id="msg-track-1"
    )
    client.page("user-1", "Docs", "Getting started", {"path": "/docs"}, timestamp=WHEN)
    client.screen("user-1", "App", "Home", timestamp=WHEN)
    client.alias("anon-9", "user-1", timestamp=WHEN)
    client.track(anonymous_id="anon-9", event="Visited", timestamp=WHEN)
    assert errors == []

    result = drain.drain_once()
    assert (result.received, result.stored) == (7, 7)

    rows = query(
        "SELECT type, event, name, user_id, anonymous_id, group_id, timestamp, "
        "context->>'$.library.name' FROM events ORDER BY type, event NULLS FIRST"
    )
    assert rows == [
        ("alias", None, None, "user-1", None, "acct-42", WHEN, "analytics-python"),
        ("group", None, None, "user-1", None, "acct-42", WHEN, "analytics-python"),
        ("identify", None, None, "user-1", None, "acct-42", WHEN, "analytics-python"),
        ("page", None, "Getting started", "user-1", None, "acct-42", WHEN, "analytics-python"),
        ("screen", None, "Home", "user-1", None, "acct-42", WHEN, "analytics-python"),
        ("track", "Report Exported", None, "user-1", None, "acct-42", WHEN, "analytics-python"),
        ("track", "Visited", None, None, "anon-9", None, WHEN, "analytics-python"),
    ]
    [(properties,)] = query("SELECT properties FROM events WHERE message_id = 'msg-track-1'")
    assert orjson.loads(properties) == {"format": "csv"}
    [(traits,)] = query("SELECT traits FROM identities WHERE user_id = 'user-1'")
    assert orjson.loads(traits) == {"email": "aiko@example.com", "plan": "pro"}
    assert query("SELECT user_id, group_id FROM group_memberships") == [("user-1", "acct-42")]


def test_sdk_background_batches_with_gzip_and_retries_are_stored_once(write_key, server):
    errors: list[Any] = []
    client = make_client(server, write_key, errors, gzip=True, upload_size=50)
    for i in range(120):
        client.track(f"user-{i % 7}", "Feature Used", {"i": i}, message_id=f"m-{i}")
    client.flush()
    # A retry of already-delivered messages (same messageIds), as after a lost answer.
    for i in range(10):
        client.track(f"user-{i % 7}", "Feature Used", {"i": i}, message_id=f"m-{i}")
    client.flush()
    client.join()
    assert errors == []

    result = drain.drain_all()
    assert (result.received, result.stored) == (130, 120)
    assert query("SELECT count(*), count(DISTINCT message_id) FROM events") == [(120, 120)]
    assert query("SELECT sum((properties->>'$.i')::INT) FROM events") == [(sum(range(120)),)]


def test_sdk_sees_a_bad_write_key_as_an_error(write_key, server):
    errors: list[Any] = []
    client = make_client(server, "kzw_wrong", errors, sync_mode=True)
    with pytest.raises(analytics.request.APIError) as caught:
        client.track("user-1", "Anything")
    assert caught.value.status == 401
    assert "invalid_write_key" in caught.value.message
