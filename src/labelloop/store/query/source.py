"""The store as the data API reads it: one object holding the read-only pool,
the store's indexes, the result cache and the limits, with one method per
kind of request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sqlalchemy as sa

from labelloop.store import schema
from labelloop.store.engine import Database
from labelloop.store.query import sqlguard
from labelloop.store.query.cache import ResultCache
from labelloop.store.query.counts import Count, count_rows
from labelloop.store.query.errors import QueryError
from labelloop.store.query.facets import Facet, facet
from labelloop.store.query.grammar import TableQuery
from labelloop.store.query.indexes import read_indexes
from labelloop.store.query.pages import Page, Rows, fetch_page, stream_table
from labelloop.store.query.readonly import ReadOnly, Session
from labelloop.store.query.settings import DataSettings, Limits
from labelloop.store.query.tables import Context, TableSpec


@dataclass(frozen=True)
class TableView:
    """One page of a table with its count and facets."""

    page: Page
    count: Count | None
    facets: list[Facet]


@dataclass(frozen=True)
class SqlRows:
    """The columns of a SQL result and its rows, streamed in chunks."""

    columns: list[str]
    chunks: Iterator[list[tuple[Any, ...]]]


class DataSource:
    """Read-only queries over one store.

    Parameters
    ----------
    db : Database
        The store.
    settings : DataSettings, optional
        Time limits and sizes; Datasette's defaults when omitted.
    """

    def __init__(self, db: Database, settings: DataSettings | None = None) -> None:
        self.settings = settings or DataSettings()
        self.dialect = db.dialect
        self.readonly = ReadOnly(db)
        self.limits = Limits(self.settings, read_indexes(db), ResultCache())

    def session(self) -> contextlib.AbstractContextManager[Session]:
        """A read-only transaction: one snapshot for everything asked in it."""
        return self.readonly.session()

    def context(self, project_id: int) -> Context:
        """The context of a project's tables."""
        return Context(project_id, self.dialect)

    def table_view(
        self, session: Session, spec: TableSpec, project_id: int, query: TableQuery
    ) -> TableView:
        """A page of ``spec`` with its count (unless ``_nocount``) and facets."""
        ctx, limits = self.context(project_id), self.limits
        page = fetch_page(session, spec, ctx, query, limits)
        count = count_rows(session, spec, ctx, query.filters, limits) if query.count else None
        facets = [
            facet(session, spec, ctx, query.filters, name, query.facet_size, limits)
            for name in query.facets
        ]
        return TableView(page, count, facets)

    def export(self, session: Session, spec: TableSpec, project_id: int, query: TableQuery) -> Rows:
        """Every row the query selects, streamed (no cap)."""
        return stream_table(session, spec, self.context(project_id), query, self.limits)

    def sql(self, session: Session, text: str, params: dict[str, str]) -> SqlRows:
        """Run one read-only SQL statement with named parameters, streaming its rows.

        Raises
        ------
        ReadOnlyError
            For anything but one SELECT/WITH/VALUES statement, or for what
            the database refuses as a write or as outside the served tables.
        QueryTimeoutError
            When a chunk of rows takes longer than the SQL time limit.
        """
        checked = sqlguard.check(text, self.dialect)
        statement = sqlguard.for_driver(checked, self.dialect, params)
        limits = self.settings
        columns, chunks = session.stream(statement, limits.sql_time_limit_ms, limits.export_chunk)
        return SqlRows(columns, chunks)

    def item_ids(
        self, session: Session, spec: TableSpec, project_id: int, query: TableQuery
    ) -> np.ndarray:
        """Distinct item ids of the rows the query's filters select, in query order.

        Raises
        ------
        QueryError
            If the table has no item column, or more rows match than
            ``label_these_limit``.
        """
        if spec.item_column is None:
            raise QueryError(f"table {spec.name!r} does not list items; use items or labels")
        limit = self.settings.label_these_limit
        chosen = TableQuery(
            query.filters, (spec.item_column,), query.sort, query.desc, limit, None, (), 1, False
        )
        rows = self._item_rows(session, spec, project_id, chosen)
        if len(rows) > limit:
            raise QueryError(
                f"more than {limit} rows match; narrow the filters to label at most {limit}"
            )
        ids = list(dict.fromkeys(int(row[0]) for row in rows))
        return np.asarray(ids, dtype=np.int64)

    def _item_rows(
        self, session: Session, spec: TableSpec, project_id: int, query: TableQuery
    ) -> list[tuple[Any, ...]]:
        settings = replace(self.settings, export_chunk=limit_chunk(query))
        limits = replace(self.limits, settings=settings)
        rows = stream_table(session, spec, self.context(project_id), query, limits)
        found: list[tuple[Any, ...]] = []
        for chunk in rows.chunks:
            found.extend(chunk)
            if len(found) > query.size:
                break
        return found

    def project_id(self, session: Session, name: str) -> int | None:
        """The id of project ``name``, read in the session's snapshot; None if unknown."""
        projects = schema.projects
        query = sa.select(projects.c.id).where(projects.c.name == name)
        rows = session.fetch(query, self.settings.sql_time_limit_ms).rows
        return int(rows[0][0]) if rows else None

    def max_priority(self, session: Session, project_id: int) -> float:
        """The highest queue priority in the project (0 with no items)."""
        items = schema.items
        query = sa.select(sa.func.max(items.c.priority)).where(items.c.project_id == project_id)
        value = session.fetch(query, self.settings.sql_time_limit_ms).rows[0][0]
        return float(value or 0.0)

    def dispose(self) -> None:
        """Close the read-only connections."""
        self.readonly.dispose()


def limit_chunk(query: TableQuery) -> int:
    """Rows per chunk while collecting up to ``query.size`` + 1 rows."""
    return min(max(query.size + 1, 1), 10_000)
