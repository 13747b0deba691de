"""Opening databases: URLs, unreachable servers, schema versions."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from labelloop.errors import SchemaVersionError, StoreUnavailableError
from labelloop.store import Database, normalize_url, schema


def test_a_plain_path_becomes_a_sqlite_url(tmp_path: Path) -> None:
    assert normalize_url(tmp_path / "x.db") == f"sqlite:///{tmp_path / 'x.db'}"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_schema_version_is_recorded(db: Database) -> None:
    with db.read() as conn:
        version = conn.execute(
            sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
        ).scalar()
    assert version == str(schema.SCHEMA_VERSION)


def test_reopening_keeps_data_and_schema(store_url: str) -> None:
    first = Database(store_url)
    second = Database(store_url)
    with second.read() as conn:
        versions = sa.select(sa.func.count()).where(schema.meta.c.key == "schema_version")
        assert conn.execute(versions).scalar() == 1
    first.dispose()
    second.dispose()


def test_a_newer_schema_is_refused(db: Database) -> None:
    with db.write() as conn:
        conn.execute(sa.update(schema.meta).values(value=str(schema.SCHEMA_VERSION + 1)))
    with pytest.raises(SchemaVersionError, match="upgrade labelloop"):
        Database(db.url)


def test_unreachable_postgres_says_what_to_check() -> None:
    with pytest.raises(StoreUnavailableError, match="Check that the server is running"):
        Database("postgresql://nobody@127.0.0.1:1/nothing")


def test_sqlite_file_in_a_missing_folder_is_explained(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailableError, match="folder does not exist"):
        Database(tmp_path / "missing" / "x.db")


def test_unsupported_url_is_explained() -> None:
    with pytest.raises(StoreUnavailableError, match="unsupported database URL"):
        Database("mysql://root@localhost/test")


def test_every_write_advances_the_change_counter(db: Database) -> None:
    from tests.helpers import make_project

    start = db.changes()
    project = make_project(db, 2)
    after_setup = db.changes()
    assert after_setup > start
    lease = project.claim("alice")[0]
    project.submit(lease, "a")
    assert db.changes() >= after_setup + 2
    reading = db.changes()
    project.labels, project.progress  # noqa: B018
    assert db.changes() == reading
