"""Exports hold every selected row, in the same form as pages, in CSV, NDJSON and Parquet."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow.parquet as pq

from labelloop.store.query import DataSource, parse_table_query, table_spec
from labelloop.store.query.export import (
    csv_chunks,
    file_chunks,
    ndjson_chunks,
    parquet_file,
    sql_converter,
)
from labelloop.store.query.values import row_converter
from tests.store.query.builders import Built


def export(
    source: DataSource, built: Built, table: str, pairs: list[tuple[str, str]], fmt: str
) -> bytes:
    spec = table_spec(table)
    query = parse_table_query(spec, pairs, source.dialect, source.settings)
    with source.session() as session:
        rows = source.export(session, spec, built.demo.id, query)
        if fmt == "parquet":
            return b"".join(
                file_chunks(parquet_file(rows.columns, rows.types, rows.chunks, source.dialect))
            )
        convert = row_converter(rows.types, source.dialect, "csv" if fmt == "csv" else "json")
        encode = csv_chunks if fmt == "csv" else ndjson_chunks
        return b"".join(encode(rows.columns, rows.chunks, convert))


def page_objects(source: DataSource, built: Built, table: str) -> list[dict[str, Any]]:
    spec = table_spec(table)
    query = parse_table_query(spec, [("_size", "max")], source.dialect, source.settings)
    with source.session() as session:
        page = source.table_view(session, spec, built.demo.id, query).page
    convert = row_converter(page.types, source.dialect, "json")
    return [dict(zip(page.columns, convert(r), strict=True)) for r in page.rows]


def test_ndjson_export_equals_the_pages(source: DataSource, built: Built) -> None:
    for table in ("labels", "items_overview", "annotators", "model_runs", "predictions"):
        lines = export(source, built, table, [], "ndjson").decode().splitlines()
        assert [json.loads(line) for line in lines] == page_objects(source, built, table)


def test_csv_export_has_a_header_and_every_row_with_plain_booleans(
    source: DataSource, built: Built
) -> None:
    text = export(source, built, "labels", [("_col", "id,value,current")], "csv").decode()
    rows = list(csv.reader(io.StringIO(text)))
    expected = page_objects(source, built, "labels")
    assert rows[0] == ["id", "value", "current"]
    assert len(rows) == len(expected) + 1
    assert {r[2] for r in rows[1:]} == {"true", "false"}


def test_exports_follow_filters_and_sort_in_chunks_smaller_than_the_table(
    source: DataSource, built: Built
) -> None:
    small = DataSource(built.db, type(source.settings)(export_chunk=3))
    try:
        lines = export(
            small, built, "labels", [("annotator", "bob"), ("_sort_desc", "value")], "ndjson"
        )
    finally:
        small.dispose()
    rows = [json.loads(line) for line in lines.decode().splitlines()]
    assert {r["annotator"] for r in rows} == {"bob"}
    assert [r["value"] for r in rows] == sorted((r["value"] for r in rows), reverse=True)
    assert len(rows) == 15


def test_parquet_export_round_trips_types(source: DataSource, built: Built) -> None:
    table = pq.read_table(io.BytesIO(export(source, built, "labels", [], "parquet")))
    expected = page_objects(source, built, "labels")
    assert table.num_rows == len(expected)
    assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("current").type) == "bool"
    assert table.column("id").to_pylist() == [r["id"] for r in expected]
    assert table.column("time_taken").to_pylist() == [r["time_taken"] for r in expected]


def test_sql_rows_show_binary_values_as_their_size() -> None:
    convert = sql_converter("json")
    assert convert((b"\x00" * 10, 1.5, float("nan"), "x")) == [{"$binary": 10}, 1.5, None, "x"]
    assert sql_converter("csv")((b"ab",))[0] == "<binary: 2 bytes>"
