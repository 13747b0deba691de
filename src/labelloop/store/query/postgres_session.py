"""PostgreSQL sessions: read-only transactions as a SELECT-only role.

Each session is one ``READ ONLY`` ``REPEATABLE READ`` transaction (a page,
its count and its facets see one snapshot), run as a per-store role with
SELECT on the served tables only when the store's user may create it
(:func:`ensure_reader_role`). Every statement gets ``SET LOCAL
statement_timeout``; SQL from users runs through ``DECLARE … CURSOR``, which
accepts one SELECT or VALUES and nothing else.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from labelloop.errors import StoreUnavailableError
from labelloop.store.engine import Database
from labelloop.store.query.errors import QueryError, QueryTimeoutError, ReadOnlyError
from labelloop.store.query.session import READ_ONLY, SERVED_TABLES, Params, Session, too_long


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


def open_postgres(db: Database) -> Any:
    import psycopg

    args, kwargs = db.engine.dialect.create_connect_args(db.engine.url)
    try:
        conn = psycopg.connect(*args, **kwargs, autocommit=True)
    except psycopg.OperationalError as error:
        raise StoreUnavailableError(f"cannot connect to {db!r}: {error}") from None
    return conn


_CURSOR_NAMES = itertools.count()


class PostgresSession(Session):
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

    def _open_cursor(self, sql: str, params: Params, limit_ms: float | None, binary: bool) -> Any:
        import psycopg

        self._set_timeout(limit_ms)
        cursor = self.conn.cursor(name=f"labelloop_{next(_CURSOR_NAMES)}", binary=binary)
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
            return QueryTimeoutError(too_long(limit_ms))
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
