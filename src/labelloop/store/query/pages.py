"""Pages of a served table, and whole tables for export.

A page fetches one row more than it shows: if that row exists, the page's
last shown row becomes the ``_next`` token.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from labelloop.store.query import keyset, values
from labelloop.store.query.errors import BadTokenError
from labelloop.store.query.filters import conditions, shape
from labelloop.store.query.grammar import TableQuery
from labelloop.store.query.readonly import Session, compile_query
from labelloop.store.query.scope import context_for, equal_columns, ordered_by_index
from labelloop.store.query.settings import Limits
from labelloop.store.query.tables import Column, Context, TableSpec


@dataclass(frozen=True)
class Page:
    """Rows of one page, their columns and types, and the next page's token."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    next: str | None


@dataclass(frozen=True)
class Rows:
    """Every row a query selects, streamed in chunks."""

    columns: list[str]
    types: list[str]
    chunks: Iterator[list[tuple[Any, ...]]]


def fetch_page(
    session: Session, spec: TableSpec, ctx: Context, query: TableQuery, limits: Limits
) -> Page:
    """One page of ``spec`` as ``query`` asks, under the SQL time limit."""
    wanted, shown = _wanted(spec, query)
    if query.size == 0:
        return Page(list(query.columns), _types(spec, query.columns), [], None)
    sql = _statement(session, spec, ctx, query, wanted, query.size + 1, limits)
    rows = session.fetch(sql, limits.settings.sql_time_limit_ms).rows
    token = _next_token(spec, query, wanted, rows) if len(rows) > query.size else None
    picked = [tuple(row[i] for i in shown) for row in rows[: query.size]]
    return Page(list(query.columns), _types(spec, query.columns), picked, token)


def stream_table(
    session: Session, spec: TableSpec, ctx: Context, query: TableQuery, limits: Limits
) -> Rows:
    """Every row ``query`` selects (from its ``_next`` token on), in chunks."""
    wanted, shown = _wanted(spec, query)
    sql = _statement(session, spec, ctx, query, wanted, None, limits)
    settings = limits.settings
    _, chunks = session.stream(sql, settings.sql_time_limit_ms, settings.export_chunk, True)
    picked = ([tuple(row[i] for i in shown) for row in rows] for rows in chunks)
    return Rows(list(query.columns), _types(spec, query.columns), picked)


def _types(spec: TableSpec, names: tuple[str, ...]) -> list[str]:
    return [spec.column(n).type for n in names]


def _wanted(spec: TableSpec, query: TableQuery) -> tuple[list[Column], list[int]]:
    """Columns to select (shown ones, plus sort and key) and where the shown ones are."""
    names = list(dict.fromkeys([*query.columns, query.sort, spec.pk]))
    return [spec.column(n) for n in names], list(range(len(query.columns)))


def _statement(
    session: Session,
    spec: TableSpec,
    ctx: Context,
    query: TableQuery,
    wanted: list[Column],
    limit: int | None,
    limits: Limits,
) -> tuple[str, Any]:
    sort = spec.column(query.sort)
    order = None if sort.lookup is not None else sort.physical
    equal = equal_columns(spec, query.filters)
    # a table's own key order needs no index: with no equality filter the scope only hurts
    keep = bool(equal) or query.sort != spec.pk
    keep = keep and ordered_by_index(limits.indexes, spec.base.name, equal, order)
    ctx = context_for(session, spec, ctx, keep, limits.cache)
    where = conditions(spec, ctx, query.filters)
    after = _after(spec, query, ctx.dialect)
    statement = keyset.page_query(spec, ctx, wanted, where, sort, query.desc, after, limit)
    key = (
        "page",
        spec.name,
        tuple(c.name for c in wanted),
        query.sort,
        query.desc,
        shape(query.filters),
        None if after is None else after[0] is None,
        limit is None,
        ctx.whole,
    )
    return compile_query(statement, ctx.dialect, key, ctx.binder.values)


def _after(spec: TableSpec, query: TableQuery, dialect: str) -> tuple[Any, Any] | None:
    token = query.after
    if token is None:
        return None
    sort, pk = spec.column(query.sort), spec.column(spec.pk)
    if token.value is None and not sort.nullable:
        raise BadTokenError("malformed _next token: the sort column cannot be empty")
    value = values.from_token(sort.type, token.value, dialect)
    key = values.from_token(pk.type, token.key, dialect)
    if key is None:
        raise BadTokenError("malformed _next token: it has no key")
    return value, key


def _next_token(
    spec: TableSpec, query: TableQuery, wanted: list[Column], rows: list[tuple[Any, ...]]
) -> str:
    names = [c.name for c in wanted]
    last = rows[query.size - 1]
    value = values.to_token(last[names.index(query.sort)])
    key = values.to_token(last[names.index(spec.pk)])
    return keyset.encode(keyset.Token(query.sort, query.desc, value, key))
