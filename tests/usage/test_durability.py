"""An acknowledged request is durable: the 200 is only sent after the spool row has
committed, and a request whose spool insert fails is never acknowledged."""

from __future__ import annotations

from typing import Any
from unittest import mock

import orjson
import pytest
from django.db import OperationalError, connection, connections
from django.test import Client, RequestFactory

from kizuna.usage import spool, views
from kizuna.usage.models import SpoolBatch
from tests.usage.conftest import basic

pytestmark = pytest.mark.django_db(transaction=True)

BODY = orjson.dumps({"batch": [{"type": "track", "userId": "u1", "event": "A", "messageId": "m1"}]})


def committed_rows() -> int:
    """Count spool rows through a brand-new connection, which sees only committed data."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {SpoolBatch._meta.db_table}")  # noqa: S608
            return int(cursor.fetchone()[0])
    finally:
        other.close()


def test_the_spool_row_is_committed_before_the_200_is_returned(write_key):
    observed: dict[str, Any] = {}
    original = spool.append

    def append_and_observe(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        # Still inside the view, before the response exists: is the row already
        # visible to any other connection (that is, committed)?
        observed["in_transaction"] = connection.in_atomic_block
        observed["committed"] = committed_rows()

    request = RequestFactory().post(
        "/v1/batch", BODY, content_type="application/json", HTTP_AUTHORIZATION=basic(write_key)
    )
    with mock.patch.object(spool, "append", append_and_observe):
        response = views.collect(request, kind="batch")

    assert response.status_code == 200
    assert observed == {"in_transaction": False, "committed": 1}


def test_no_200_when_the_spool_insert_fails(write_key):
    client = Client(raise_request_exception=False)
    with mock.patch.object(spool, "append", side_effect=OperationalError("disk I/O error")):
        response = client.post(
            "/v1/batch", BODY, content_type="application/json", HTTP_AUTHORIZATION=basic(write_key)
        )
    assert response.status_code == 500
    assert committed_rows() == 0


def test_the_fast_path_answers_200_only_after_the_commit(write_key):
    from django.core.handlers.wsgi import WSGIHandler

    from tests.usage.test_api import wsgi_call

    observed: dict[str, Any] = {}
    original = spool.append

    def append_and_observe(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        observed["in_transaction"] = connection.in_atomic_block
        observed["committed"] = committed_rows()

    app = views.TrackingFastPath(WSGIHandler())
    with mock.patch.object(spool, "append", append_and_observe):
        response = wsgi_call(app, "POST", "/v1/batch", BODY, HTTP_AUTHORIZATION=basic(write_key))

    assert response.status_code == 200
    assert observed == {"in_transaction": False, "committed": 1}


def test_the_fast_path_answers_500_when_the_spool_insert_fails(write_key):
    from django.core.handlers.wsgi import WSGIHandler

    from tests.usage.test_api import wsgi_call

    def no_site(environ: Any, start_response: Any) -> Any:
        raise AssertionError("a failed insert must not be retried by the site")

    app = views.TrackingFastPath(WSGIHandler())
    app.site = no_site
    with mock.patch.object(spool, "append", side_effect=OperationalError("disk I/O error")):
        response = wsgi_call(app, "POST", "/v1/batch", BODY, HTTP_AUTHORIZATION=basic(write_key))
    assert response.status_code == 500
    assert orjson.loads(response.content)["error"]["code"] == "server_error"
    assert committed_rows() == 0
