"""SQLite sessions: a connection that cannot write, and stops at its deadline.

Connections are opened ``mode=ro`` with ``PRAGMA query_only=ON``; an
authorizer refuses every write, ATTACH/DETACH, PRAGMA, extension loading and
the store's tables outside :data:`session.SERVED_TABLES`;
``SQLITE_LIMIT_ATTACHED`` is 0; a progress handler stops a statement once
its deadline has passed.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from labelloop.errors import StoreUnavailableError
from labelloop.store.engine import Database, changes_sql
from labelloop.store.query.errors import QueryError, QueryTimeoutError, ReadOnlyError
from labelloop.store.query.session import READ_ONLY, SERVED_TABLES, Params, Session, too_long

_SQLITE_REFUSED_FUNCTIONS = frozenset(
    {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
)
_MAX_VALUE_BYTES = 256 * 1024 * 1024


class _SqliteConnection(sqlite3.Connection):
    """A connection that knows its deadline and why its authorizer refused."""

    deadline: float = math.inf
    refusal: str | None = None
    private: frozenset[str] = frozenset()  # the database's tables the API does not serve


def sqlite_path(db: Database) -> Path:
    url = sa.engine.make_url(db.url)
    if not url.database or url.database == ":memory:":
        raise StoreUnavailableError(
            "the data API needs a SQLite file (it opens its own read-only connections); "
            "an in-memory store cannot be shared"
        )
    return Path(url.database).resolve()


def open_sqlite(path: Path) -> _SqliteConnection:
    uri = f"{path.as_uri()}?mode=ro"
    conn = sqlite3.connect(
        uri, uri=True, check_same_thread=False, isolation_level=None, factory=_SqliteConnection
    )
    assert isinstance(conn, _SqliteConnection)
    # SQLite's default 2 MB page cache: every write elsewhere empties a reader's
    # cache, and a large one costs more to empty than it saves (a count of 1M
    # rows took 11 ms after a write with 64 MB, 5 ms with the default)
    for pragma in ("query_only=ON", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _MAX_VALUE_BYTES)
    conn.set_authorizer(partial(_authorize, conn))
    conn.set_progress_handler(partial(_past_deadline, conn), 1000)
    return conn


def _past_deadline(conn: _SqliteConnection) -> int:
    return 1 if time.monotonic() > conn.deadline else 0


_WRITES = frozenset(
    getattr(sqlite3, name)
    for name in dir(sqlite3)
    if name.startswith(("SQLITE_CREATE_", "SQLITE_DROP_"))
    or name
    in (
        "SQLITE_INSERT",
        "SQLITE_UPDATE",
        "SQLITE_DELETE",
        "SQLITE_ALTER_TABLE",
        "SQLITE_REINDEX",
        "SQLITE_ANALYZE",
    )
)


def _authorize(
    conn: _SqliteConnection,
    action: int,
    arg1: str | None,
    arg2: str | None,
    _db: str | None,
    _source: str | None,
) -> int:
    refusal = _refusal(action, arg1, arg2, conn.private)
    conn.refusal = refusal
    return sqlite3.SQLITE_OK if refusal is None else sqlite3.SQLITE_DENY


def _refusal(
    action: int, arg1: str | None, arg2: str | None, private: frozenset[str]
) -> str | None:
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE, sqlite3.SQLITE_TRANSACTION):
        return None
    if action == sqlite3.SQLITE_READ:
        return _table_refusal(arg1 or "", private)
    if action == sqlite3.SQLITE_FUNCTION:
        name = (arg2 or "").lower()
        return (
            f"{READ_ONLY}: {name}() is not allowed" if name in _SQLITE_REFUSED_FUNCTIONS else None
        )
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        return None  # SQLite registering an eponymous virtual table such as json_each
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return f"{READ_ONLY}: ATTACH and DETACH are not allowed"
    if action == sqlite3.SQLITE_PRAGMA:
        return f"{READ_ONLY}: PRAGMA is not allowed"
    if action in _WRITES:
        return f"{READ_ONLY}: statements that change data or schema are refused"
    return f"{READ_ONLY}: this kind of statement is not allowed"


def _table_refusal(table: str, private: frozenset[str]) -> str | None:
    """Refuse the store's other tables; names that are no table (a CTE) are fine."""
    if table.lower() not in private:
        return None
    return (
        f"table {table!r} is not available through the data API; "
        f"tables: {', '.join(sorted(SERVED_TABLES))}"
    )


class SqliteSession(Session):
    def __init__(self, conn: _SqliteConnection) -> None:
        self.dialect = "sqlite"
        self.conn = conn
        self._open = []
        conn.execute("BEGIN")
        conn.private = frozenset()
        tables = conn.execute("SELECT lower(name) FROM sqlite_master WHERE type = 'table'")
        conn.private = frozenset(name for (name,) in tables) - SERVED_TABLES

    def _read_version(self) -> str:
        sql = changes_sql("sqlite")
        return str(self.fetch((sql, ()), None).rows[0][0])

    @contextlib.contextmanager
    def _statement(self, limit_ms: float | None, tolerate: bool) -> Iterator[Any]:
        self._arm(limit_ms)
        cursor = self.conn.cursor()
        try:
            yield cursor
        except (sqlite3.Error, sqlite3.Warning, OverflowError) as error:
            raise self._translate(error, limit_ms) from None
        finally:
            self.conn.deadline = math.inf
            cursor.close()

    def _arm(self, limit_ms: float | None) -> None:
        self.conn.refusal = None
        self.conn.deadline = math.inf if limit_ms is None else time.monotonic() + limit_ms / 1000

    def _execute(self, cursor: Any, sql: str, params: Params) -> None:
        cursor.execute(sql, params)

    def _open_cursor(self, sql: str, params: Params, limit_ms: float | None, binary: bool) -> Any:
        with self._guard(limit_ms):
            return self.conn.execute(sql, params)

    def _timed_fetch(self, cursor: Any, n: int, limit_ms: float | None) -> list[Any]:
        with self._guard(limit_ms):
            rows: list[Any] = cursor.fetchmany(n)
            return rows

    @contextlib.contextmanager
    def _guard(self, limit_ms: float | None) -> Iterator[None]:
        self._arm(limit_ms)
        try:
            yield
        except (sqlite3.Error, sqlite3.Warning, OverflowError) as error:
            raise self._translate(error, limit_ms) from None
        finally:
            self.conn.deadline = math.inf

    def _translate(self, error: Exception, limit_ms: float | None) -> QueryError:
        text = str(error)
        if text == "interrupted":
            return QueryTimeoutError(too_long(limit_ms))
        if "not authorized" in text or "prohibited" in text:
            return ReadOnlyError(self.conn.refusal or f"{READ_ONLY}: {text}")
        if "readonly" in text or "read-only" in text or "VACUUM" in text:
            return ReadOnlyError(f"{READ_ONLY}: {text}")
        if "one statement at a time" in text:
            return ReadOnlyError(f"{READ_ONLY}: send one statement at a time")
        return QueryError(f"SQL error: {text}")
