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

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from labelloop.store.query.cache import ResultCache
from labelloop.store.query.errors import QueryTimeoutError
from labelloop.store.query.filters import Filter, conditions
from labelloop.store.query.indexes import Indexes, served_by_index
from labelloop.store.query.readonly import Session, compile_query
from labelloop.store.query.settings import DataSettings
from labelloop.store.query.tables import Context, TableSpec


@dataclass(frozen=True)
class Count:
    """A row count: ``value`` is None when even an estimate ran out of time."""

    value: int | None
    exact: bool


@dataclass(frozen=True)
class Counter:
    """What counting needs besides the query: limits, indexes and the cache."""

    settings: DataSettings
    indexes: Indexes
    cache: ResultCache


def count_rows(
    session: Session, spec: TableSpec, ctx: Context, filters: tuple[Filter, ...], counter: Counter
) -> Count:
    """Count the rows of ``spec`` in the project that match ``filters``."""
    total = _total(session, spec, ctx, counter)
    if total is None:
        return Count(None, False)
    if not filters:
        return Count(total, True)
    cheap = total <= counter.settings.exact_count_below
    if cheap or served_by_index(spec, filters, counter.indexes):
        exact = _scalar(session, _matching(spec, ctx, filters), counter)
        if exact is not None:
            return Count(exact, True)
    return Count(_estimate(session, spec, ctx, filters, total, counter), False)


def _total(session: Session, spec: TableSpec, ctx: Context, counter: Counter) -> int | None:
    if spec.scoped and not _others_have_rows(session, spec, ctx, counter):
        return _scalar(session, sa.select(sa.func.count()).select_from(spec.base), counter)
    query = sa.select(sa.func.count()).select_from(spec.base).where(spec.scope(ctx))
    return _scalar(session, query, counter)


def _others_have_rows(session: Session, spec: TableSpec, ctx: Context, counter: Counter) -> bool:
    project = spec.base.c.project_id
    query = sa.select(
        sa.or_(
            sa.exists().where(project < ctx.project_id),
            sa.exists().where(project > ctx.project_id),
        )
    )
    found = _scalar(session, query, counter)
    return found is None or bool(found)


def _matching(spec: TableSpec, ctx: Context, filters: tuple[Filter, ...]) -> sa.Select[Any]:
    where = conditions(spec, ctx, filters)
    return sa.select(sa.func.count()).select_from(spec.from_clause(ctx)).where(*where)


def _estimate(
    session: Session,
    spec: TableSpec,
    ctx: Context,
    filters: tuple[Filter, ...],
    total: int,
    counter: Counter,
) -> int | None:
    sample = min(total, counter.settings.estimate_sample)
    if sample == 0:
        return 0
    key = spec.column(spec.pk).expr(ctx)
    cutoff = (
        sa.select(key)
        .select_from(spec.base)
        .where(spec.scope(ctx))
        .order_by(key)
        .offset(sample - 1)
        .limit(1)
        .scalar_subquery()
    )
    matched = _scalar(session, _matching(spec, ctx, filters).where(key <= cutoff), counter)
    return None if matched is None else round(total * matched / sample)


def _scalar(session: Session, query: sa.Select[Any], counter: Counter) -> int | None:
    """One number, from the cache or under the count time limit (None on timeout)."""
    sql, params = compile_query(query, session.dialect)
    key = (session.version(), sql, params if isinstance(params, tuple) else tuple(params.items()))
    cached = counter.cache.get(key)
    if cached is not None:
        return int(cached)
    try:
        rows = session.fetch((sql, params), counter.settings.count_time_limit_ms, tolerate=True)
    except QueryTimeoutError:
        return None
    value = int(rows.rows[0][0] or 0)
    counter.cache.put(key, value)
    return value
