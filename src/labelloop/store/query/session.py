"""A read-only database session: statements under time limits, one snapshot.

:class:`Session` is what the rest of the data API runs queries on; its
SQLite and PostgreSQL forms live in :mod:`sqlite_session` and
:mod:`postgres_session`, and :class:`readonly.ReadOnly` hands them out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from labelloop.store.query.cache import ResultCache

SERVED_TABLES = frozenset(
    {
        "projects",
        "annotators",
        "items",
        "labels",
        "skips",
        "model_runs",
        "predictions",
        "labelloop_meta",
    }
)
READ_ONLY = "the data API is read-only"

Params = dict[str, Any] | tuple[Any, ...]


@dataclass
class Result:
    """Column names and rows of a query."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def compile_query(
    statement: sa.ClauseElement,
    dialect: str,
    shape: Hashable | None = None,
    values: dict[str, Any] | None = None,
) -> tuple[str, Params]:
    """SQL text and parameters of a SQLAlchemy statement, for the raw driver.

    Parameters
    ----------
    shape : hashable, optional
        Names everything that decides the SQL text (not the values). Given
        with ``values`` (a :class:`tables.Binder`'s), the SQL compiled for
        the first statement of a shape is reused with the new values:
        compiling costs more than running a page query.
    """
    cached = _COMPILED.get((dialect, shape)) if shape is not None else None
    if cached is None:
        compiled = statement.compile(
            dialect=_DIALECTS[dialect], compile_kwargs={"render_postcompile": True}
        )
        order = getattr(compiled, "positiontup", None) or []
        cached = (str(compiled), tuple(order), compiled.params)
        if shape is not None:
            _COMPILED.put((dialect, shape), cached)
    sql, order, defaults = cached
    params = {**defaults, **(values or {})} if shape is not None else defaults
    if dialect == "sqlite":
        return sql, tuple(params[name] for name in order)
    return sql, params


def _dialects() -> dict[str, sa.Dialect]:
    from sqlalchemy.dialects import postgresql, sqlite

    psycopg = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
    return {"sqlite": sqlite.dialect(), "postgresql": psycopg}


_DIALECTS = _dialects()
_COMPILED = ResultCache(2048)


class Session:
    """One read-only transaction: statements under time limits, one snapshot."""

    dialect: str
    _version: str | None = None
    _open: list[Any]

    def version(self) -> str:
        """Changes whenever data the session can see may have changed."""
        if self._version is None:
            self._version = self._read_version()
        return self._version

    def _read_version(self) -> str:
        raise NotImplementedError

    def fetch(
        self,
        query: sa.ClauseElement | tuple[str, Params],
        limit_ms: float | None,
        max_rows: int | None = None,
        tolerate: bool = False,
    ) -> Result:
        """Run a query and return up to ``max_rows`` rows (all when None).

        Parameters
        ----------
        limit_ms : float or None
            Time limit; past it the query stops with QueryTimeoutError.
        tolerate : bool
            Keep the session usable after this query fails (facets and
            counts that run out of time must not spoil the page).
        """
        sql, params = self._sql(query)
        with self._statement(limit_ms, tolerate) as cursor:
            self._execute(cursor, sql, params)
            columns = [d[0] for d in cursor.description or ()]
            rows = cursor.fetchall() if max_rows is None else cursor.fetchmany(max_rows)
        return Result(columns, [tuple(r) for r in rows])

    def stream(
        self,
        query: sa.ClauseElement | tuple[str, Params],
        limit_ms: float | None,
        chunk: int,
        binary: bool = False,
    ) -> tuple[list[str], Iterator[list[tuple[Any, ...]]]]:
        """Run a query and yield its rows in chunks; each chunk has ``limit_ms``.

        The first chunk is fetched before returning, so a query that fails or
        times out at once raises here, not half-way through a response.
        ``binary`` lets PostgreSQL send values in binary form (faster; for
        queries whose column types are all known, not for users' SQL).
        """
        sql, params = self._sql(query)
        cursor = self._open_cursor(sql, params, limit_ms, binary)
        self._open.append(cursor)
        columns = [d[0] for d in cursor.description or ()]
        first = self._timed_fetch(cursor, chunk, limit_ms)
        return columns, self._chunks(cursor, first, chunk, limit_ms)

    def close(self) -> None:
        """Close the cursors streams left open (a stream may stop early)."""
        cursors, self._open = self._open, []
        for cursor in cursors:
            with contextlib.suppress(Exception):
                cursor.close()

    def _chunks(
        self, cursor: Any, first: list[Any], chunk: int, limit_ms: float | None
    ) -> Iterator[list[tuple[Any, ...]]]:
        rows = first
        try:
            while rows:
                yield rows
                if len(rows) < chunk:
                    return
                rows = self._timed_fetch(cursor, chunk, limit_ms)
        finally:
            with contextlib.suppress(Exception):  # the session may have ended first
                cursor.close()

    def _sql(self, query: sa.ClauseElement | tuple[str, Params]) -> tuple[str, Params]:
        if isinstance(query, tuple):
            return query
        return compile_query(query, self.dialect)

    def _statement(
        self, limit_ms: float | None, tolerate: bool
    ) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def _execute(self, cursor: Any, sql: str, params: Params) -> None:
        raise NotImplementedError

    def _open_cursor(self, sql: str, params: Params, limit_ms: float | None, binary: bool) -> Any:
        raise NotImplementedError

    def _timed_fetch(self, cursor: Any, n: int, limit_ms: float | None) -> list[Any]:
        raise NotImplementedError


def too_long(limit_ms: float | None) -> str:
    return f"query took longer than {limit_ms:g} ms and was stopped; narrow it or add a filter"
