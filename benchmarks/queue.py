"""Queue benchmark: ingest, claim+submit, claim latency, bulk reorder.

Each figure is printed next to a baseline measured in the same run: the raw
driver (sqlite3 / psycopg) running the same SQL against the same tables and
indexes, with none of labelloop's Python around it. The ratio is what to
read; absolute numbers move with the machine's load.

usage: python -m benchmarks.queue [--quick] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the stdlib's queue, which multiprocessing imports:
# keep its folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse
import multiprocessing as mp
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks._databases import drop, fresh_url
from labelloop import Project
from labelloop.store import Database, queue
from labelloop.store.projects import add_annotator, now

DIM = 64


@dataclass
class Row:
    backend: str
    what: str
    ours: float
    raw: float
    unit: str
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        return self.ours / self.raw if self.higher_is_better else self.raw / self.ours


# -- raw driver baselines ------------------------------------------------------


class Raw:
    """The same SQL as labelloop's queue, sent straight through the driver."""

    def __init__(self, url: str) -> None:
        self.postgres = url.startswith("postgresql")
        if self.postgres:
            import psycopg

            self.conn: Any = psycopg.connect(url.replace("+psycopg", ""))
            self.p = "%s"
        else:
            self.conn = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=30000")
            self.p = "?"

    def sql(self, text: str) -> str:
        return text.replace("?", self.p)

    def begin(self) -> Any:
        if not self.postgres:
            self.conn.execute("BEGIN IMMEDIATE")
        return self.conn.cursor()

    def commit(self) -> None:
        self.conn.commit() if self.postgres else self.conn.execute("COMMIT")

    def ingest(self, pid: int, features: np.ndarray) -> None:
        created = now()
        columns = "project_id, key, position, priority, kind, dtype, shape, data, n_labels, "
        columns += "n_leases, claimable, created_at"
        rows = (
            (pid, str(i), i, 0.0, "ndarray", "<f8", "64", row.tobytes(), 0, 0, True, created)
            for i, row in enumerate(features)
        )
        cursor = self.begin()
        if self.postgres:
            with cursor.copy(f"COPY items ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ",".join("?" * 12)
            sqlite_rows = ((*r[:-1], created.isoformat(" ")) for r in rows)
            cursor.executemany(f"INSERT INTO items ({columns}) VALUES ({marks})", sqlite_rows)
        self.commit()

    def claim(self, pid: int, who: int) -> tuple[str, int] | None:
        lock = "FOR UPDATE SKIP LOCKED" if self.postgres else ""
        cursor = self.begin()
        if self.postgres:
            cursor.execute("SET LOCAL synchronous_commit = off")
        item = cursor.execute(
            self.sql(
                "UPDATE items SET n_leases = n_leases + 1, claimable = FALSE WHERE id IN "
                "(SELECT id FROM items WHERE project_id = ? AND claimable = TRUE "
                f"ORDER BY priority DESC, position LIMIT 1 {lock}) RETURNING id"
            ),
            (pid,),
        ).fetchone()
        lease = secrets.token_hex(16)
        if item is not None:
            cursor.execute(
                self.sql(
                    "INSERT INTO leases (id, project_id, item_id, annotator_id, expires_at, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (lease, pid, item[0], who, time.time() + 600, time.time()),
            )
        self.commit()
        return None if item is None else (lease, item[0])

    def submit(self, pid: int, who: int, lease: str, item: int) -> None:
        cursor = self.begin()
        cursor.execute(self.sql("DELETE FROM leases WHERE id = ? RETURNING item_id"), (lease,))
        created = now() if self.postgres else now().isoformat(" ")
        cursor.execute(
            self.sql(
                "INSERT INTO labels (project_id, item_id, annotator_id, value, created_at, "
                "lease_id, current) VALUES (?, ?, ?, ?, ?, ?, TRUE)"
            ),
            (pid, item, who, "a", created, lease),
        )
        cursor.execute(
            self.sql("UPDATE items SET n_labels = 1, n_leases = 0 WHERE id = ?"), (item,)
        )
        self.commit()

    def reorder(self, ids: np.ndarray, values: np.ndarray) -> None:
        cursor = self.begin()
        cursor.executemany(
            self.sql("UPDATE items SET priority = ? WHERE id = ?"),
            list(zip(values.tolist(), ids.tolist(), strict=True)),
        )
        self.commit()

    def close(self) -> None:
        self.conn.close()


# -- helpers -------------------------------------------------------------------


def timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def new_project(db: Database, name: str) -> Project:
    project = Project(db, name, options=["a", "b"])
    project.add_annotator("bench")
    return project


def annotator_id(db: Database) -> int:
    with db.read() as conn:
        return int(conn.exec_driver_sql("SELECT id FROM annotators WHERE name='bench'").scalar())


def mark_labelled(db: Database, pid: int, fraction: float, n: int) -> None:
    """Put a project in the state of `fraction` of its items labelled (setup, not timed)."""
    cutoff = int(n * fraction)
    with db.write() as conn:
        conn.exec_driver_sql(
            "UPDATE items SET n_labels = 1, n_leases = 0, claimable = FALSE "
            f"WHERE project_id = {pid} AND position < {cutoff}"
        )
        conn.exec_driver_sql(
            "UPDATE items SET n_labels = 0, n_leases = 0, claimable = TRUE "
            f"WHERE project_id = {pid} AND position >= {cutoff}"
        )
        conn.exec_driver_sql(f"DELETE FROM leases WHERE project_id = {pid}")
    if db.dialect == "postgresql":  # a bulk UPDATE leaves dead index entries behind
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE items")


# -- measurements --------------------------------------------------------------


def bench_ingest(backend: str, url: str, n: int) -> tuple[Row, Project, int]:
    features = np.random.default_rng(0).random((n, DIM))
    db = Database(url)
    ours = new_project(db, f"ours{n}")
    t_ours = timed(lambda: ours.add_items(features, progress=False))
    raw_project = new_project(db, f"raw{n}")
    raw = Raw(url)
    t_raw = timed(lambda: raw.ingest(raw_project.record.id, features))
    raw.close()
    row = Row(backend, f"ingest {n:,} items x {DIM} floats", n / t_ours, n / t_raw, "items/s")
    return row, ours, raw_project.record.id


def _claim_submit_ours(url: str, name: str, seconds: float, annotator: str) -> int:
    with Project(url, name) as project:
        project.add_annotator(annotator)
        done, stop = 0, time.perf_counter() + seconds
        while time.perf_counter() < stop and (leases := project.claim(annotator)):
            project.submit(leases[0], "a")
            done += 1
        return done


def _claim_submit_raw(url: str, pid: int, seconds: float, annotator: str) -> int:
    with Database(url) as db:
        add_annotator(db, annotator)
        with db.read() as conn:
            who = conn.exec_driver_sql(
                f"SELECT id FROM annotators WHERE name = '{annotator}'"
            ).scalar()
    raw = Raw(url)
    done, stop = 0, time.perf_counter() + seconds
    while time.perf_counter() < stop and (claimed := raw.claim(pid, who)):
        raw.submit(pid, who, *claimed)
        done += 1
    raw.close()
    return done


def _run_workers(target: Callable[..., int], args: list[tuple[Any, ...]]) -> int:
    with mp.get_context("spawn").Pool(len(args)) as pool:
        return sum(pool.starmap(target, args))


def bench_claim_submit(backend: str, url: str, name: str, pid: int, workers: int) -> Row:
    seconds = 4.0
    ours = _run_workers(_claim_submit_ours, [(url, name, seconds, f"w{i}") for i in range(workers)])
    raw = _run_workers(_claim_submit_raw, [(url, pid, seconds, f"r{i}") for i in range(workers)])
    label = f"claim+submit, {workers} worker{'s' if workers > 1 else ''}"
    return Row(backend, label, ours / seconds, raw / seconds, "labels/s")


def bench_latency(
    backend: str, db: Database, project: Project, raw_pid: int, n: int, fraction: float
) -> list[Row]:
    mark_labelled(db, project.record.id, fraction, n)
    mark_labelled(db, raw_pid, fraction, n)
    raw, who = Raw(db.url), annotator_id(db)
    ours_ms, raw_ms = [], []
    for _ in range(1000):
        ours_ms.append(1000 * timed(lambda: project.claim("bench")))
        raw_ms.append(1000 * timed(lambda: raw.claim(raw_pid, who)))
    raw.close()
    what = f"claim latency, {n:,} items {fraction:.0%} labelled"
    return [
        Row(
            backend,
            f"{what}, p{q}",
            float(np.percentile(ours_ms, q)),
            float(np.percentile(raw_ms, q)),
            "ms",
            higher_is_better=False,
        )
        for q in (50, 99)
    ]


def bench_reorder(backend: str, db: Database, project: Project, raw_pid: int, n: int) -> Row:
    with db.read() as conn:
        ours_ids = np.array(
            conn.exec_driver_sql(f"SELECT id FROM items WHERE project_id = {project.record.id}")
            .scalars()
            .all()
        )
        raw_ids = np.array(
            conn.exec_driver_sql(f"SELECT id FROM items WHERE project_id = {raw_pid}")
            .scalars()
            .all()
        )
    values = np.random.default_rng(1).random(n)
    t_ours = timed(lambda: queue.set_priorities(db, project.record, ours_ids[:n], values))
    raw = Raw(db.url)
    t_raw = timed(lambda: raw.reorder(raw_ids[:n], values))
    raw.close()
    return Row(backend, f"reorder {n:,} priorities", t_ours, t_raw, "s", higher_is_better=False)


def run_backend(backend: str, sizes: list[int], folder: Path) -> list[Row]:
    rows: list[Row] = []
    for n in sizes:
        url = fresh_url(backend, folder)
        try:
            row, project, raw_pid = bench_ingest(backend, url, n)
            rows.append(row)
            print(f"  {backend}: ingested {n:,}", flush=True)
            rows.append(bench_reorder(backend, project.db, project, raw_pid, n))
            if n == sizes[0]:
                for workers in (1, 8):
                    mark_labelled(project.db, project.record.id, 0.0, n)
                    mark_labelled(project.db, raw_pid, 0.0, n)
                    rows.append(bench_claim_submit(backend, url, project.name, raw_pid, workers))
                    print(f"  {backend}: claim+submit x{workers}", flush=True)
            if n == sizes[-1]:
                for fraction in (0.1, 0.9):
                    rows += bench_latency(backend, project.db, project, raw_pid, n, fraction)
            project.close()
        finally:
            drop(url)
    return rows


def print_table(rows: list[Row]) -> None:
    header = f"{'backend':<11} {'measurement':<44} {'labelloop':>12} {'raw driver':>12} "
    header += f"{'unit':<9} {'vs raw':>7}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.backend:<11} {r.what:<44} {r.ours:>12,.2f} {r.raw:>12,.2f} {r.unit:<9} "
            f"{r.ratio:>6.2f}x"
        )
    print("\n'vs raw' = labelloop's speed as a share of the raw driver's (1.00x = no overhead).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k items only")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    args = parser.parse_args()
    sizes = [20_000, 100_000] if args.quick else [100_000, 1_000_000]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends.split(","):
            rows += run_backend(backend, sizes, Path(folder))
    print_table(rows)


if __name__ == "__main__":
    main()
