"""The data API over the builders' store, as a public read-only API, per backend."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from labelloop.server.data import DataSettings, PublicReadAccess, make_data_router
from tests.conftest import BACKENDS
from tests.store.query.builders import Built, built_store, drop_reader_roles, store_urls


def data_app(built: Built, settings: DataSettings | None = None, access: Any = None) -> FastAPI:
    """An app with only the data API mounted at /data."""
    app = FastAPI()
    router = make_data_router(built.db, access or PublicReadAccess(), settings)
    app.include_router(router, prefix="/data")
    return app


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """The builders' store; tests that write make their own."""
    pg = request.getfixturevalue("pg_database") if request.param == "postgresql" else None
    yield from built_store(store_urls(request.param, tmp_path_factory.mktemp("data"), pg))


@pytest.fixture(scope="module")
def client(built: Built) -> Iterator[TestClient]:
    """A client of the public data API over the shared store."""
    with TestClient(data_app(built)) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` on uvicorn on a free loopback port; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session", autouse=True)
def reader_roles(pg_database: str) -> Iterator[None]:
    """Drop the reader roles the data API created during the session."""
    yield
    drop_reader_roles(pg_database)
