"""Read-only database sessions with time limits, for the data API.

The database itself refuses writes, not just this code:

- **SQLite**: a pool of its own connections opened with ``mode=ro`` and
  ``PRAGMA query_only=ON``; an authorizer refuses every write, ATTACH,
  PRAGMA, extension loading and any table outside :data:`SERVED_TABLES`
  (accounts and sessions stay private); ``SQLITE_LIMIT_ATTACHED`` is 0; a
  progress handler stops a statement at its deadline.
- **PostgreSQL**: each session is one ``READ ONLY`` ``REPEATABLE READ``
  transaction, so a page, its count and its facets see one snapshot. It runs
  as a per-store role with SELECT on the served tables only, when the
  store's user may create one (:func:`ensure_reader_role`). Each statement
  gets ``SET LOCAL statement_timeout``; SQL from users runs through
  ``DECLARE … CURSOR``, which accepts a single SELECT or VALUES and nothing
  else.

A session's :meth:`Session.version` changes whenever the store's data may
have changed: the store's change counter, read in the session's snapshot
(plus, on PostgreSQL, the snapshot itself, because the counter is a
sequence that moves before its transaction commits).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from labelloop.store.engine import Database
from labelloop.store.query.postgres_session import (
    PostgresSession,
    ensure_reader_role,
    open_postgres,
    reader_role_name,
)
from labelloop.store.query.session import (
    READ_ONLY,
    SERVED_TABLES,
    Params,
    Result,
    Session,
    compile_query,
)
from labelloop.store.query.sqlite_session import SqliteSession, open_sqlite, sqlite_path

__all__ = [
    "READ_ONLY",
    "SERVED_TABLES",
    "Params",
    "ReadOnly",
    "Result",
    "Session",
    "compile_query",
    "reader_role_name",
]


class ReadOnly:
    """Read-only access to a store, with its own pool of connections.

    Parameters
    ----------
    db : Database
        The store; its URL names the database (a SQLite file, or PostgreSQL).
    pool_size : int
        Connections kept open for reuse.
    """

    def __init__(self, db: Database, pool_size: int = 8) -> None:
        self.dialect = db.dialect
        self.reader_role: str | None = None
        if db.dialect == "sqlite":
            path = sqlite_path(db)
            self._pool = _Pool(partial(open_sqlite, path), pool_size)
        else:
            self.reader_role = ensure_reader_role(db)
            self._pool = _Pool(partial(open_postgres, db), pool_size)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only transaction on a pooled connection."""
        conn = self._pool.take()
        session: Session | None = None
        try:
            if self.dialect == "sqlite":
                session = SqliteSession(conn)
            else:
                session = PostgresSession(conn, self.reader_role)
            yield session
        finally:
            if session is not None:
                session.close()
            self._pool.give(conn, _end(conn, self.dialect))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._pool.close()


def _end(conn: Any, dialect: str) -> bool:
    """Roll back whatever is open; False when the connection is not reusable."""
    try:
        if dialect == "sqlite":
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return True
        if conn.broken or conn.closed:
            return False
        conn.execute("ROLLBACK")
        return True
    except Exception:  # a connection that cannot even roll back is dropped
        return False


class _Pool:
    """A small thread-safe pool: reuse idle connections, open more up to a bound."""

    def __init__(self, opener: Callable[[], Any], size: int) -> None:
        self._opener = opener
        self._size = size
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def take(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._opener()

    def give(self, conn: Any, reusable: bool) -> None:
        with self._lock:
            if reusable and len(self._idle) < self._size:
                self._idle.append(conn)
                return
        with contextlib.suppress(Exception):
            conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(Exception):
                conn.close()
