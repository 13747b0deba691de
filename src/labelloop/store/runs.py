"""What model training reads from the store and writes back.

Reading happens in short read transactions, so labellers never wait on a
model; everything a retrain produces (the run row, the model, predictions,
priorities) is written in one transaction, so a crash part-way leaves the
previous run's priorities in place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labelloop.errors import InvalidInputError
from labelloop.store import bulk, codec, schema
from labelloop.store.engine import Database, Statement
from labelloop.store.projects import ProjectRecord, now

items, labels, runs = schema.items, schema.labels, schema.model_runs
predictions, blobs = schema.predictions, schema.model_blobs
KEEP_MODELS = 3


@dataclass(frozen=True)
class Payloads:
    """A chunk of items: ids, keys and decoded payloads (a matrix when they stack)."""

    ids: np.ndarray
    keys: list[str]
    values: Any


@dataclass(frozen=True)
class RunResult:
    """Everything one retrain writes, in one transaction."""

    n_labels: int
    score: float | None
    details: dict[str, Any]
    model: bytes | None
    item_ids: np.ndarray  # every item predicted
    predicted: Sequence[str]
    confidence: np.ndarray
    pool_ids: np.ndarray  # items still needing labels, and their new priorities
    priorities: np.ndarray


def current_label_values(db: Database, project: ProjectRecord) -> dict[int, list[str]]:
    """Current label values per item id (one per annotator)."""
    query = sa.select(labels.c.item_id, labels.c.value).where(
        labels.c.project_id == project.id, labels.c.current == sa.true()
    )
    grouped: defaultdict[int, list[str]] = defaultdict(list)
    with db.read() as conn:
        for item_id, value in conn.execute(query):
            grouped[int(item_id)].append(value)
    return dict(grouped)


def max_label_id(db: Database, project: ProjectRecord) -> int:
    """The newest label row's id (0 if none): a cheap 'labels since' marker."""
    query = sa.select(sa.func.max(labels.c.id)).where(labels.c.project_id == project.id)
    with db.read() as conn:
        return int(conn.execute(query).scalar() or 0)


def labels_since(db: Database, project: ProjectRecord, marker: int) -> int:
    """How many label rows of the project are newer than label id ``marker``."""
    query = sa.select(sa.func.count()).where(
        labels.c.project_id == project.id, labels.c.id > marker
    )
    with db.read() as conn:
        return int(conn.execute(query).scalar() or 0)


def items_version(db: Database, project: ProjectRecord) -> int:
    """A counter bumped by every add_items call on the project."""
    query = sa.select(schema.projects.c.items_version).where(schema.projects.c.id == project.id)
    with db.read() as conn:
        return int(conn.execute(query).scalar() or 0)


def iter_payloads(
    db: Database,
    project: ProjectRecord,
    item_ids: Sequence[int] | None = None,
    chunk_size: int = 10_000,
) -> Iterator[Payloads]:
    """Decoded items in chunks: the given ids, or every item, in id order.

    Array items that share dtype and shape arrive as one 2-D matrix per
    chunk (each item flattened), built straight from the stored bytes.
    """
    columns = [items.c.id, items.c.key, items.c.kind, items.c.dtype, items.c.shape]
    columns += [items.c.data, items.c.content]
    base = sa.select(*columns).where(items.c.project_id == project.id).order_by(items.c.id)
    with db.read() as conn:
        if item_ids is None:
            result = conn.execution_options(yield_per=chunk_size).execute(base)
            for rows in result.partitions():
                yield _payloads(project, rows)
            return
        wanted = sorted(set(int(i) for i in item_ids))
        for start in range(0, len(wanted), chunk_size):
            batch = wanted[start : start + chunk_size]
            rows = conn.execute(base.where(items.c.id.in_(batch))).all()
            yield _payloads(project, rows)


def _payloads(project: ProjectRecord, rows: Sequence[Any]) -> Payloads:
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    keys = [r[1] for r in rows]
    first = rows[0] if rows else None
    uniform = first is not None and all(
        r[2] == "ndarray" and r[3] == first[3] and r[4] == first[4] for r in rows
    )
    if uniform and first is not None:
        dtype = codec.decode("ndarray", first[3], "0", b"", None).dtype
        matrix = np.frombuffer(b"".join(r[5] for r in rows), dtype=dtype).reshape(len(rows), -1)
        return Payloads(ids, keys, matrix)
    root = project.settings.media_root
    values = [codec.decode(r[2], r[3], r[4], r[5], r[6], root) for r in rows]
    return Payloads(ids, keys, values)


_POOL_IDS = Statement(
    "SELECT id FROM items WHERE project_id = :pid AND n_labels < :k + extra_labels ORDER BY id"
)


def pool_ids(db: Database, project: ProjectRecord) -> np.ndarray:
    """Ids of items that still need labels (fewer than k + extra), in id order."""
    params = {"pid": project.id, "k": project.settings.k}
    with db.read() as conn:
        rows = _POOL_IDS.run(conn, params).fetchall()
    return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))


def previous_predictions(
    db: Database, project: ProjectRecord, item_ids: Sequence[int]
) -> dict[int, str]:
    """The latest run's predicted label for each of ``item_ids`` that has one."""
    query = sa.select(predictions.c.item_id, predictions.c.label).where(
        predictions.c.project_id == project.id
    )
    found: dict[int, str] = {}
    wanted = [int(i) for i in item_ids]
    with db.read() as conn:
        for start in range(0, len(wanted), 5000):
            batch = query.where(predictions.c.item_id.in_(wanted[start : start + 5000]))
            found.update((int(i), label) for i, label in conn.execute(batch))
    return found


def write_run(db: Database, project: ProjectRecord, result: RunResult) -> int:
    """Record a run and apply its predictions and priorities, atomically; return its id."""
    n = len(result.item_ids)
    if not (len(result.predicted) == len(result.confidence) == n):
        raise InvalidInputError("a run needs one prediction and confidence per item")
    if len(result.pool_ids) != len(result.priorities):
        raise InvalidInputError("a run needs one priority per pool item")

    def work(conn: Connection) -> int:
        run_id = _insert_run(conn, project, result)
        if result.model is not None:
            conn.execute(
                sa.insert(blobs).values(run_id=run_id, project_id=project.id, data=result.model)
            )
            _prune_models(conn, project)
        _replace_predictions(conn, project, run_id, result)
        if len(result.pool_ids):
            bulk.update_priorities(conn, project.id, result.pool_ids, result.priorities)
        return run_id

    run_id: int = db.transact(work)
    return run_id


def _insert_run(conn: Connection, project: ProjectRecord, result: RunResult) -> int:
    inserted = conn.execute(
        sa.insert(runs).values(
            project_id=project.id,
            created_at=now(),
            n_labels=result.n_labels,
            score=result.score,
            details=result.details,
        )
    )
    key = inserted.inserted_primary_key
    assert key is not None
    return int(key[0])


def _prune_models(conn: Connection, project: ProjectRecord) -> None:
    keep = (
        sa.select(blobs.c.run_id)
        .where(blobs.c.project_id == project.id)
        .order_by(blobs.c.run_id.desc())
        .limit(KEEP_MODELS)
    )
    conn.execute(
        sa.delete(blobs).where(
            blobs.c.project_id == project.id, blobs.c.run_id.not_in(keep.scalar_subquery())
        )
    )


def _replace_predictions(
    conn: Connection, project: ProjectRecord, run_id: int, result: RunResult
) -> None:
    conn.execute(sa.delete(predictions).where(predictions.c.project_id == project.id))
    pid = project.id
    rows = zip(
        result.item_ids.tolist(),
        [pid] * len(result.item_ids),
        [run_id] * len(result.item_ids),
        result.predicted,
        result.confidence.tolist(),
        strict=True,
    )
    columns = ["item_id", "project_id", "run_id", "label", "confidence"]
    bulk.insert_tuples(conn, "predictions", columns, rows)


def list_runs(db: Database, project: ProjectRecord) -> list[dict[str, Any]]:
    """Every model run of the project, oldest first."""
    query = sa.select(runs).where(runs.c.project_id == project.id).order_by(runs.c.id)
    with db.read() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def model_bytes(db: Database, project: ProjectRecord, run_id: int | None = None) -> bytes | None:
    """The stored model of a run (the latest kept one by default), or None."""
    query = sa.select(blobs.c.data).where(blobs.c.project_id == project.id)
    query = query.where(blobs.c.run_id == run_id) if run_id is not None else query
    with db.read() as conn:
        data = conn.execute(query.order_by(blobs.c.run_id.desc()).limit(1)).scalar()
    return None if data is None else bytes(data)
