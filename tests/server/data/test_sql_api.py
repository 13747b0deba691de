"""The SQL endpoint: named parameters, truncation it admits, write attempts it refuses."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from labelloop.server.data import DataSettings
from labelloop.store import Database
from tests.server.data.conftest import data_app
from tests.store.query.builders import Built, fingerprint, populate

MANY = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) SELECT i FROM n"
)
WRITES = [
    "INSERT INTO annotators (name, created_at) VALUES ('mallory', '2024-01-01')",
    "UPDATE items SET priority = 99",
    "DELETE FROM labels",
    "DROP TABLE labels",
    "CREATE TABLE sneaky (a INTEGER)",
    "ATTACH DATABASE '{folder}/attached.db' AS other",
    "PRAGMA query_only = 0",
    "SELECT load_extension('/tmp/evil')",
    "SELECT 1; DELETE FROM labels",
    "SELECT 1;\nDROP TABLE labels;",
    "WITH gone AS (DELETE FROM labels RETURNING id) SELECT count(*) FROM gone",
    "SELECT set_config('role', 'postgres', true)",
    "SELECT pg_notify('labelloop', 'fake')",
    "SELECT pg_advisory_lock(7412001)",
    "SELECT * FROM leases",
    "SELECT * FROM sessions",
    "SELECT nextval('labelloop_changes')",
]


def sql(client: TestClient, query: str, fmt: str = "json", **params: str) -> object:
    return client.get(f"/data/-/sql.{fmt}", params={"sql": query, **params})


def test_named_parameters_come_from_the_query_string(client: TestClient) -> None:
    response = sql(client, "select count(*) as n from labels where value = :v", v="cat")
    body = response.json()  # type: ignore[attr-defined]
    assert body["columns"] == ["n"] and body["rows"][0]["n"] > 0 and not body["truncated"]
    bare = sql(client, "select :a as a, :b as b", _shape="array", a="1", b="x")
    assert bare.json() == [{"a": "1", "b": "x"}]  # type: ignore[attr-defined]


def test_json_says_when_it_truncated_while_csv_and_ndjson_stream_every_row(
    client: TestClient,
) -> None:
    body = sql(client, MANY).json()  # type: ignore[attr-defined]
    assert body["truncated"] is True and len(body["rows"]) == 1000
    text = sql(client, MANY, "csv").text  # type: ignore[attr-defined]
    assert len(list(csv.reader(io.StringIO(text)))) == 2501
    lines = sql(client, MANY, "ndjson").text.splitlines()  # type: ignore[attr-defined]
    assert [json.loads(line)["i"] for line in lines] == list(range(1, 2501))


@pytest.fixture
def fresh(db: Database) -> Iterator[tuple[Built, TestClient]]:
    built = populate(db)
    with TestClient(data_app(built, DataSettings(sql_time_limit_ms=100))) as test_client:
        yield built, test_client


def test_every_write_attempt_is_refused_as_read_only_and_the_data_is_unchanged(
    fresh: tuple[Built, TestClient], tmp_path: Path
) -> None:
    built, test_client = fresh
    before = fingerprint(built.db)
    for query in WRITES:
        response = sql(test_client, query.format(folder=tmp_path))
        assert response.status_code == 400, (query, response.text)  # type: ignore[attr-defined]
        message = response.json()["error"]  # type: ignore[attr-defined]
        assert "read-only" in message or "not available" in message, (query, message)
    assert fingerprint(built.db) == before
    assert not (tmp_path / "attached.db").exists()
    assert sql(test_client, "select count(*) as n from labels").status_code == 200  # type: ignore[attr-defined]


def test_a_query_past_the_time_limit_gets_a_clear_error(fresh: tuple[Built, TestClient]) -> None:
    _, test_client = fresh
    slow = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
        "SELECT count(*) FROM n"
    )
    response = sql(test_client, slow)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.json()["error"].startswith("query took longer than 100 ms")  # type: ignore[attr-defined]


def test_bad_sql_and_missing_parameters_are_400s(client: TestClient) -> None:
    missing = sql(client, "select :who as w")
    assert missing.status_code == 400  # type: ignore[attr-defined]
    assert missing.json()["missing_parameters"] == ["who"]  # type: ignore[attr-defined]
    broken = sql(client, "select frm nowhere")
    assert broken.status_code == 400 and "SQL error" in broken.json()["error"]  # type: ignore[attr-defined]
    assert client.get("/data/-/sql.json").status_code == 400
    assert client.get("/data/-/sql.json?sql=select+1&_bogus=1").status_code == 400
    assert client.get("/data/-/query.json?sql=select+1").status_code == 404


def test_binary_values_never_leave_as_bytes(client: TestClient) -> None:
    body = sql(client, "select data from items where kind = 'ndarray' order by id").json()  # type: ignore[attr-defined]
    assert body["rows"][0]["data"] == {"$binary": 16}
