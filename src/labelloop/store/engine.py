"""Opening a database: URLs, connection settings, transactions, schema.

SQLite runs in WAL mode with a busy timeout; write transactions start with
``BEGIN IMMEDIATE`` so two writers never both read and then both try to
upgrade their lock (which SQLite can only resolve by failing one of them).
PostgreSQL runs at READ COMMITTED; the queue relies on row locks and
``FOR UPDATE SKIP LOCKED`` there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from labelloop.errors import SchemaVersionError, StoreUnavailableError, require
from labelloop.store import schema

Clock = Callable[[], float]

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=MEMORY",
)
_RETRIES = 8


def normalize_url(target: str | Path) -> str:
    """Turn a file path or a database URL into a SQLAlchemy URL.

    Parameters
    ----------
    target : str or Path
        A path to a SQLite file (created if missing), ``sqlite:///…``,
        ``postgresql://…`` or ``postgresql+psycopg://…``.

    Returns
    -------
    str
        A URL SQLAlchemy can open; PostgreSQL URLs use the psycopg 3 driver.
    """
    text = str(target)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def create_engine(url: str) -> Engine:
    """Create an engine with labelloop's connection settings for its dialect."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if url.startswith("postgresql"):
        require("psycopg", "postgres")
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    raise StoreUnavailableError(
        f"unsupported database URL {url!r}: use a SQLite file path, sqlite:///PATH, "
        "or postgresql://USER@HOST/DB"
    )


def _sqlite_engine(url: str) -> Engine:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and path != ":memory:" and not Path(path).parent.is_dir():
        raise StoreUnavailableError(
            f"cannot create the SQLite file {path!r}: its folder does not exist"
        )
    engine = sa.create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, open transactions.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Statement:
    """A hot-path SQL statement sent straight to the DBAPI cursor.

    SQLAlchemy's per-execution work (cache keys, result metadata, events)
    costs more than SQLite needs to run a one-row UPDATE; the queue's few
    hot statements skip it while staying inside the SQLAlchemy transaction.
    Write parameters as ``:name``; they are rewritten for psycopg.
    """

    def __init__(self, sql: str) -> None:
        self.sql = {"sqlite": sql, "postgresql": re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)}

    def run(self, conn: Connection, params: dict[str, Any]) -> Any:
        """Execute on the connection's DBAPI cursor; return the cursor."""
        dialect = conn.dialect.name
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        if dialect == "sqlite":
            params = {k: _sqlite_value(v) for k, v in params.items()}
        cursor.execute(self.sql[dialect], params)
        return cursor


def _sqlite_value(value: Any) -> Any:
    # the text form SQLAlchemy's DateTime type uses on SQLite
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


# PostgreSQL: a sequence, so concurrent writers never wait on one counter row.
# SQLite: a meta row; its writers are serialised by the write lock anyway.
_BUMP_CHANGES = {
    "postgresql": Statement("SELECT nextval('labelloop_changes')"),
    "sqlite": Statement(
        "UPDATE labelloop_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'changes'"
    ),
}
_READ_CHANGES = {
    "postgresql": Statement("SELECT last_value FROM labelloop_changes"),
    "sqlite": Statement("SELECT CAST(value AS INTEGER) FROM labelloop_meta WHERE key = 'changes'"),
}


def changes_sql(dialect: str) -> str:
    """The SQL that reads the change counter, for connections outside SQLAlchemy."""
    return str(_READ_CHANGES[dialect].sql[dialect])


def changes_on(conn: Connection) -> int:
    """The change counter as seen by ``conn`` (inside its transaction's snapshot on SQLite).

    On PostgreSQL the counter is a sequence, bumped before a write commits, so
    it may run ahead of the data a concurrent snapshot sees.
    """
    return int(_READ_CHANGES[conn.dialect.name].run(conn, {}).fetchone()[0])


def is_retryable(error: BaseException) -> bool:
    """Whether a failed transaction can simply be run again."""
    text = str(error).lower()
    markers = ("database is locked", "deadlock detected", "could not serialize", "busy")
    if isinstance(error, sa.exc.OperationalError):
        return any(m in text for m in markers)
    # raised by Statement.run, straight from the driver
    driver_errors = ("OperationalError", "DeadlockDetected", "SerializationFailure")
    return type(error).__name__ in driver_errors and any(m in text for m in markers)


class Database:
    """An open database: engine, dialect, clock and transactions.

    Parameters
    ----------
    target : str or Path
        SQLite file path or database URL (see :func:`normalize_url`).
    clock : callable, optional
        Returns the current time in epoch seconds; tests pass a fake one to
        expire leases without sleeping.
    """

    def __init__(self, target: str | Path, clock: Clock = time.time) -> None:
        self.url = normalize_url(target)
        self.engine = create_engine(self.url)
        self.dialect = self.engine.dialect.name
        self.clock = clock
        self.annotator_ids: dict[str, int] = {}  # ids never change once given
        self.next_sweep: dict[int, float] = {}  # project id -> when to look for expired leases
        try:
            self._ensure_schema()
        except BaseException:
            self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot)."""
        with self._connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock up front.

        Every write transaction advances the store's change counter (see
        :meth:`changes`), so caches and ETags know the data moved.
        """
        with self._connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn
                _BUMP_CHANGES[self.dialect].run(conn, {})

    def changes(self) -> int:
        """A number that grows whenever anything is written to the store."""
        with self.read() as conn:
            return changes_on(conn)

    def transact(self, work: Callable[[Connection], Any]) -> Any:
        """Run ``work(conn)`` in a write transaction, retrying lock conflicts."""
        for attempt in range(_RETRIES):
            try:
                with self.write() as conn:
                    return work(conn)
            except Exception as error:
                if not is_retryable(error) or attempt == _RETRIES - 1:
                    raise
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except sa.exc.OperationalError as error:
            raise StoreUnavailableError(
                f"cannot connect to {self!r}: {error.orig}. Check that the server is "
                "running and the URL (host, port, database, user) is right."
            ) from None
        with conn:
            yield conn

    def _ensure_schema(self) -> None:
        def create(conn: Connection) -> None:
            if self.dialect == "postgresql":
                # many processes may open a fresh database at once
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7412001)")
            schema.metadata.create_all(conn, checkfirst=True)
            if self.dialect == "postgresql":
                conn.exec_driver_sql("CREATE SEQUENCE IF NOT EXISTS labelloop_changes")
            else:
                conn.exec_driver_sql(
                    "INSERT OR IGNORE INTO labelloop_meta (key, value) VALUES ('changes', '0')"
                )
            row = conn.execute(
                sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
            ).first()
            if row is None:
                conn.execute(
                    sa.insert(schema.meta).values(
                        key="schema_version", value=str(schema.SCHEMA_VERSION)
                    )
                )
            elif int(row.value) > schema.SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"{self!r} has schema version {row.value}, newer than this labelloop "
                    f"understands ({schema.SCHEMA_VERSION}); upgrade labelloop."
                )

        self.transact(create)
