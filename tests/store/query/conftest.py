"""A populated store per backend, shared by a module's read-only tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labelloop.store.query import DataSource
from tests.conftest import BACKENDS
from tests.store.query.builders import Built, built_store, drop_reader_roles, store_urls


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """The builders' store on SQLite and on PostgreSQL; tests must not write to it."""
    pg = request.getfixturevalue("pg_database") if request.param == "postgresql" else None
    yield from built_store(store_urls(request.param, tmp_path_factory.mktemp("query"), pg))


@pytest.fixture(scope="module")
def source(built: Built) -> Iterator[DataSource]:
    """A read-only data source over the shared store."""
    data = DataSource(built.db)
    yield data
    data.dispose()


@pytest.fixture(scope="session", autouse=True)
def reader_roles(pg_database: str) -> Iterator[None]:
    """Drop the reader roles the data API created during the session."""
    yield
    drop_reader_roles(pg_database)
