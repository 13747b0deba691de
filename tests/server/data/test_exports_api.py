"""Exports stream every row; a stream that fails part-way is never mistaken for a whole one."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import httpx
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from labelloop.server.data import DataSettings
from labelloop.store import Database
from tests.server.data.conftest import data_app, serve
from tests.store.query.builders import Built, add_many_labels, populate


@pytest.fixture
def many(db: Database) -> Iterator[tuple[Built, TestClient]]:
    built = populate(db)
    add_many_labels(db, built.demo, 5000)
    with TestClient(data_app(built, DataSettings(export_chunk=700))) as test_client:
        yield built, test_client


def test_csv_stream_ndjson_and_parquet_deliver_every_row(many: tuple[Built, TestClient]) -> None:
    _, client = many
    total = client.get("/data/demo/labels.json?_size=0").json()["count"]
    assert total == 5042
    streamed = client.get("/data/demo/labels.csv?_stream=1&_col=id,value")
    assert streamed.headers["content-disposition"] == 'attachment; filename="labels.csv"'
    rows = list(csv.reader(io.StringIO(streamed.text)))
    assert len(rows) == total + 1 and len({r[0] for r in rows[1:]}) == total
    lines = client.get("/data/demo/labels.ndjson?_col=id").text.splitlines()
    assert [json.loads(line)["id"] for line in lines] == sorted(int(r[0]) for r in rows[1:])
    table = pq.read_table(io.BytesIO(client.get("/data/demo/labels.parquet").content))
    assert table.num_rows == total


def test_exports_keep_filters_and_sort(many: tuple[Built, TestClient]) -> None:
    _, client = many
    lines = client.get("/data/demo/labels.ndjson?annotator=bob&_sort_desc=id").text.splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    assert len(ids) == 15 and ids == sorted(ids, reverse=True)


SLOW_LATER = {
    "sqlite": (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
        "SELECT i, CASE WHEN i = 2500 THEN (WITH RECURSIVE m(j) AS (SELECT 1 UNION ALL "
        "SELECT j + 1 FROM m WHERE j < 100000000) SELECT count(*) FROM m) END AS slow FROM n"
    ),
    "postgresql": (
        "SELECT i, CASE WHEN i = 2500 THEN pg_sleep(2)::text END AS slow "
        "FROM generate_series(1, 3000) AS i"
    ),
}


def test_a_stream_cut_by_the_time_limit_says_so_and_ends_abnormally(db: Database) -> None:
    built = populate(db)
    app = data_app(built, DataSettings(sql_time_limit_ms=300, export_chunk=1000))
    received = b""
    with serve(app) as base, httpx.Client(timeout=30) as http:
        params = {"sql": SLOW_LATER[db.dialect]}
        stream = http.stream("GET", f"{base}/data/-/sql.ndjson", params=params)
        with pytest.raises(httpx.RemoteProtocolError), stream as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                received += chunk
    lines = received.decode().splitlines()
    assert len(lines) > 1000
    assert json.loads(lines[-1]) == {
        "error": "export cut short: query took longer than 300 ms and was stopped; "
        "narrow it or add a filter",
        "truncated": True,
    }
