"""The /v1/ endpoints: what is accepted, what is refused and why, and what is spooled.

Every test that posts through the ``post`` fixture runs twice: through Django's test
client (the view) and through :class:`TrackingFastPath`, the WSGI application ``kizuna
serve`` runs, which must behave exactly like the view.
"""

from __future__ import annotations

import base64
import gzip
import io
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from kizuna.usage import ingest, sources, views
from kizuna.usage.models import Source, SpoolBatch
from tests.usage.conftest import PostFn

pytestmark = pytest.mark.django_db


class WsgiResponse:
    """Enough of a Django test response for these tests: status, body, headers."""

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status_code = int(status.split(" ", 1)[0])
        self.headers = {name.lower(): value for name, value in headers}
        self.content = body

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]


def wsgi_call(
    app: Any, method: str, path: str, body: bytes = b"", cookies: str = "", **meta: str
) -> WsgiResponse:
    """Call a WSGI application as gunicorn would, with the test database left alone
    (the connection-closing signal handlers are held off, as Django's test client does)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **meta,
    }
    if cookies:
        environ["HTTP_COOKIE"] = cookies
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer.update(status=status, headers=headers)

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = app(environ, start_response)
        try:
            body_out = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return WsgiResponse(answer["status"], answer["headers"], body_out)


@pytest.fixture
def fast_path() -> views.TrackingFastPath:
    return views.TrackingFastPath(WSGIHandler())


@pytest.fixture(params=["view", "fast path"])
def post(request: pytest.FixtureRequest, client: Client) -> Iterator[PostFn]:
    """POST a JSON body (dict, or raw bytes) to /v1/<kind>, through either door."""
    from tests.usage.conftest import basic

    door = request.param
    app = views.TrackingFastPath(WSGIHandler()) if door == "fast path" else None

    def send(
        kind: str, body: dict[str, Any] | bytes, key: str | None = None, **headers: Any
    ) -> Any:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        if key is not None:
            headers.setdefault("HTTP_AUTHORIZATION", basic(key))
        if app is None:
            return client.post(f"/v1/{kind}", data, content_type="application/json", **headers)
        cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
        return wsgi_call(app, "POST", f"/v1/{kind}", data, cookies=cookies, **headers)

    yield send


# One valid event per call type; the single-event endpoint takes it without "type".
EXAMPLES: dict[str, dict[str, Any]] = {
    "track": {"userId": "u1", "event": "Report Exported", "properties": {"format": "csv"}},
    "identify": {"userId": "u1", "traits": {"email": "a@example.com"}},
    "group": {"userId": "u1", "groupId": "acme", "traits": {"name": "Acme"}},
    "page": {"anonymousId": "anon-1", "name": "Pricing", "properties": {"path": "/pricing"}},
    "screen": {"userId": "u1", "name": "Home"},
    "alias": {"userId": "u1", "previousId": "anon-1"},
}


def spooled() -> list[list[dict[str, Any]]]:
    return [orjson.loads(bytes(b.payload)) for b in SpoolBatch.objects.order_by("id")]


def error_of(response: Any) -> dict[str, Any]:
    return orjson.loads(response.content)["error"]


@pytest.mark.parametrize("kind", list(EXAMPLES))
@pytest.mark.parametrize("auth", ["basic", "body"])
def test_each_call_type_is_accepted_and_spooled(post, write_key, kind, auth):
    body = dict(EXAMPLES[kind], messageId=f"m-{kind}")
    if auth == "body":
        response = post(kind, {**body, "writeKey": write_key})
    else:
        response = post(kind, body, write_key)

    assert response.status_code == 200, response.content
    assert orjson.loads(response.content) == {"success": True}
    [events] = spooled()
    assert len(events) == 1
    event = events[0]
    assert event["type"] == kind  # taken from the endpoint
    assert event["messageId"] == f"m-{kind}"
    assert "writeKey" not in event  # the key never reaches the spool
    for field, value in EXAMPLES[kind].items():
        assert event[field] == value


@pytest.mark.parametrize("auth", ["basic", "body"])
def test_batch_is_spooled_as_one_row(post, write_key, auth):
    batch = [dict(EXAMPLES[kind], type=kind, messageId=f"m{i}") for i, kind in enumerate(EXAMPLES)]
    body: dict[str, Any] = {"batch": batch, "sentAt": "2026-11-26T10:00:05Z"}
    if auth == "body":
        response = post("batch", {**body, "writeKey": write_key})
    else:
        response = post("batch", body, write_key)

    assert response.status_code == 200, response.content
    assert SpoolBatch.objects.count() == 1
    row = SpoolBatch.objects.get()
    assert row.event_count == 6
    assert row.source_id == Source.objects.get().pk
    events = spooled()[0]
    assert [e["messageId"] for e in events] == [f"m{i}" for i in range(6)]
    # The batch-level sentAt is kept on each event.
    assert {e["sentAt"] for e in events} == {"2026-11-26T10:00:05Z"}


def test_batch_level_context_and_integrations_are_merged_into_events(post, write_key):
    body = {
        "context": {"ip": "192.0.2.1", "locale": "ja-JP"},
        "integrations": {"All": False},
        "batch": [
            {"type": "track", "userId": "u1", "event": "A", "context": {"locale": "en-US"}},
            {"type": "track", "userId": "u2", "event": "B"},
        ],
    }
    assert post("batch", body, write_key).status_code == 200
    first, second = spooled()[0]
    assert first["context"] == {"ip": "192.0.2.1", "locale": "en-US"}  # the event's own wins
    assert second["context"] == {"ip": "192.0.2.1", "locale": "ja-JP"}
    assert first["integrations"] == second["integrations"] == {"All": False}


def test_missing_message_id_is_generated_and_ids_become_strings(post, write_key):
    response = post("track", {"userId": 42, "event": "Signed Up"}, write_key)
    assert response.status_code == 200
    [[event]] = spooled()
    assert event["userId"] == "42"
    assert event["messageId"].startswith("api-")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        # The SDKs' form is stored as sent.
        ("2026-11-26T19:00:00+09:00", "2026-11-26T19:00:00+09:00"),
        ("2026-11-26T10:00:00.123Z", "2026-11-26T10:00:00.123Z"),
        # Other ISO 8601 forms are rewritten as the same instant in UTC; a time without
        # an offset is UTC. (19:00 in Tokyo, UTC+9, is 10:00 UTC.)
        ("2026-11-26T19:00:00,5+09:00", "2026-11-26T10:00:00.500000+00:00"),
        ("2026-11-26T10:00:00", "2026-11-26T10:00:00.000000+00:00"),
        ("20261126T190000+0900", "2026-11-26T10:00:00.000000+00:00"),
        ("2026-11-26", "2026-11-26T00:00:00.000000+00:00"),
    ],
)
def test_timestamps_are_stored_in_a_form_duckdb_reads(post, write_key, sent, stored):
    body = {"userId": "u1", "event": "A", "timestamp": sent}
    assert post("track", body, write_key).status_code == 200
    [[event]] = spooled()
    assert event["timestamp"] == stored


def test_basic_auth_without_the_colon_is_accepted(post, write_key):
    header = "Basic " + base64.b64encode(write_key.encode()).decode()
    response = post("track", EXAMPLES["track"], HTTP_AUTHORIZATION=header)
    assert response.status_code == 200


def test_gzip_body_is_accepted(post, write_key):
    body = gzip.compress(orjson.dumps({"batch": [dict(EXAMPLES["track"], type="track")]}))
    response = post("batch", body, write_key, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 200, response.content
    assert spooled()[0][0]["event"] == "Report Exported"


# --- limits --------------------------------------------------------------------------


def event_of_size(size: int, index: int = 0) -> dict[str, Any]:
    """A track event whose compact JSON is exactly ``size`` bytes."""
    event: dict[str, Any] = {
        "type": "track",
        "userId": "u1",
        "event": "Big",
        "messageId": f"m{index:05d}",
        "properties": {"pad": ""},
    }
    base = len(orjson.dumps(event))
    event["properties"]["pad"] = "x" * (size - base)
    assert len(orjson.dumps(event)) == size
    return event


def test_event_of_exactly_32_kb_is_accepted(post, write_key):
    response = post("batch", {"batch": [event_of_size(32 * 1024)]}, write_key)
    assert response.status_code == 200, response.content


def test_event_over_32_kb_is_refused_naming_it(post, write_key):
    batch = [event_of_size(200, i) for i in range(17)] + [event_of_size(32 * 1024 + 1, 17)]
    response = post("batch", {"batch": batch}, write_key)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "event_too_large"
    assert error["index"] == 17
    assert error["field"] == "batch[17]"
    assert "32,769" in error["message"]
    assert SpoolBatch.objects.count() == 0  # nothing of the request is kept


def test_single_event_over_32_kb_is_refused(post, write_key):
    event = event_of_size(32 * 1024 + 1)
    del event["type"]
    response = post("track", event, write_key)
    assert response.status_code == 400
    assert error_of(response)["code"] == "event_too_large"
    assert SpoolBatch.objects.count() == 0


def small_batch(count: int) -> dict[str, Any]:
    return {"batch": [{"type": "track", "userId": "u", "event": "e"}] * count}


def test_batch_of_2500_events_is_accepted(post, write_key):
    response = post("batch", small_batch(2500), write_key)
    assert response.status_code == 200
    assert SpoolBatch.objects.get().event_count == 2500


def test_batch_of_2501_events_is_refused(post, write_key):
    response = post("batch", small_batch(2501), write_key)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "too_many_events"
    assert error["field"] == "batch"
    assert "2,501" in error["message"]
    assert SpoolBatch.objects.count() == 0


def test_body_over_500_kb_is_refused(post, write_key):
    # 20 events of 26,000 bytes: each is within 32 KB, the body (≈ 520,000 bytes) is not.
    body = orjson.dumps({"batch": [event_of_size(26_000, i) for i in range(20)]})
    assert len(body) > 500 * 1024
    response = post("batch", body, write_key)
    assert response.status_code == 400
    assert error_of(response)["code"] == "request_too_large"
    assert SpoolBatch.objects.count() == 0


def test_gzip_that_inflates_past_500_kb_is_refused(post, write_key):
    body = gzip.compress(b'{"batch": [' + b" " * (600 * 1024) + b"]}")
    assert len(body) < 10 * 1024
    response = post("batch", body, write_key, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert error_of(response)["code"] == "request_too_large"


# --- malformed input -----------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{not json", b"", b'["a list"]', b'{"batch": [1,]}'])
def test_malformed_json_is_refused(post, write_key, body):
    response = post("batch", body, write_key)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"
    assert SpoolBatch.objects.count() == 0


def test_missing_user_and_anonymous_id_names_the_field_and_index(post, write_key):
    batch = [
        {"type": "track", "userId": "u1", "event": "A"},
        {"type": "track", "userId": "u2", "event": "B"},
        {"type": "track", "event": "C", "userId": ""},
    ]
    response = post("batch", {"batch": batch}, write_key)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "no_user_anon_id"
    assert error["index"] == 2
    assert error["field"] == "batch[2].userId"
    assert "anonymousId" in error["message"]
    assert SpoolBatch.objects.count() == 0


def test_single_event_without_ids_is_refused(post, write_key):
    response = post("identify", {"traits": {"name": "x"}}, write_key)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "no_user_anon_id"
    assert error["field"] == "userId"
    assert "index" not in error


@pytest.mark.parametrize(
    ("event", "code", "field"),
    [
        ({"type": "track", "userId": "u"}, "missing_field", "batch[0].event"),
        ({"type": "group", "userId": "u"}, "missing_field", "batch[0].groupId"),
        ({"type": "alias", "userId": "u"}, "missing_field", "batch[0].previousId"),
        ({"type": "click", "userId": "u"}, "invalid_type", "batch[0].type"),
        ({"userId": "u"}, "invalid_type", "batch[0].type"),
        (
            {"type": "track", "userId": "u", "event": "e", "properties": [1]},
            "invalid_field",
            "batch[0].properties",
        ),
        (
            {"type": "track", "userId": "u", "event": "e", "timestamp": "yesterday"},
            "invalid_field",
            "batch[0].timestamp",
        ),
        ({"type": "track", "userId": ["u"], "event": "e"}, "invalid_field", "batch[0].userId"),
    ],
)
def test_invalid_events_are_refused_with_a_field_path(post, write_key, event, code, field):
    response = post("batch", {"batch": [event]}, write_key)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["field"], error["index"]) == (code, field, 0)


def test_batch_must_be_a_list(post, write_key):
    response = post("batch", {"batch": {"type": "track"}}, write_key)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_batch"


# --- write keys ----------------------------------------------------------------------


def test_unknown_write_key_is_401_with_basic_auth(post, write_key):
    response = post("track", EXAMPLES["track"], "kzw_not-a-real-key")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_write_key"
    assert response["WWW-Authenticate"].startswith("Basic")
    assert SpoolBatch.objects.count() == 0


def test_unknown_write_key_is_401_in_the_body(post, write_key):
    response = post("track", {**EXAMPLES["track"], "writeKey": "kzw_not-a-real-key"})
    assert response.status_code == 401
    assert SpoolBatch.objects.count() == 0


def test_no_write_key_is_401(post, write_key):
    response = post("track", EXAMPLES["track"])
    assert response.status_code == 401
    assert "writeKey" in error_of(response)["message"]


def test_unknown_key_is_refused_before_the_body_is_validated(post, write_key):
    response = post("batch", small_batch(2501), "kzw_not-a-real-key")
    assert response.status_code == 401


def test_deactivated_source_is_refused(post, write_key):
    assert post("track", EXAMPLES["track"], write_key).status_code == 200
    sources.set_active(Source.objects.get(), False)
    response = post("track", EXAMPLES["track"], write_key)
    assert response.status_code == 401
    assert SpoolBatch.objects.count() == 1


def test_only_a_hash_of_the_key_is_stored(write_key):
    source = Source.objects.get()
    assert write_key.startswith(source.key_prefix)
    assert len(source.key_prefix) == 12
    assert source.key_hash == sources.hash_key(write_key) != write_key


# --- HTTP details --------------------------------------------------------------------


def test_get_is_405(client, write_key):
    response = client.get("/v1/track")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_preflight_allows_browser_sdks(client):
    response = client.options("/v1/batch")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in response["Access-Control-Allow-Headers"]


def test_empty_batch_is_accepted_and_spools_nothing(post, write_key):
    assert post("batch", {"batch": []}, write_key).status_code == 200
    assert SpoolBatch.objects.count() == 0


def test_error_messages_follow_the_language_choice(post, write_key, client):
    client.cookies["kizuna_language"] = "en"
    response = post("batch", small_batch(2501), write_key)
    assert response["Content-Language"] == "en"
    assert error_of(response)["message"].startswith("A batch holds at most 2,500 events")


def test_limits_match_segment():
    assert ingest.MAX_EVENT_BYTES == 32_768
    assert ingest.MAX_REQUEST_BYTES == 512_000
    assert ingest.MAX_BATCH_EVENTS == 2_500


# --- the fast path: the same answers as the view, fewer layers ------------------------


def test_the_fast_path_answers_accepted_calls_itself(fast_path, write_key, monkeypatch):
    from tests.usage.conftest import basic

    def no_site(environ: Any, start_response: Any) -> Any:
        raise AssertionError("an accepted call must not reach the site")

    monkeypatch.setattr(fast_path, "site", no_site)
    body = orjson.dumps({"batch": [dict(EXAMPLES["track"], type="track", messageId="m1")]})
    response = wsgi_call(fast_path, "POST", "/v1/batch", body, HTTP_AUTHORIZATION=basic(write_key))
    assert response.status_code == 200
    assert orjson.loads(response.content) == {"success": True}
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Length"] == str(len(response.content))
    assert [e["messageId"] for e in spooled()[0]] == ["m1"]


def test_both_doors_spool_the_same_bytes(client, fast_path, write_key):
    from tests.usage.conftest import basic

    body = orjson.dumps(
        {
            "context": {"locale": "ja-JP"},
            "sentAt": "2026-11-26T10:00:05Z",
            "batch": [
                dict(EXAMPLES[kind], type=kind, messageId=f"m{i}", timestamp="2026-11-26")
                for i, kind in enumerate(EXAMPLES)
            ],
        }
    )
    auth = basic(write_key)
    view = client.post("/v1/batch", body, content_type="application/json", HTTP_AUTHORIZATION=auth)
    fast = wsgi_call(fast_path, "POST", "/v1/batch", body, HTTP_AUTHORIZATION=auth)
    assert view.status_code == fast.status_code == 200
    first, second = SpoolBatch.objects.order_by("id")
    assert bytes(first.payload) == bytes(second.payload)
    assert (first.event_count, first.source_id) == (second.event_count, second.source_id)


def test_refused_calls_get_the_views_answer_in_the_clients_language(fast_path, write_key):
    from tests.usage.conftest import basic

    body = orjson.dumps(small_batch(2501))
    response = wsgi_call(
        fast_path,
        "POST",
        "/v1/batch",
        body,
        cookies="kizuna_language=en",
        HTTP_AUTHORIZATION=basic(write_key),
    )
    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    assert error_of(response)["message"].startswith("A batch holds at most 2,500 events")


@pytest.mark.parametrize(("method", "status"), [("GET", 405), ("OPTIONS", 204), ("PUT", 405)])
def test_other_methods_reach_the_view(fast_path, method, status):
    assert wsgi_call(fast_path, method, "/v1/track").status_code == status


def test_other_paths_reach_the_site(fast_path):
    response = wsgi_call(fast_path, "GET", "/healthz")
    assert response.status_code == 200
    assert orjson.loads(response.content) == {"status": "ok"}


def test_a_host_not_allowed_is_refused_as_the_site_refuses_it(fast_path, write_key):
    from tests.usage.conftest import basic

    body = orjson.dumps({"batch": [dict(EXAMPLES["track"], type="track")]})
    response = wsgi_call(
        fast_path,
        "POST",
        "/v1/batch",
        body,
        HTTP_HOST="evil.example",
        HTTP_AUTHORIZATION=basic(write_key),
    )
    assert response.status_code == 400
    assert SpoolBatch.objects.count() == 0


def test_plain_http_is_redirected_when_https_is_required(write_key, settings):
    from tests.usage.conftest import basic

    settings.SECURE_SSL_REDIRECT = True
    fast_path = views.TrackingFastPath(WSGIHandler())  # its middleware reads the setting now
    body = orjson.dumps({"batch": [dict(EXAMPLES["track"], type="track")]})
    auth = basic(write_key)
    response = wsgi_call(fast_path, "POST", "/v1/batch", body, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/v1/batch"
    assert SpoolBatch.objects.count() == 0

    secure = wsgi_call(
        fast_path,
        "POST",
        "/v1/batch",
        body,
        HTTP_AUTHORIZATION=auth,
        **{"wsgi.url_scheme": "https"},
    )
    assert secure.status_code == 200
    assert SpoolBatch.objects.count() == 1
