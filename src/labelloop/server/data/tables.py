"""Table routes: pages as JSON or CSV, and whole-table exports.

``GET /{project}/{table}.json|.csv`` serves a page (``.csv?_stream=1`` the
whole selection); ``.ndjson`` and ``.parquet`` export every selected row.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from labelloop.server.data import responses
from labelloop.server.data.service import DataService
from labelloop.store.query import (
    Facet,
    TableQuery,
    TableSpec,
    TableView,
    parse_table_query,
    table_spec,
    values,
)
from labelloop.store.query.errors import QueryError, UnknownTableError
from labelloop.store.query.export import csv_chunks, file_chunks, ndjson_chunks, parquet_file
from labelloop.store.query.readonly import Session

TABLE_FORMATS = ("json", "csv", "ndjson", "parquet")
SHAPES = ("objects", "arrays", "array")
PRESENTATION = ("_shape", "_stream")


def table(service: DataService, request: Request, project: str, table_fmt: str) -> Response:
    """A page of a table (JSON or CSV) or an export of it (CSV stream, NDJSON, Parquet)."""
    spec, fmt = _table_and_format(table_fmt)
    shape, stream = _presentation(request)
    pairs = request.query_params.multi_items()
    query = parse_table_query(spec, pairs, service.source.dialect, service.settings, PRESENTATION)
    with ExitStack() as stack:
        session = stack.enter_context(service.source.session())
        project_id = service.project_id(session, project)
        service.require_read(request, project)
        tag = responses.etag(session.version(), request, fmt)
        if responses.not_modified(request, tag):
            return responses.response_304(tag, service.public)
        headers = {"ETag": tag, **responses.cache_headers(service.public)}
        if fmt != "json" and (fmt != "csv" or stream):
            return _export(service, session, stack, (spec, project_id, query), fmt, headers)
        view = service.source.table_view(session, spec, project_id, query)
    if fmt == "csv":
        return _page_csv(service, request, view, headers)
    body = _page_body(service, request, project, spec, query, view, shape)
    return responses.json_response(body, _with_link(request, view, headers))


def _table_and_format(table_fmt: str) -> tuple[TableSpec, str]:
    parsed = responses.split_format(table_fmt, TABLE_FORMATS)
    if parsed is None:
        raise UnknownTableError(
            f"{table_fmt!r} is not TABLE.FORMAT; formats: {', '.join(TABLE_FORMATS)}"
        )
    name, fmt = parsed
    return table_spec(name), fmt


def _presentation(request: Request) -> tuple[str, bool]:
    shape = request.query_params.get("_shape", "objects")
    if shape not in SHAPES:
        raise QueryError(f"_shape must be one of {', '.join(SHAPES)}", valid_shapes=list(SHAPES))
    stream = values.flag(request.query_params.get("_stream", "0"), "_stream")
    return shape, stream


def _export(
    service: DataService,
    session: Session,
    stack: ExitStack,
    what: tuple[TableSpec, int, TableQuery],
    fmt: str,
    headers: dict[str, str],
) -> Response:
    spec, project_id, query = what
    rows = service.source.export(session, spec, project_id, query)
    headers = {**headers, **responses.download_name(spec.name, fmt)}
    dialect = service.source.dialect
    if fmt == "parquet":
        data = parquet_file(rows.columns, rows.types, rows.chunks, dialect)
        return responses.streaming(file_chunks(data), fmt, headers, ExitStack())
    convert = values.row_converter(rows.types, dialect, "json" if fmt == "ndjson" else "csv")
    encode = ndjson_chunks if fmt == "ndjson" else csv_chunks
    body = responses.cut_short(encode(rows.columns, rows.chunks, convert), fmt)
    return responses.streaming(body, fmt, headers, stack.pop_all())


def _page_csv(
    service: DataService, request: Request, view: TableView, headers: dict[str, str]
) -> Response:
    page = view.page
    convert = values.row_converter(page.types, service.source.dialect, "csv")
    body = b"".join(csv_chunks(page.columns, [page.rows], convert))
    headers = _with_link(request, view, headers)
    return Response(body, headers=headers, media_type=responses.FORMATS["csv"])


def _with_link(request: Request, view: TableView, headers: dict[str, str]) -> dict[str, str]:
    if view.page.next is None:
        return headers
    return {**headers, "Link": f'<{_next_url(request, view.page.next)}>; rel="next"'}


def _next_url(request: Request, token: str) -> str:
    return str(request.url.include_query_params(_next=token))


def _page_body(
    service: DataService,
    request: Request,
    project: str,
    spec: TableSpec,
    query: TableQuery,
    view: TableView,
    shape: str,
) -> Any:
    page = view.page
    convert = values.row_converter(page.types, service.source.dialect, "json")
    rows = [convert(row) for row in page.rows]
    if shape == "array":
        return [dict(zip(page.columns, row, strict=True)) for row in rows]
    shown: list[Any] = (
        [list(r) for r in rows]
        if shape == "arrays"
        else [dict(zip(page.columns, r, strict=True)) for r in rows]
    )
    return {
        "ok": True,
        "project": project,
        "table": spec.name,
        "columns": page.columns,
        "column_types": page.types,
        "rows": shown,
        "count": None if view.count is None else view.count.value,
        "count_is_estimate": view.count is not None and not view.count.exact,
        "next": page.next,
        "next_url": None if page.next is None else _next_url(request, page.next),
        "sort": query.sort,
        "sort_desc": query.desc,
        "filters": [{"column": f.column, "operator": f.op, "value": f.text} for f in query.filters],
        "facets": {f.column: _facet_body(request, f) for f in view.facets},
        "facets_timed_out": [f.column for f in view.facets if f.timed_out],
    }


def _facet_body(request: Request, facet: Facet) -> dict[str, Any]:
    return {
        "values": [
            {
                "value": v.value,
                "count": v.count,
                "selected": v.selected,
                "toggle_url": _toggle_url(request, facet.column, v.value, v.selected),
            }
            for v in facet.values
        ],
        "truncated": facet.truncated,
        "timed_out": facet.timed_out,
    }


def _toggle_url(request: Request, column: str, value: Any, selected: bool) -> str:
    """The same query with a filter on this facet value added (or removed)."""
    key, text = (f"{column}__isnull", "1") if value is None else (f"{column}__exact", _text(value))
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "_next"]
    if selected:
        same = {key, column} if value is not None else {key}
        params = [(k, v) for k, v in params if not (k in same and v == text)]
    else:
        params.append((key, text))
    return str(request.url.replace(query=urlencode(params)))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
