"""Fixtures for the usage app: a private event store per test and a write key."""

from __future__ import annotations

import base64
import itertools
import logging
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import orjson
import pandas as pd
import pyarrow as pa
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


# --- Backends for the usage metrics: DuckDB always, Spark when pyspark is installed ------

SPARK_REQUIRED = os.environ.get("KIZUNA_REQUIRE_SPARK") == "1"
"""CI's Spark leg sets this so that a missing pyspark fails instead of skipping."""


@dataclass
class Backend:
    """An Ibis backend the metric tests run on: load a pandas frame, run an expression."""

    name: str
    con: Any
    _tables: itertools.count = field(default_factory=itertools.count)

    def table(self, frame: pd.DataFrame, schema: dict[str, str]) -> ir.Table:
        """``frame`` as a table of the backend, typed by ``schema`` (None/NaN → null)."""
        name = f"t_{next(self._tables)}_{uuid.uuid4().hex[:8]}"
        arrow = pa.Table.from_pandas(
            frame[list(schema)], schema=ibis.schema(schema).to_pyarrow(), preserve_index=False
        )
        if self.name == "duckdb":
            return self.con.create_table(name, arrow)
        # Through Arrow, so that nulls stay null and instants stay instants.
        self.con._session.createDataFrame(arrow).createOrReplaceTempView(name)
        return self.con.table(name)

    def run(self, expr: ir.Table) -> pd.DataFrame:
        return self.con.execute(expr)


EVENT_SCHEMA = {
    "type": "string",
    "event": "string",
    "name": "string",
    "user_id": "string",
    "anonymous_id": "string",
    "group_id": "string",
    "timestamp": "timestamp('UTC')",
}


@pytest.fixture(scope="session")
def spark_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local[2] Spark session behind Ibis' pyspark backend (see ../shared/STACK.md)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        if SPARK_REQUIRED:
            pytest.fail("KIZUNA_REQUIRE_SPARK=1 but pyspark is not installed")
        pytest.skip("pyspark is not installed (scripts/install --spark)")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("kizuna-tests")
        .config("spark.sql.session.timeZone", "Asia/Tokyo")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    logging.getLogger("py4j").setLevel(logging.WARNING)  # no chatter at interpreter exit
    con = ibis.pyspark.connect(session)
    # Ibis sets the session to UTC; put Tokyo back, as a Japanese deployment would have it:
    # the metrics' days must not depend on the session's time zone.
    session.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    yield con
    session.stop()


BACKENDS = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "duckdb":
        return Backend("duckdb", ibis.duckdb.connect())
    return Backend("spark", request.getfixturevalue("spark_con"))
