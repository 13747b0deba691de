"""How many rows a table view holds: exact where an index allows, else estimated.

- No filters: the project's row count. When only this project has rows in
  the table (the usual single-project store) this is ``count(*)`` of the
  whole table, which SQLite answers from b-tree page counts without
  visiting rows.
- Filters an index serves (see :mod:`indexes`), or a small table: an exact
  count under the count time limit.
- Otherwise, or when the exact count runs out of time: an estimate from the
  first rows of the project (by key), marked as such.

Results are cached under the session's version, so they are reused until
the data changes.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from labelloop.store.query.errors import QueryTimeoutError
from labelloop.store.query.filters import Filter, conditions, shape
from labelloop.store.query.indexes import served_by_index
from labelloop.store.query.readonly import Session, compile_query
from labelloop.store.query.scope import alone, context_for
from labelloop.store.query.settings import Limits
from labelloop.store.query.tables import Context, TableSpec


@dataclass(frozen=True)
class Count:
    """A row count: ``value`` is None when even an estimate ran out of time."""

    value: int | None
    exact: bool


def count_rows(
    session: Session, spec: TableSpec, ctx: Context, filters: tuple[Filter, ...], limits: Limits
) -> Count:
    """Count the rows of ``spec`` in the project that match ``filters``."""
    total = _total(session, spec, ctx, limits)
    if total is None:
        return Count(None, False)
    if not filters:
        return Count(total, True)
    indexed = served_by_index(spec, filters, limits.indexes)
    if indexed or total <= limits.settings.exact_count_below:
        exact = _count(session, spec, ctx, filters, limits, indexed)
        if exact is not None:
            return Count(exact, True)
    return Count(_estimate(session, spec, ctx, filters, total, limits), False)


def _total(session: Session, spec: TableSpec, ctx: Context, limits: Limits) -> int | None:
    ctx = ctx.fresh(whole=alone(session, spec, ctx, limits.cache))
    query = sa.select(sa.func.count()).select_from(spec.base)
    if not ctx.whole:
        query = query.where(spec.scope(ctx))
    return _scalar(session, query, ctx, ("total", spec.name, ctx.whole), limits)


def _count(
    session: Session,
    spec: TableSpec,
    ctx: Context,
    filters: tuple[Filter, ...],
    limits: Limits,
    keep_scope: bool,
) -> int | None:
    ctx = context_for(session, spec, ctx, keep_scope, limits.cache)
    query = _matching(spec, ctx, filters)
    return _scalar(session, query, ctx, ("count", spec.name, shape(filters), ctx.whole), limits)


def _matching(spec: TableSpec, ctx: Context, filters: tuple[Filter, ...]) -> sa.Select[Any]:
    where = conditions(spec, ctx, filters)
    return sa.select(sa.func.count()).select_from(spec.from_clause(ctx)).where(*where)


def _estimate(
    session: Session,
    spec: TableSpec,
    ctx: Context,
    filters: tuple[Filter, ...],
    total: int,
    limits: Limits,
) -> int | None:
    sample = min(total, limits.settings.estimate_sample)
    if sample == 0:
        return 0
    ctx = context_for(session, spec, ctx, False, limits.cache)
    key = spec.column(spec.pk).expr(ctx)
    scope = [] if ctx.whole else [spec.scope(ctx)]
    cutoff = (
        sa.select(key)
        .select_from(spec.base)
        .where(*scope)
        .order_by(key)
        .offset(ctx.bind(sample - 1, sa.Integer()))
        .limit(1)
        .scalar_subquery()
    )
    query = _matching(spec, ctx, filters).where(key <= cutoff)
    shaped = ("estimate", spec.name, shape(filters), ctx.whole)
    matched = _scalar(session, query, ctx, shaped, limits)
    return None if matched is None else round(total * matched / sample)


def _scalar(
    session: Session, query: sa.Select[Any], ctx: Context, shape_key: Hashable, limits: Limits
) -> int | None:
    """One number, from the cache or under the count time limit (None on timeout)."""
    sql, params = compile_query(query, session.dialect, shape_key, ctx.binder.values)
    key = (session.version(), sql, params if isinstance(params, tuple) else tuple(params.items()))
    cached = limits.cache.get(key)
    if cached is not None:
        return int(cached)
    try:
        rows = session.fetch((sql, params), limits.settings.count_time_limit_ms, tolerate=True)
    except QueryTimeoutError:
        return None
    value = int(rows.rows[0][0] or 0)
    limits.cache.put(key, value)
    return value
