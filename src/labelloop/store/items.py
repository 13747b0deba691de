"""Adding items to a project and reading them back.

``add_items`` runs in one transaction however many chunks it streams: bad
input anywhere (a duplicate key, an unknown annotator) leaves the store as it
was. On SQLite that transaction holds the write lock, so labellers wait for a
large import to finish (up to the busy timeout).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from labelloop.errors import DuplicateItemError, InvalidInputError
from labelloop.store import bulk, codec, schema
from labelloop.store.codec import Encoded
from labelloop.store.engine import Database
from labelloop.store.projects import ProjectRecord, add_annotator, now
from labelloop.store.queue import record_import_labels

items, labels = schema.items, schema.labels

ON_DUPLICATE = ("error", "update", "ignore")
IMPORT_ANNOTATOR = "import"


@dataclass(frozen=True, slots=True)
class NewItem:
    """One item to add: its key (None for the next number), payload, metadata and label."""

    key: str | None
    encoded: Encoded
    meta: dict[str, Any] | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item read back: id, key, decoded value, metadata and stored kind."""

    id: int
    key: str
    value: Any
    meta: dict[str, Any] | None
    kind: str = ""


def add_items(
    db: Database,
    project: ProjectRecord,
    chunks: Iterable[Sequence[NewItem]],
    on_duplicate: str = "error",
) -> int:
    """Add items chunk by chunk in one transaction; return how many are new.

    Parameters
    ----------
    on_duplicate : {"error", "update", "ignore"}
        What a key that already exists does: fail the whole call, replace the
        stored payload and metadata (labels are kept), or leave it as it is.

    Raises
    ------
    DuplicateItemError
        With ``on_duplicate="error"``, naming keys that exist or repeat.
    """
    if on_duplicate not in ON_DUPLICATE:
        raise InvalidInputError(f"on_duplicate must be one of {ON_DUPLICATE}, not {on_duplicate!r}")
    importer = add_annotator(db, IMPORT_ANNOTATOR)
    failing: list[str] = []
    try:
        with db.write() as conn:
            before = _count(conn, project)
            positions = _Positions(conn, project, before)
            for chunk in chunks:
                rows = [_row(project, item, positions) for item in chunk]
                failing = [row["key"] for row in rows]
                _insert(conn, project, rows, chunk, on_duplicate, importer)
            conn.execute(
                sa.update(schema.projects)
                .where(schema.projects.c.id == project.id)
                .values(items_version=schema.projects.c.items_version + 1)
            )
            return _count(conn, project) - before
    except Exception as error:
        # bulk paths talk to the driver directly, so its own error types arrive too
        unique = ("IntegrityError", "UniqueViolation")
        if isinstance(error, sa.exc.IntegrityError) or type(error).__name__ in unique:
            raise _duplicate_error(db, project, failing) from None
        raise


def get_items(
    db: Database, project: ProjectRecord, keys: Sequence[str] | None = None
) -> list[StoredItem]:
    """Items by key (in the order asked; missing keys are left out) or all of them."""
    query = sa.select(items).where(items.c.project_id == project.id).order_by(items.c.position)
    with db.read() as conn:
        if keys is None:
            rows = conn.execute(query).all()
        else:
            rows = []
            for start in range(0, len(keys), 5000):
                batch = list(keys[start : start + 5000])
                rows += conn.execute(query.where(items.c.key.in_(batch))).all()
            order = {key: i for i, key in enumerate(keys)}
            rows.sort(key=lambda r: order[r.key])
    return [_stored(project, row) for row in rows]


def item_ids(db: Database, project: ProjectRecord, keys: Sequence[str]) -> dict[str, int]:
    """Map item keys to ids; keys not in the project are left out."""
    with db.read() as conn:
        return _ids_for_keys(conn, project, list(keys))


def iter_item_ids(db: Database, project: ProjectRecord) -> Iterator[tuple[int, str]]:
    """(id, key) of every item, in queue order before priorities."""
    with db.read() as conn:
        yield from conn.execute(
            sa.select(items.c.id, items.c.key)
            .where(items.c.project_id == project.id)
            .order_by(items.c.position)
        ).tuples()


class _Positions:
    """Queue positions and default keys for new items."""

    def __init__(self, conn: Connection, project: ProjectRecord, count: int) -> None:
        top = conn.execute(
            sa.select(sa.func.max(items.c.position)).where(items.c.project_id == project.id)
        ).scalar()
        self.next_position = 0 if top is None else int(top) + 1
        self.next_key = count
        random = project.settings.order == "random"
        self.rng = np.random.default_rng([project.settings.seed, count]) if random else None

    def take(self) -> tuple[int, str]:
        key = str(self.next_key)
        self.next_key += 1
        if self.rng is not None:
            return int(self.rng.integers(0, 2**62)), key
        self.next_position += 1
        return self.next_position - 1, key


def _row(project: ProjectRecord, item: NewItem, positions: _Positions) -> dict[str, Any]:
    position, default_key = positions.take()
    labelled = item.label is not None
    return {
        "project_id": project.id,
        "key": default_key if item.key is None else item.key,
        "position": position,
        "priority": 0.0,
        "kind": item.encoded.kind,
        "dtype": item.encoded.dtype,
        "shape": item.encoded.shape,
        "data": item.encoded.data,
        "content": item.encoded.content,
        "meta": item.meta,
        "n_labels": int(labelled),
        "n_leases": 0,
        "claimable": int(labelled) < project.settings.k,
        "created_at": now(),
    }


def _insert(
    conn: Connection,
    project: ProjectRecord,
    rows: list[dict[str, Any]],
    chunk: Sequence[NewItem],
    on_duplicate: str,
    importer: int,
) -> None:
    labelled = {row["key"]: item.label for row, item in zip(rows, chunk, strict=True) if item.label}
    if on_duplicate == "error":
        bulk.insert_rows(conn, items, rows)
        _insert_new_labels(conn, project, importer, labelled)
        return
    for row in rows:
        row.update(n_labels=0, claimable=True)
    conn.execute(_upsert(conn, on_duplicate), rows)
    ids = _ids_for_keys(conn, project, list(labelled))
    pairs = [(ids[key], value) for key, value in labelled.items()]
    record_import_labels(conn, project, importer, pairs)


def _upsert(conn: Connection, on_duplicate: str) -> Any:
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(items)
    target = ["project_id", "key"]
    if on_duplicate == "ignore":
        return statement.on_conflict_do_nothing(index_elements=target)
    replaced = {c: statement.excluded[c] for c in ("kind", "dtype", "shape", "data", "content")}
    replaced["meta"] = statement.excluded["meta"]
    return statement.on_conflict_do_update(index_elements=target, set_=replaced)


def _insert_new_labels(
    conn: Connection, project: ProjectRecord, importer: int, labelled: dict[str, str]
) -> None:
    if not labelled:
        return
    ids = _ids_for_keys(conn, project, list(labelled))
    created = now()
    rows = [
        {
            "project_id": project.id,
            "item_id": ids[key],
            "annotator_id": importer,
            "value": value,
            "time_taken": None,
            "created_at": created,
            "lease_id": None,
            "replaces": None,
            "current": True,
            "undone_at": None,
        }
        for key, value in labelled.items()
    ]
    bulk.insert_rows(conn, labels, rows)


def _ids_for_keys(conn: Connection, project: ProjectRecord, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), 5000):
        batch = keys[start : start + 5000]
        rows = conn.execute(
            sa.select(items.c.key, items.c.id).where(
                items.c.project_id == project.id, items.c.key.in_(batch)
            )
        )
        found.update((key, item_id) for key, item_id in rows)
    return found


def _count(conn: Connection, project: ProjectRecord) -> int:
    query = sa.select(sa.func.count()).where(items.c.project_id == project.id)
    return int(conn.execute(query).scalar() or 0)


def _duplicate_error(db: Database, project: ProjectRecord, keys: list[str]) -> DuplicateItemError:
    repeated = sorted(key for key, n in Counter(keys).items() if n > 1)
    with db.read() as conn:
        existing = sorted(_ids_for_keys(conn, project, keys)) if keys else []
    if existing:
        what = f"already exist in project {project.name!r}: {existing[:5]}"
    elif repeated:
        what = f"repeat within the items given: {repeated[:5]}"
    else:
        what = "repeat within the items given (across chunks)"
    return DuplicateItemError(
        f"item keys {what}; nothing was added. Pass on_duplicate='update' to replace them "
        "or 'ignore' to keep the stored ones."
    )


def _stored(project: ProjectRecord, row: sa.Row[Any]) -> StoredItem:
    value = codec.decode(
        row.kind, row.dtype, row.shape, row.data, row.content, project.settings.media_root
    )
    return StoredItem(row.id, row.key, value, row.meta, row.kind)
