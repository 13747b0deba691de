"""Data API benchmark: ours beside Datasette on the same 1M-label SQLite file, and on PostgreSQL.

Builds a store with 1,000,000 labels (200,000 items x 5 annotators out of 20,
10 classes), serves it with our router on uvicorn and with Datasette, each
in its own process on a loopback port, and measures per server: the first
page, a page 500,000 rows deep via ``_next``, facets on the label value and
on the annotator, a filtered page, a full CSV export (rows/s and rows
delivered) and requests/s of a lean page with 8 concurrent clients. Every
timed request of ours comes after a write to the store, so no cached count
or facet is reused (the figures are cold). Datasette runs with its facet
and SQL time limits raised to 10 s so that its facets have a time to show
(at its default 200 ms they time out); its CSV keeps its default 100 MB cap.

The store has the label indexes the data API relies on (they ship in the
schema); PostgreSQL figures are ours only.

usage: python -m benchmarks.data_api [--quick] [--backends sqlite,postgresql]
"""

# ruff: noqa: E402 (the path guard must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/queue.py would shadow the stdlib queue when run as a script
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse
import contextlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlencode

import numpy as np

from benchmarks._databases import PG_SERVER, free_port, fresh_url
from benchmarks._databases import drop as drop_database
from labelloop.store import Database, bulk
from labelloop.store.projects import ProjectSettings, add_annotator, create_project, now
from labelloop.store.query.keyset import Token, encode
from labelloop.store.query.readonly import reader_role_name

PROJECT, CLASSES, ANNOTATORS, PER_ITEM = "bench", 10, 20, 5
REPEATS, FACET_REPEATS = 15, 7


# -- building the store ---------------------------------------------------------


def drop(db: Database) -> None:
    """Drop a PostgreSQL benchmark database and the data API's reader role for it."""
    if db.dialect == "postgresql":
        import psycopg

        role = reader_role_name(db)
        drop_database(db.url)
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def build(db: Database, n_labels: int) -> None:
    """``n_labels`` labels: items x 5 annotators out of 20, 10 classes, in bulk."""
    project = create_project(db, PROJECT, ProjectSettings([f"c{i}" for i in range(CLASSES)], k=5))
    people = [add_annotator(db, f"annotator{i:02d}") for i in range(ANNOTATORS)]
    n_items = n_labels // PER_ITEM
    sqlite = db.dialect == "sqlite"
    stamp = now().replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else now()
    done = 0 if sqlite else False

    def items(conn: Any) -> None:
        rows = (
            (
                project.id,
                f"k{i}",
                i,
                0.0,
                "text",
                None,
                None,
                None,
                f"item {i}",
                None,
                5,
                0,
                done,
                stamp,
            )
            for i in range(n_items)
        )
        bulk.insert_tuples(conn, "items", list(bulk.ITEM_COLUMNS), rows)

    db.transact(items)
    with db.read() as conn:
        first = int(conn.exec_driver_sql("SELECT min(id) FROM items").scalar() or 0)
    rng = np.random.default_rng(0)
    values, who, taken = (
        rng.integers(0, CLASSES, n_labels),
        rng.integers(0, ANNOTATORS, n_labels),
        rng.random(n_labels),
    )
    current = 1 if sqlite else True

    def labels(conn: Any) -> None:
        rows = (
            (
                project.id,
                first + j // PER_ITEM,
                people[who[j]],
                f"c{values[j]}",
                float(taken[j]),
                stamp,
                current,
            )
            for j in range(n_labels)
        )
        columns = [
            "project_id",
            "item_id",
            "annotator_id",
            "value",
            "time_taken",
            "created_at",
            "current",
        ]
        bulk.insert_tuples(conn, "labels", columns, rows)

    db.transact(labels)
    settle(db)


def _nothing(conn: Any) -> None:
    """A write transaction's body that writes nothing (the store still counts a change)."""


def settle(db: Database) -> None:
    """What a running store has after a while: PostgreSQL's autovacuum and statistics."""
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


# -- servers ------------------------------------------------------------------------


def app_from_env() -> Any:
    """Our data API alone, public, over ``$LABELLOOP_BENCH_URL`` (uvicorn's factory)."""
    from fastapi import FastAPI

    from labelloop.server.data import PublicReadAccess, make_data_router

    app = FastAPI()
    db = Database(os.environ["LABELLOOP_BENCH_URL"])
    app.include_router(make_data_router(db, PublicReadAccess()), prefix="/data")
    return app


@contextlib.contextmanager
def server(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[int]:
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).parents[1],
    )
    try:
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {command}")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def ours(url: str) -> contextlib.AbstractContextManager[int]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "benchmarks.data_api:app_from_env", "--factory"]
    command += [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return server(command, port, {"LABELLOOP_BENCH_URL": url})


def datasette(path: Path) -> contextlib.AbstractContextManager[int]:
    port = free_port()
    binary = shutil.which("datasette", path=str(Path(sys.executable).parent)) or "datasette"
    command = [binary, "serve", str(path), "--host", "127.0.0.1", "--port", str(port)]
    command += [
        "--setting",
        "facet_time_limit_ms",
        "10000",
        "--setting",
        "sql_time_limit_ms",
        "10000",
    ]
    return server(command, port)


# -- measuring ------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection to a loopback server."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        return response.status, response.read()

    def timed(self, path: str) -> tuple[float, bytes]:
        start = time.perf_counter()
        status, body = self.get(path)
        elapsed = time.perf_counter() - start
        if status != 200:
            raise RuntimeError(f"{path} -> {status}: {body[:300]!r}")
        return elapsed, body


def medians_ms(
    targets: list[tuple[Client, str]], repeats: int, before: Callable[[], None]
) -> list[tuple[float, bytes]]:
    """Median time of each target's request, the servers taking turns (so a busy
    moment of the machine falls on both alike); ``before`` runs before each."""
    for client, path in targets:
        client.timed(path)
    times: list[list[float]] = [[] for _ in targets]
    bodies = [b""] * len(targets)
    for _ in range(repeats):
        for i, (client, path) in enumerate(targets):
            before()
            elapsed, bodies[i] = client.timed(path)
            times[i].append(elapsed)
    return [(statistics.median(t) * 1000, b) for t, b in zip(times, bodies, strict=True)]


def export_rate(port: int, path: str) -> tuple[float, int]:
    """Rows per second of a streamed CSV, and how many rows arrived."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    lines = 0
    while block := response.read(1 << 20):
        lines += block.count(b"\n")
    elapsed = time.perf_counter() - start
    rows = lines - 1
    return rows / elapsed, rows


def requests_per_second(port: int, path: str, clients: int, seconds: float) -> float:
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def work(i: int) -> None:
        client = Client(port)
        while time.perf_counter() < stop:
            status, _ = client.get(path)
            if status != 200:
                raise RuntimeError(f"{path} -> {status}")
            done[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - start)


@dataclass
class Paths:
    """The URLs one server answers for each line of the table."""

    first: str
    deep: str
    facet_value: str
    facet_annotator: str
    filtered: str
    export: str
    lean: str
    facet_timed_out: Callable[[bytes], bool] = field(default=lambda body: False)


def our_paths(db: Database, n_labels: int) -> Paths:
    base = f"/data/{PROJECT}/labels"
    deep = encode(Token("id", False, deep_id(db, n_labels), deep_id(db, n_labels)))
    return Paths(
        first=f"{base}.json",
        deep=f"{base}.json?_next={deep}",
        facet_value=f"{base}.json?_facet=value&_size=0",
        facet_annotator=f"{base}.json?_facet=annotator&_size=0",
        filtered=f"{base}.json?value=c3",
        export=f"{base}.csv?_stream=1",
        lean=f"{base}.json?_size=10&_nocount=1",
        facet_timed_out=lambda body: bool(json.loads(body)["facets_timed_out"]),
    )


def datasette_paths(db: Database, n_labels: int) -> Paths:
    # Datasette names a database after its file
    base, off = f"/{Path(db.url.split(':///', 1)[1]).stem}/labels", {"_nosuggest": "1"}
    return Paths(
        first=f"{base}.json?{urlencode(off)}",
        deep=f"{base}.json?{urlencode({**off, '_next': deep_id(db, n_labels)})}",
        facet_value=f"{base}.json?{urlencode({**off, '_facet': 'value', '_size': 0})}",
        facet_annotator=f"{base}.json?{urlencode({**off, '_facet': 'annotator_id', '_size': 0})}",
        filtered=f"{base}.json?{urlencode({**off, 'value': 'c3'})}",
        export=f"{base}.csv?_stream=on&_size=max",
        lean=f"{base}.json?{urlencode({**off, '_size': 10, '_nocount': 1, '_nofacet': 1})}",
        facet_timed_out=lambda body: bool(json.loads(body).get("facets_timed_out")),
    )


def deep_id(db: Database, n_labels: int) -> int:
    with db.read() as conn:
        first = int(conn.exec_driver_sql("SELECT min(id) FROM labels").scalar() or 0)
    return first + n_labels // 2 - 1


LINES = (
    ("first page (100 rows + count), ms", "ms"),
    ("page n/2 rows deep via _next, ms", "ms"),
    ("facet on label value (cold), ms", "ms"),
    ("facet on annotator (cold), ms", "ms"),
    ("filtered page value=c3 (+count), ms", "ms"),
    ("CSV export of every row, rows/s", "rate"),
    ("CSV rows delivered", "count"),
    ("lean page, 8 clients, req/s", "rate"),
)


def measure(
    servers: list[tuple[int, Paths]], bump: Callable[[], None], quick: bool
) -> list[list[Any]]:
    """Every line of the table for each (port, paths), timed lines interleaved."""
    clients = [(Client(port), paths) for port, paths in servers]
    figures: list[list[Any]] = [[] for _ in servers]
    timed = (
        ("first", REPEATS),
        ("deep", REPEATS),
        ("facet_value", FACET_REPEATS),
        ("facet_annotator", FACET_REPEATS),
        ("filtered", REPEATS),
    )
    for line, repeats in timed:
        targets = [(client, getattr(paths, line)) for client, paths in clients]
        for i, (ms, body) in enumerate(medians_ms(targets, repeats, bump)):
            timed_out = line.startswith("facet") and clients[i][1].facet_timed_out(body)
            figures[i].append(f"{ms:.1f} (timed out)" if timed_out else ms)
    for i, (port, paths) in enumerate(servers):
        rate, rows = export_rate(port, paths.export)
        figures[i] += [rate, rows]
    for i, (port, paths) in enumerate(servers):
        figures[i].append(requests_per_second(port, paths.lean, 8, 2.0 if quick else 5.0))
    return figures


# -- the run ------------------------------------------------------------------------------


def run(backends: list[str], n_labels: int, quick: bool, folder: Path) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {}
    for backend in backends:
        url = fresh_url(backend, folder)
        db = Database(url)
        try:
            start = time.perf_counter()
            build(db, n_labels)
            print(
                f"built {n_labels:,} labels on {backend} in {time.perf_counter() - start:.0f} s",
                flush=True,
            )
            settle(db)
            bump = partial(db.transact, _nothing)  # a write: cached counts and facets go cold
            with contextlib.ExitStack() as stack:
                servers = [(stack.enter_context(ours(url)), our_paths(db, n_labels))]
                if backend == "sqlite":
                    path = Path(db.engine.url.database or "")
                    port = stack.enter_context(datasette(path))
                    servers.append((port, datasette_paths(db, n_labels)))
                figures = measure(servers, bump, quick)
            columns[f"ours ({backend})"] = figures[0]
            if backend == "sqlite":
                columns["Datasette (sqlite)"] = figures[1]
            print(f"measured {backend}", flush=True)
        finally:
            db.dispose()
            drop(db)
    return columns


def show(columns: dict[str, list[Any]], n_labels: int) -> None:
    print(f"\nData API on {n_labels:,} labels (medians; lower ms and higher rates are better)")
    ours_sqlite = columns.get("ours (sqlite)")
    theirs = columns.get("Datasette (sqlite)")
    ours_pg = columns.get("ours (postgresql)")
    header = ["line", "ours SQLite", "Datasette", "ours vs Datasette", "ours PostgreSQL"]
    rows = [header]
    for i, (name, kind) in enumerate(LINES):
        rows.append(
            [
                name,
                fmt(ours_sqlite[i] if ours_sqlite else None, kind),
                fmt(theirs[i] if theirs else None, kind),
                ratio(ours_sqlite[i] if ours_sqlite else None, theirs[i] if theirs else None, kind),
                fmt(ours_pg[i] if ours_pg else None, kind),
            ]
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    for row in rows:
        print(
            "  ".join(
                cell.ljust(w) if c == 0 else cell.rjust(w)
                for c, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def number(value: Any) -> float | None:
    if isinstance(value, str):
        return float(value.split()[0])
    return None if value is None else float(value)


def fmt(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if kind == "ms":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def ratio(ours_value: Any, theirs_value: Any, kind: str) -> str:
    a, b = number(ours_value), number(theirs_value)
    if a is None or b is None or a == 0 or b == 0:
        return "-"
    if kind == "count":
        return f"{a / b:.2f}x rows"
    faster = b / a if kind == "ms" else a / b
    return f"{faster:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 labels and shorter runs")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated backends")
    args = parser.parse_args()
    n_labels = 100_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        columns = run(args.backends.split(","), n_labels, args.quick, Path(folder))
    show(columns, n_labels)


if __name__ == "__main__":
    main()
