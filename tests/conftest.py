"""Shared fixtures: a fresh store per test, on SQLite and on PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (override with
LABELLOOP_TEST_PG). Each test run gets its own database, each test its own
schema. A missing server is an error, never a skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from labelloop.store import Database
from tests.chromium import browser

__all__ = ["browser"]  # one Chromium per session, launched only if a test asks for it

PG_SERVER = os.environ.get("LABELLOOP_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
BACKENDS = ["sqlite", "postgresql"]


class FakeClock:
    """A clock tests move by hand, so leases expire without sleeping."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    import psycopg

    name = f"labelloop_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin_url = PG_SERVER.replace("postgresql://", "postgresql://", 1) + "/postgres"
    try:
        admin = psycopg.connect(admin_url, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_SERVER} ({error}); start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{PG_SERVER}/{name}"
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def fresh_pg_schema(pg_database: str) -> str:
    """Create a new schema and return a URL whose search_path points at it."""
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = pg_database.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{url}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return fresh_pg_schema(request.getfixturevalue("pg_database"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db(store_url: str, clock: FakeClock) -> Iterator[Database]:
    database = Database(store_url, clock=clock)
    yield database
    database.dispose()
