"""When a statement may leave out its ``project_id = ?`` condition.

A store usually holds one project. When a table has no other project's rows
(checked in the session's snapshot and cached under its version), the
project condition keeps every row and only steers the planner towards an
index that starts with ``project_id``, often the wrong one: SQLite then
sorts a million rows for a page that the primary key serves in order, and
groups a facet through a temporary b-tree instead of walking an index on
the facet's column. So the condition is kept only where an index serves the
statement as asked (``project_id``, the equality-filtered columns, then the
order or grouping wanted), and left out otherwise. With several projects in
a table it is always kept.
"""

from __future__ import annotations

import sqlalchemy as sa

from labelloop.store.query.cache import ResultCache
from labelloop.store.query.filters import Filter
from labelloop.store.query.indexes import EQUALITY_OPERATORS
from labelloop.store.query.readonly import Session, compile_query
from labelloop.store.query.settings import Indexes
from labelloop.store.query.tables import Context, TableSpec


def alone(session: Session, spec: TableSpec, ctx: Context, cache: ResultCache) -> bool:
    """Whether only this project has rows in the table (in this snapshot)."""
    if not spec.scoped:
        return False
    key = ("alone", session.version(), spec.base.name, ctx.project_id)
    found = cache.get(key)
    if found is None:
        found = not _others_have_rows(session, spec, ctx)
        cache.put(key, found)
    return bool(found)


def _others_have_rows(session: Session, spec: TableSpec, ctx: Context) -> bool:
    ctx = ctx.fresh()
    project = spec.base.c.project_id
    query = sa.select(
        sa.or_(
            sa.exists().where(project < ctx.project()),
            sa.exists().where(project > ctx.project()),
        )
    )
    sql, params = compile_query(
        query, session.dialect, ("others", spec.base.name), ctx.binder.values
    )
    return bool(session.fetch((sql, params), None).rows[0][0])


def equal_columns(spec: TableSpec, filters: tuple[Filter, ...]) -> set[str]:
    """Base-table columns the filters compare for equality (lookups by their key)."""
    found: set[str] = set()
    for f in filters:
        column = spec.column(f.column)
        lookup_key = spec.column(column.lookup.key).physical if column.lookup else None
        physical = lookup_key if f.op != "isnull" and lookup_key else column.physical
        if physical is not None and f.op in EQUALITY_OPERATORS:
            found.add(physical)
    return found


def ordered_by_index(indexes: Indexes, table: str, equal: set[str], order: str | None) -> bool:
    """Whether an index runs (project_id, the ``equal`` columns, then ``order``)."""
    if order is None:
        return False
    n = len(equal)
    return any(
        columns[:1] == ("project_id",)
        and set(columns[1 : 1 + n]) == equal
        and columns[1 + n : 2 + n] == (order,)
        for columns in indexes.get(table, [])
    )


def context_for(
    session: Session,
    spec: TableSpec,
    ctx: Context,
    keep_scope: bool,
    cache: ResultCache,
) -> Context:
    """A fresh context for one statement; ``whole`` when the scope may go."""
    whole = not keep_scope and alone(session, spec, ctx, cache)
    return ctx.fresh(whole=whole)


def order_column(spec: TableSpec, name: str) -> str | None:
    """The base-table column a sort or grouping on ``name`` walks, if any."""
    column = spec.column(name)
    if column.lookup is not None:
        return spec.column(column.lookup.key).physical
    return column.physical
