"""The SQL endpoint: ``GET /-/sql.json|.csv|.ndjson?sql=…&name=value``.

One read-only statement with ``:name`` parameters taken from the query
string. JSON returns up to ``max_returned_rows`` rows and says when it cut
the result (``"truncated": true``); CSV and NDJSON stream every row. If a
later chunk of a stream runs past the time limit, the stream ends with a
line saying so and the connection is closed without the final chunk, so no
client mistakes it for a complete file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from labelloop.server.data import responses
from labelloop.server.data.service import DataService
from labelloop.store.query import SqlRows, values
from labelloop.store.query.errors import QueryError, UnknownTableError
from labelloop.store.query.export import csv_chunks, ndjson_chunks, sql_converter

SQL_FORMATS = ("json", "csv", "ndjson")
SQL_PARAMETERS = ("sql", "_shape")


def sql(service: DataService, request: Request, name: str) -> Response:
    """Run one read-only SQL statement and return (or stream) its rows."""
    fmt = _format(name)
    service.require_sql(request)
    text, params, shape = _inputs(request)
    with ExitStack() as stack:
        session = stack.enter_context(service.source.session())
        tag = responses.etag(session.version(), request, fmt)
        if responses.not_modified(request, tag):
            return responses.response_304(tag, service.public)
        headers = {"ETag": tag, **responses.cache_headers(service.public)}
        result = service.source.sql(session, text, params)
        if fmt != "json":
            body = _stream(result, fmt)
            headers = {**headers, **responses.download_name("query", fmt)}
            return responses.streaming(body, fmt, headers, stack.pop_all())
        rows, truncated = _first_rows(result, service.settings.max_returned_rows)
    body = _body(result.columns, rows, truncated, text, params, shape)
    return responses.json_response(body, headers)


def _format(name: str) -> str:
    parsed = responses.split_format(name, SQL_FORMATS)
    if parsed is None or parsed[0] != "sql":
        raise UnknownTableError(f"no route /-/{name}; use /-/sql.json, /-/sql.csv or /-/sql.ndjson")
    return parsed[1]


def _inputs(request: Request) -> tuple[str, dict[str, str], str]:
    query = request.query_params
    for key in query:
        if key.startswith("_") and key not in SQL_PARAMETERS:
            raise QueryError(
                f"unknown parameter {key!r}; the SQL endpoint takes sql, _shape and the "
                "query's :named parameters",
                valid_parameters=list(SQL_PARAMETERS),
            )
    text = query.get("sql", "")
    shape = query.get("_shape", "objects")
    if shape not in ("objects", "arrays", "array"):
        raise QueryError("_shape must be one of objects, arrays, array")
    params = {k: v for k, v in query.multi_items() if k not in SQL_PARAMETERS}
    return text, params, shape


def _first_rows(result: SqlRows, limit: int) -> tuple[list[Any], bool]:
    rows: list[Any] = []
    for chunk in result.chunks:
        rows.extend(chunk)
        if len(rows) > limit:
            return rows[:limit], True
    return rows, False


def _body(
    columns: list[str],
    rows: list[Any],
    truncated: bool,
    text: str,
    params: dict[str, str],
    shape: str,
) -> Any:
    plain = [[values.plain(v, "json") for v in row] for row in rows]
    if shape == "array":
        return [dict(zip(columns, row, strict=True)) for row in plain]
    shown = plain if shape == "arrays" else [dict(zip(columns, r, strict=True)) for r in plain]
    return {
        "ok": True,
        "columns": columns,
        "rows": shown,
        "truncated": truncated,
        "sql": text,
        "params": params,
    }


def _stream(result: SqlRows, fmt: str) -> Iterator[bytes]:
    encode = ndjson_chunks if fmt == "ndjson" else csv_chunks
    convert = sql_converter("json" if fmt == "ndjson" else "csv")
    return responses.cut_short(encode(result.columns, result.chunks, convert), fmt)
