"""Throw-away databases and ports for the benchmarks (not itself a benchmark)."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

PG_SERVER = os.environ.get("LABELLOOP_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def fresh_url(backend: str, folder: Path) -> str:
    """A URL of a new, empty store: a SQLite file in ``folder`` or a new PostgreSQL database."""
    if backend == "sqlite":
        return f"sqlite:///{folder / f'bench-{secrets.token_hex(3)}.db'}"
    import psycopg

    name = f"labelloop_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{name}"


def drop(url: str) -> None:
    """Drop a PostgreSQL database made by :func:`fresh_url` (SQLite files go with their folder)."""
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
