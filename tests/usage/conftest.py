"""Fixtures for the usage app: a private event store per test and a write key."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.test import Client

from kizuna.usage import sources, store


@pytest.fixture(autouse=True)
def events_store(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Each test writes to its own DuckDB file, so counts never leak between tests."""
    path = tmp_path / "events.duckdb"
    settings.EVENTS_URL = f"duckdb:///{path}"
    sources.forget_cached_keys()
    yield path
    sources.forget_cached_keys()


@pytest.fixture
def write_key(db: None) -> str:
    _source, key = sources.create_source("web app")
    return key


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


PostFn = Callable[..., Any]


@pytest.fixture
def post(client: Client) -> PostFn:
    """POST a JSON body (dict, or raw bytes) to /v1/<kind>."""

    def send(
        kind: str, body: dict[str, Any] | bytes, key: str | None = None, **headers: Any
    ) -> Any:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        if key is not None:
            headers.setdefault("HTTP_AUTHORIZATION", basic(key))
        return client.post(f"/v1/{kind}", data, content_type="application/json", **headers)

    return send


def query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with store.connect(read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()
