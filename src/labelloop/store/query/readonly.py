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
import hashlib
import itertools
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from labelloop.errors import StoreUnavailableError
from labelloop.store.engine import _READ_CHANGES, Database
from labelloop.store.query.cache import ResultCache
from labelloop.store.query.errors import QueryError, QueryTimeoutError, ReadOnlyError

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
_SQLITE_REFUSED_FUNCTIONS = frozenset(
    {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
)
_MAX_VALUE_BYTES = 256 * 1024 * 1024
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
        self, query: sa.ClauseElement | tuple[str, Params], limit_ms: float | None, chunk: int
    ) -> tuple[list[str], Iterator[list[tuple[Any, ...]]]]:
        """Run a query and yield its rows in chunks; each chunk has ``limit_ms``.

        The first chunk is fetched before returning, so a query that fails or
        times out at once raises here, not half-way through a response.
        """
        sql, params = self._sql(query)
        cursor = self._open_cursor(sql, params, limit_ms)
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

    def _open_cursor(self, sql: str, params: Params, limit_ms: float | None) -> Any:
        raise NotImplementedError

    def _timed_fetch(self, cursor: Any, n: int, limit_ms: float | None) -> list[Any]:
        raise NotImplementedError


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
            path = _sqlite_path(db)
            self._pool = _Pool(partial(_open_sqlite, path), pool_size)
        else:
            self.reader_role = ensure_reader_role(db)
            self._pool = _Pool(partial(_open_postgres, db), pool_size)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only transaction on a pooled connection."""
        conn = self._pool.take()
        session: Session | None = None
        try:
            if self.dialect == "sqlite":
                session = _SqliteSession(conn)
            else:
                session = _PostgresSession(conn, self.reader_role)
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


# -- SQLite -------------------------------------------------------------------


class _SqliteConnection(sqlite3.Connection):
    """A connection that knows its deadline and why its authorizer refused."""

    deadline: float = math.inf
    refusal: str | None = None
    private: frozenset[str] = frozenset()  # the database's tables the API does not serve


def _sqlite_path(db: Database) -> Path:
    url = sa.engine.make_url(db.url)
    if not url.database or url.database == ":memory:":
        raise StoreUnavailableError(
            "the data API needs a SQLite file (it opens its own read-only connections); "
            "an in-memory store cannot be shared"
        )
    return Path(url.database).resolve()


def _open_sqlite(path: Path) -> _SqliteConnection:
    uri = f"{path.as_uri()}?mode=ro"
    conn = sqlite3.connect(
        uri, uri=True, check_same_thread=False, isolation_level=None, factory=_SqliteConnection
    )
    assert isinstance(conn, _SqliteConnection)
    for pragma in ("query_only=ON", "busy_timeout=30000", "cache_size=-65536"):
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


class _SqliteSession(Session):
    def __init__(self, conn: _SqliteConnection) -> None:
        self.dialect = "sqlite"
        self.conn = conn
        self._open = []
        conn.execute("BEGIN")
        conn.private = frozenset()
        tables = conn.execute("SELECT lower(name) FROM sqlite_master WHERE type = 'table'")
        conn.private = frozenset(name for (name,) in tables) - SERVED_TABLES

    def _read_version(self) -> str:
        sql = _READ_CHANGES["sqlite"].sql["sqlite"]
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

    def _open_cursor(self, sql: str, params: Params, limit_ms: float | None) -> Any:
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
            return QueryTimeoutError(_too_long(limit_ms))
        if "not authorized" in text or "prohibited" in text:
            return ReadOnlyError(self.conn.refusal or f"{READ_ONLY}: {text}")
        if "readonly" in text or "read-only" in text or "VACUUM" in text:
            return ReadOnlyError(f"{READ_ONLY}: {text}")
        if "one statement at a time" in text:
            return ReadOnlyError(f"{READ_ONLY}: send one statement at a time")
        return QueryError(f"SQL error: {text}")


def _too_long(limit_ms: float | None) -> str:
    return f"query took longer than {limit_ms:g} ms and was stopped; narrow it or add a filter"


# -- PostgreSQL -----------------------------------------------------------------


def reader_role_name(db: Database) -> str:
    """The store's reader role: one per database and schema, so stores stay apart."""
    digest = hashlib.sha256(db.url.encode()).hexdigest()[:12]
    return f"labelloop_reader_{digest}"


def ensure_reader_role(db: Database) -> str | None:
    """Create (or refresh) a role that may only SELECT the served tables.

    Returns the role's name, or None when the store's user may not create
    roles or grant on the schema; sessions then rely on the read-only
    transaction alone.
    """
    role = reader_role_name(db)
    for attempt in range(3):
        try:
            with db.engine.connect() as conn, conn.begin():
                _grant_reader(conn, role)
            return role
        except sa.exc.DBAPIError as error:
            concurrent = "concurrently" in str(error) or "already exists" in str(error)
            if not concurrent or attempt == 2:
                return None
    return None


def _grant_reader(conn: sa.Connection, role: str) -> None:
    conn.exec_driver_sql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
        f"'{role}') THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
    )
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    names = set(sa.inspect(conn).get_table_names(schema=schema))
    conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
    for table in sorted(SERVED_TABLES & names):
        conn.exec_driver_sql(f'GRANT SELECT ON TABLE "{schema}"."{table}" TO {role}')
    conn.exec_driver_sql(f'GRANT SELECT ON SEQUENCE "{schema}".labelloop_changes TO {role}')
    superuser = conn.exec_driver_sql(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
    ).scalar()
    if not superuser:
        conn.exec_driver_sql(f"GRANT {role} TO CURRENT_USER")


def _open_postgres(db: Database) -> Any:
    import psycopg

    args, kwargs = db.engine.dialect.create_connect_args(db.engine.url)
    try:
        conn = psycopg.connect(*args, **kwargs, autocommit=True)
    except psycopg.OperationalError as error:
        raise StoreUnavailableError(f"cannot connect to {db!r}: {error}") from None
    return conn


_CURSOR_NAMES = itertools.count()


class _PostgresSession(Session):
    def __init__(self, conn: Any, role: str | None) -> None:
        self.dialect = "postgresql"
        self.conn = conn
        self._open = []
        self._timeout: int | None = None  # the statement_timeout now in force
        setup = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
        conn.execute(setup if role is None else f"{setup}; SET LOCAL ROLE {role}")

    def _read_version(self) -> str:
        sql = "SELECT last_value, pg_current_snapshot()::text FROM labelloop_changes"
        changes, snapshot = self.fetch((sql, {}), None).rows[0]
        return f"{changes}.{hashlib.sha256(snapshot.encode()).hexdigest()[:10]}"

    @contextlib.contextmanager
    def _statement(self, limit_ms: float | None, tolerate: bool) -> Iterator[Any]:
        import psycopg

        if tolerate:
            self.conn.execute("SAVEPOINT tolerated")
        self._set_timeout(limit_ms)
        cursor = self.conn.cursor()
        try:
            yield cursor
        except psycopg.Error as error:
            if tolerate and not self.conn.broken:
                self.conn.execute("ROLLBACK TO SAVEPOINT tolerated")
                self._timeout = None  # the rollback undid SET LOCAL
            raise self._translate(error, limit_ms) from None
        finally:
            cursor.close()
        if tolerate:
            self.conn.execute("RELEASE SAVEPOINT tolerated")

    def _set_timeout(self, limit_ms: float | None) -> None:
        timeout = 0 if limit_ms is None else max(1, math.ceil(limit_ms))
        if timeout != self._timeout:
            self.conn.execute(f"SET LOCAL statement_timeout = {timeout}")
            self._timeout = timeout

    def _execute(self, cursor: Any, sql: str, params: Params) -> None:
        cursor.execute(sql, params, prepare=False)

    def _open_cursor(self, sql: str, params: Params, limit_ms: float | None) -> Any:
        import psycopg

        self._set_timeout(limit_ms)
        cursor = self.conn.cursor(name=f"labelloop_{next(_CURSOR_NAMES)}")
        try:
            cursor.execute(sql, params or None)
        except psycopg.Error as error:
            with contextlib.suppress(psycopg.Error):
                cursor.close()
            raise self._translate(error, limit_ms) from None
        return cursor

    def _timed_fetch(self, cursor: Any, n: int, limit_ms: float | None) -> list[Any]:
        import psycopg

        try:
            rows: list[Any] = cursor.fetchmany(n)
        except psycopg.Error as error:
            raise self._translate(error, limit_ms) from None
        return rows

    def _translate(self, error: Exception, limit_ms: float | None) -> QueryError:
        from psycopg import errors

        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if isinstance(error, errors.QueryCanceled):
            return QueryTimeoutError(_too_long(limit_ms))
        if isinstance(error, errors.ReadOnlySqlTransaction):
            return ReadOnlyError(f"{READ_ONLY}: {text}")
        if isinstance(error, errors.InsufficientPrivilege):
            return ReadOnlyError(
                f"{text}: that is not available through the data API "
                f"({READ_ONLY}; tables: {', '.join(sorted(SERVED_TABLES))})"
            )
        if "multiple commands" in text:
            return ReadOnlyError(f"{READ_ONLY}: send one statement at a time")
        if isinstance(error, errors.OperationalError) and self.conn.broken:
            raise StoreUnavailableError(f"the database connection was lost: {text}")
        return QueryError(f"SQL error: {text}")
