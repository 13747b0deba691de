"""A small store with everything the data API serves, built through the real API.

Project ``demo`` (k = 2) has text items (one holds ``<script>``, one unicode,
one the characters LIKE and GLOB treat as wildcards), three array items
(binary payloads), labels from three annotators with repeated values, a
changed label, an undone label, missing ``time_taken`` values and a model
run with predictions whose confidences repeat. Project ``other`` has its own
items and labels, so scoping by project is tested. Expectations in tests are
read back from the store itself, not written down by hand.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from labelloop import Project
from labelloop.store import Database, bulk, schema
from labelloop.store.projects import ProjectRecord, get_project
from labelloop.store.runs import RunResult, write_run

OPTIONS = ["cat", "dog", "bird"]
SPECIAL = ["<script>alert('x')</script>", "naïve ☃ ünïcode", "100% _done_ [x]*?"]
TEXTS = [f"text {i}" for i in range(24)] + SPECIAL
KEYS = [f"t{i:02d}" for i in range(len(TEXTS))]
ARRAY_KEYS = ["arr0", "arr1", "arr2"]


@dataclass
class Built:
    """The store and its two projects."""

    db: Database
    demo: ProjectRecord
    other: ProjectRecord


def value_for(i: int, who: str) -> str:
    """A label value with plenty of repeats (so sorting by value has ties)."""
    return OPTIONS[(i + len(who)) % 3]


def populate(db: Database, other_project: bool = True) -> Built:
    """Fill an empty store with the two projects described above (or ``demo`` alone)."""
    demo = Project(db, "demo", options=OPTIONS, k=2)
    meta = [{"n": i, "group": "even" if i % 2 == 0 else "odd"} for i in range(len(TEXTS))]
    demo.add_items(TEXTS, ids=KEYS, metadata=meta, progress=False)
    demo.add_items(np.arange(12, dtype=np.float32).reshape(3, 4), ids=ARRAY_KEYS, progress=False)
    for who, n in (("alice", 20), ("bob", 15), ("carol", 6)):
        demo.add_annotator(who)
        for i, lease in enumerate(demo.claim(who, n=n)):
            taken = None if i % 4 == 0 else float(i % 3)
            demo.submit(lease, value_for(i, who), time_taken=taken)
    demo.relabel("alice", "t03", "bird")
    demo.release(demo.undo("bob"))
    _predict(db, demo.record)
    if not other_project:
        return Built(db, get_project(db, "demo"), get_project(db, "demo"))
    other = Project(db, "other", options=["x", "y"])
    other.add_items(["o1", "o2", "o3"], progress=False)
    other.add_annotator("dave")
    for lease in other.claim("dave", n=2):
        other.submit(lease, "x")
    return Built(db, get_project(db, "demo"), get_project(db, "other"))


def _predict(db: Database, project: ProjectRecord) -> None:
    with db.read() as conn:
        ids = conn.execute(
            sa.select(schema.items.c.id)
            .where(schema.items.c.project_id == project.id)
            .order_by(schema.items.c.id)
        ).scalars()
        item_ids = np.array(list(ids), dtype=np.int64)
    n = len(item_ids)
    result = RunResult(
        n_labels=30,
        score=0.75,
        details={"note": "test run"},
        model=None,
        item_ids=item_ids,
        predicted=[OPTIONS[i % 3] for i in range(n)],
        confidence=np.array([(i % 5) / 5 for i in range(n)], dtype=np.float64),
        pool_ids=np.array([], dtype=np.int64),
        priorities=np.array([], dtype=np.float64),
    )
    write_run(db, project, result)


def add_many_labels(db: Database, project: ProjectRecord, n: int) -> None:
    """Append ``n`` labels to the project's first item, in bulk (for tables with many rows)."""
    with db.read() as conn:
        item = conn.execute(
            sa.select(sa.func.min(schema.items.c.id)).where(schema.items.c.project_id == project.id)
        ).scalar()
        who = conn.execute(sa.select(sa.func.min(schema.annotators.c.id))).scalar()
    created = "2024-01-01 00:00:00.000000" if db.dialect == "sqlite" else "2024-01-01T00:00:00Z"
    current = 0 if db.dialect == "sqlite" else False
    rows = (
        (project.id, item, who, OPTIONS[i % 3], float(i % 7), created, current) for i in range(n)
    )
    columns = ["project_id", "item_id", "annotator_id", "value", "time_taken", "created_at"]
    db.transact(lambda conn: bulk.insert_tuples(conn, "labels", [*columns, "current"], rows))


def fingerprint(db: Database) -> tuple[Any, ...]:
    """Everything a write could change: row counts and contents of every table."""
    tables = ("projects", "annotators", "items", "labels", "predictions", "model_runs", "leases")
    with db.read() as conn:
        found: list[Any] = [db.changes()]
        for name in tables:
            table = schema.metadata.tables[name]
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            found.append((name, [tuple(map(str, row)) for row in rows]))
    return tuple(found)


def store_urls(kind: str, folder: Path, pg_database: str | None) -> str:
    """A fresh store URL for ``kind``: a SQLite file or a PostgreSQL schema."""
    if kind == "sqlite":
        return f"sqlite:///{folder / f'store-{secrets.token_hex(3)}.db'}"
    from tests.conftest import fresh_pg_schema

    assert pg_database is not None
    return fresh_pg_schema(pg_database)


def drop_reader_roles(pg_database: str) -> None:
    """Drop the per-store reader roles the tests made (roles outlive databases).

    A role that still has privileges in another database (a live store) is
    left alone: dropping it fails and is ignored.
    """
    import psycopg

    with psycopg.connect(pg_database, autocommit=True) as conn:
        roles = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'labelloop\\_reader\\_%'"
        ).fetchall()
        for (role,) in roles:
            with contextlib.suppress(psycopg.Error):
                conn.execute(f'DROP OWNED BY "{role}"')
                conn.execute(f'DROP ROLE "{role}"')


def built_store(url: str, other_project: bool = True) -> Iterator[Built]:
    """Open, populate and finally close a store."""
    db = Database(url)
    try:
        yield populate(db, other_project)
    finally:
        db.dispose()
