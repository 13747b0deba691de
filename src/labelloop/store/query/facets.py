"""Facets: the most common values of a column among the filtered rows, with counts.

Each facet runs under the facet time limit; one that runs out is returned
with ``timed_out=True`` (never dropped). A lookup column (an annotator's
name) is grouped by its key (``annotator_id``), which an index on
``(project_id, annotator_id)`` serves, and the names are looked up for the
few groups that come back. Results are cached under the session's version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from labelloop.store.query import values
from labelloop.store.query.errors import QueryTimeoutError
from labelloop.store.query.filters import Filter, conditions, shape
from labelloop.store.query.readonly import Session, compile_query
from labelloop.store.query.scope import context_for, equal_columns, order_column, ordered_by_index
from labelloop.store.query.settings import Limits
from labelloop.store.query.tables import AnySelect, Column, Context, TableSpec


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet: how many rows have it, and whether a filter selects it."""

    value: Any
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    """A column's most common values; ``truncated`` when there are more."""

    column: str
    values: tuple[FacetValue, ...]
    truncated: bool
    timed_out: bool


def facet(
    session: Session,
    spec: TableSpec,
    ctx: Context,
    filters: tuple[Filter, ...],
    name: str,
    size: int,
    limits: Limits,
) -> Facet:
    """Count the values of column ``name`` among rows matching ``filters``."""
    column = spec.column(name)
    equal = equal_columns(spec, filters)
    keep = ordered_by_index(limits.indexes, spec.base.name, equal, order_column(spec, name))
    ctx = context_for(session, spec, ctx, keep, limits.cache)
    query = _query(spec, ctx, filters, column, size + 1)
    shaped = ("facet", spec.name, name, shape(filters), ctx.whole)
    sql, params = compile_query(query, ctx.dialect, shaped, ctx.binder.values)
    key = (session.version(), sql, params if isinstance(params, tuple) else tuple(params.items()))
    rows = limits.cache.get(key)
    if rows is None:
        try:
            rows = session.fetch(
                (sql, params), limits.settings.facet_time_limit_ms, tolerate=True
            ).rows
        except QueryTimeoutError:
            return Facet(name, (), False, True)
        limits.cache.put(key, rows)
    convert = values.converter(column.type, ctx.dialect, "json")
    chosen = _selected(filters, name)
    found = tuple(
        FacetValue(_shown(value, convert), int(count), value in chosen)
        for value, count in rows[:size]
    )
    return Facet(name, found, len(rows) > size, False)


def _shown(value: Any, convert: values.Converter | None) -> Any:
    return value if value is None or convert is None else convert(value)


def _selected(filters: tuple[Filter, ...], name: str) -> set[Any]:
    chosen: set[Any] = set()
    for f in filters:
        if f.column != name:
            continue
        if f.op == "exact":
            chosen.add(f.value)
        elif f.op == "in":
            chosen.update(f.value)
        elif f.op == "isnull" and f.value:
            chosen.add(None)
    return chosen


def _query(
    spec: TableSpec, ctx: Context, filters: tuple[Filter, ...], column: Column, limit: int
) -> AnySelect:
    where = conditions(spec, ctx, filters)
    source = spec.from_clause(ctx)
    n = sa.func.count().label("facet_count")
    if column.lookup is None:
        value = column.expr(ctx).label("facet_value")
        grouped = sa.select(value, n).select_from(source).where(*where).group_by(value)
        return grouped.order_by(n.desc(), value).limit(ctx.bind(limit, sa.Integer()))
    key = spec.column(column.lookup.key).expr(ctx).label("facet_key")
    inner = (
        sa.select(key, n)
        .select_from(source)
        .where(*where)
        .group_by(key)
        .order_by(n.desc(), key)
        .limit(ctx.bind(limit, sa.Integer()))
        .subquery("groups")
    )
    target = column.lookup.table
    shown = (
        sa.select(target.c[column.lookup.value])
        .where(target.c.id == inner.c.facet_key)
        .scalar_subquery()
        .label("facet_value")
    )
    return sa.select(shown, inner.c.facet_count).order_by(inner.c.facet_count.desc(), shown)
