"""The database itself refuses writes from the data API's sessions, and stops slow queries.

These go straight to a session, past the SQL guard, to prove the protection
is in the connection (SQLite: mode=ro, query_only, authorizer; PostgreSQL:
read-only transaction and a SELECT-only role), not only in our parsing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from labelloop.store import Database
from labelloop.store.query import DataSource
from labelloop.store.query.errors import QueryError, QueryTimeoutError, ReadOnlyError
from labelloop.store.query.readonly import ReadOnly, reader_role_name
from tests.conftest import fresh_pg_schema
from tests.store.query.builders import Built, fingerprint, populate

COMMON_WRITES = [
    "INSERT INTO labels (project_id, item_id, annotator_id, value, created_at, current) "
    "VALUES (1, 1, 1, 'x', '2024-01-01', 1 = 1)",
    "UPDATE items SET priority = 99",
    "DELETE FROM labels",
    "DROP TABLE labels",
    "CREATE TABLE sneaky (a INTEGER)",
    "ALTER TABLE items ADD COLUMN sneaky INTEGER",
    "CREATE INDEX sneaky ON labels (value)",
    "CREATE TEMP TABLE sneaky (a INTEGER)",
]
SQLITE_WRITES = [
    "ATTACH DATABASE '{folder}/attached.db' AS other",
    "PRAGMA query_only = 0",
    "PRAGMA journal_mode = DELETE",
    "SELECT load_extension('/tmp/evil')",
    "SELECT 1; DELETE FROM labels",
    "REINDEX",
    "VACUUM",
    "VACUUM INTO '{folder}/copy.db'",
    "SELECT * FROM leases",
]
POSTGRES_WRITES = [
    "WITH gone AS (DELETE FROM labels RETURNING id) SELECT count(*) FROM gone",
    "SELECT nextval('labelloop_changes')",
    "SELECT setval('labelloop_changes', 1)",
    "SELECT * FROM leases",
    "TRUNCATE labels",
    "SET ROLE postgres",
    "LOCK TABLE labels",
]


@pytest.fixture
def store(db: Database) -> Iterator[tuple[Built, ReadOnly]]:
    built = populate(db)
    readonly = ReadOnly(db)
    yield built, readonly
    readonly.dispose()


def attempts(dialect: str) -> list[str]:
    return COMMON_WRITES + (SQLITE_WRITES if dialect == "sqlite" else POSTGRES_WRITES)


def test_every_write_attempt_is_refused_and_nothing_changes(
    store: tuple[Built, ReadOnly], tmp_path: Path
) -> None:
    """User SQL runs through ``stream`` (PostgreSQL: DECLARE … CURSOR)."""
    built, readonly = store
    before = fingerprint(built.db)
    empty = {} if built.db.dialect == "postgresql" else ()
    for sql in attempts(built.db.dialect):
        text = sql.format(folder=tmp_path)
        with pytest.raises(QueryError), readonly.session() as session:
            _, chunks = session.stream((text, empty), 1000, 10)
            list(chunks)
    assert fingerprint(built.db) == before
    assert not (tmp_path / "attached.db").exists()
    assert not (tmp_path / "copy.db").exists()


def test_writes_on_the_plain_cursor_are_refused_by_the_database_as_read_only(
    store: tuple[Built, ReadOnly],
) -> None:
    built, readonly = store
    before = fingerprint(built.db)
    empty = {} if built.db.dialect == "postgresql" else ()
    for sql in COMMON_WRITES:
        with pytest.raises(ReadOnlyError, match="read-only"), readonly.session() as session:
            session.fetch((sql, empty), 1000)
    assert fingerprint(built.db) == before


@pytest.mark.parametrize(
    "slow",
    [
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
        "SELECT count(*) FROM n",
    ],
)
def test_a_query_past_the_time_limit_is_stopped_with_a_clear_error(
    store: tuple[Built, ReadOnly], slow: str
) -> None:
    _, readonly = store
    with pytest.raises(QueryTimeoutError, match="took longer than 50 ms"), readonly.session() as s:
        s.fetch((slow, () if s.dialect == "sqlite" else {}), 50)
    with readonly.session() as session:  # the pool's connection is still good
        assert session.fetch(("SELECT 1", () if session.dialect == "sqlite" else {}), 50).rows


def test_the_version_moves_with_writes_and_only_with_writes(
    store: tuple[Built, ReadOnly],
) -> None:
    built, readonly = store
    with readonly.session() as session:
        first = session.version()
    with readonly.session() as session:
        assert session.version() == first
    built.db.transact(lambda conn: None)
    with readonly.session() as session:
        assert session.version() != first


@pytest.fixture
def pg_db(pg_database: str) -> Iterator[Database]:
    """A PostgreSQL store in its own schema (roles are PostgreSQL's)."""
    database = Database(fresh_pg_schema(pg_database))
    yield database
    database.dispose()


def test_postgres_sessions_run_as_the_select_only_reader_role(pg_db: Database) -> None:
    populate(pg_db)
    readonly = ReadOnly(pg_db)
    try:
        assert readonly.reader_role == reader_role_name(pg_db)
        with readonly.session() as session:
            user = session.fetch(("SELECT current_user, current_schema()", {}), 1000).rows[0]
        assert user[0] == readonly.reader_role
        assert user[1].startswith("t_"), "the test URL's search_path still applies"
        with pytest.raises(ReadOnlyError, match="permission denied"), readonly.session() as s:
            s.fetch(("SELECT * FROM leases", {}), 1000)
    finally:
        readonly.dispose()


def test_two_postgres_stores_get_different_reader_roles(pg_db: Database, pg_database: str) -> None:
    other = Database(fresh_pg_schema(pg_database))
    try:
        assert reader_role_name(other) != reader_role_name(pg_db)
    finally:
        other.dispose()


def test_sql_through_the_source_reads_only_served_tables(store: tuple[Built, ReadOnly]) -> None:
    built, _ = store
    source = DataSource(built.db)
    try:
        with source.session() as session:
            result = source.sql(
                session, "select count(*) as n from labels where value = :v", {"v": "cat"}
            )
            assert next(result.chunks)[0][0] > 0
        with pytest.raises(ReadOnlyError, match="leases"), source.session() as session:
            source.sql(session, "select * from leases", {})
    finally:
        source.dispose()
