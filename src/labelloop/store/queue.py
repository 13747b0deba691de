"""The labelling queue: leases, labels, skips, undo and priorities.

Invariants every function keeps, inside one transaction:

* ``items.n_labels`` is the number of annotators holding a current label on
  the item and ``items.n_leases`` the number of lease rows on it;
* ``items.claimable`` is ``n_labels + n_leases < k``, so claiming is a range
  scan of ``ix_items_claim`` and never hands an item out beyond ``k``;
* a label's value is never rewritten: a change is a new row that
  ``replaces`` the old one, undo marks a row ``undone_at``.

On PostgreSQL the claim locks its rows with ``FOR UPDATE SKIP LOCKED`` so
concurrent claimers pass each other; on SQLite the write lock taken by
``BEGIN IMMEDIATE`` makes the claim atomic.
"""

from __future__ import annotations

import functools
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labelloop.errors import (
    InvalidInputError,
    LeaseError,
    NothingToUndoError,
    UnknownItemError,
)
from labelloop.store import bulk, schema
from labelloop.store.engine import Database, Statement
from labelloop.store.projects import ProjectRecord, annotator_id, now

items, leases, labels, skips = schema.items, schema.leases, schema.labels, schema.skips


_INSERT_LEASE = Statement(
    "INSERT INTO leases (id, project_id, item_id, annotator_id, expires_at, created_at) "
    "VALUES (:id, :project_id, :item_id, :annotator_id, :expires_at, :created_at)"
)


@dataclass(frozen=True, slots=True)
class Lease:
    """An item reserved for one annotator until ``expires_at`` (epoch seconds)."""

    id: str
    item_id: int
    item_key: str
    annotator: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a project is.

    Attributes
    ----------
    total : int
        Items in the project.
    done : int
        Items with all ``k`` labels they need.
    labelled : int
        Items with at least one label.
    labels : int
        Current labels (one per annotator per item).
    in_progress : int
        Items leased right now.
    mine : int or None
        Current labels by the annotator asked about, if any.
    """

    total: int
    done: int
    labelled: int
    labels: int
    in_progress: int
    mine: int | None = None

    @property
    def remaining(self) -> int:
        """Items still needing a label."""
        return self.total - self.done

    @property
    def fraction(self) -> float:
        """Share of items done, 0 to 1."""
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One of an annotator's current labels."""

    label_id: int
    item_key: str
    value: str
    created_at: Any


def claim(db: Database, project: ProjectRecord, annotator: str, n: int = 1) -> list[Lease]:
    """Reserve up to ``n`` items for ``annotator``, best priority first.

    Returns fewer than ``n`` leases (possibly none) when the pool runs out.
    Items whose lease expired go back to the pool first.
    """
    if n < 1:
        raise InvalidInputError(f"n must be at least 1, got {n}")

    def work(conn: Connection) -> list[Lease]:
        clock = db.clock()
        who = _annotator(db, conn, annotator)
        if db.dialect == "postgresql":
            # A claim lost in a server crash only frees its item early: no
            # need to wait for the WAL flush. Submits stay fully durable.
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        if _sweep_due(db, project, clock):
            reclaim_expired(conn, project, clock)
        statement = _claim_statement(db.dialect, project.settings.k > 1)
        params = {"pid": project.id, "who": who, "n": n, "k": project.settings.k}
        rows = sorted(statement.run(conn, params).fetchall(), key=lambda r: (-r[2], r[3]))
        new = [_lease_row(project, item_id, who, clock) for item_id, *_ in rows]
        for lease in new:
            _INSERT_LEASE.run(conn, lease)
        return [
            Lease(lease["id"], item_id, key, annotator, lease["expires_at"])
            for lease, (item_id, key, *_) in zip(new, rows, strict=True)
        ]

    result: list[Lease] = db.transact(work)
    return result


_CLAIM_PICK = """
SELECT id FROM items
WHERE project_id = :pid AND claimable = TRUE
  AND NOT EXISTS (SELECT 1 FROM skips WHERE skips.item_id = items.id AND skips.annotator_id = :who)
  AND NOT (extra_labels > 0 AND EXISTS (SELECT 1 FROM labels WHERE labels.item_id = items.id
                                        AND labels.annotator_id = :who AND labels.current = TRUE))
  {own}
ORDER BY priority DESC, position
LIMIT :n {lock}"""
# with k == 1 a leased or labelled item is never claimable, so these only matter for k > 1
_CLAIM_NOT_OWN = """
  AND NOT EXISTS (SELECT 1 FROM leases WHERE leases.item_id = items.id
                  AND leases.annotator_id = :who)
  AND NOT EXISTS (SELECT 1 FROM labels WHERE labels.item_id = items.id
                  AND labels.annotator_id = :who AND labels.current = TRUE)"""
_CLAIM_UPDATE = """
UPDATE items SET n_leases = n_leases + 1,
                 claimable = (n_labels + n_leases + 1 < :k + extra_labels)
WHERE id IN ({pick})
RETURNING id, key, priority, position"""
_CLAIM_UPDATE_PG = """
WITH picked AS ({pick})
UPDATE items SET n_leases = items.n_leases + 1,
                 claimable = (items.n_labels + items.n_leases + 1 < :k + items.extra_labels)
FROM picked WHERE items.id = picked.id
RETURNING items.id, items.key, items.priority, items.position"""


@functools.cache
def _claim_statement(dialect: str, several_labels: bool) -> Statement:
    postgres = dialect == "postgresql"
    pick = _CLAIM_PICK.format(
        own=_CLAIM_NOT_OWN if several_labels else "",
        lock="FOR UPDATE SKIP LOCKED" if postgres else "",
    )
    return Statement((_CLAIM_UPDATE_PG if postgres else _CLAIM_UPDATE).format(pick=pick))


def _sweep_due(db: Database, project: ProjectRecord, clock: float) -> bool:
    """Whether to look for expired leases now: at most every min(1 s, lease / 4)."""
    due = db.next_sweep.get(project.id, 0.0)
    if clock < due:
        return False
    db.next_sweep[project.id] = clock + min(1.0, project.settings.lease_seconds / 4)
    return True


def submit(
    db: Database,
    project: ProjectRecord,
    lease_id: str,
    annotator: str,
    value: str,
    time_taken: float | None = None,
) -> int:
    """Store a label on a leased item and end the lease; return the label id.

    Idempotent: submitting the same lease again with the same value returns
    the first label's id and stores nothing new.

    Raises
    ------
    LeaseError
        The lease expired, is unknown, belongs to another annotator, or was
        already submitted with a different value. Nothing is stored.
    """

    def work(conn: Connection) -> int:
        who = _annotator(db, conn, annotator)
        item_id = _delete_live_lease(conn, db, project, lease_id, who)
        if item_id is None:
            previous = _label_for_lease(conn, lease_id)
            if previous is not None:
                return _idempotent_label(previous, who, value)
            raise _lease_problem(conn, lease_id, who, db.clock())
        _adjust(conn, project, item_id, d_leases=-1)
        return _record_label(conn, project, item_id, who, value, time_taken, lease_id)

    label_id: int = db.transact(work)
    return label_id


def skip(db: Database, project: ProjectRecord, lease_id: str, annotator: str) -> None:
    """Give a leased item back and never offer it to this annotator again."""

    def work(conn: Connection) -> None:
        who = _annotator(db, conn, annotator)
        item_id = _take_lease(conn, db, project, lease_id, who)
        conn.execute(
            sa.insert(skips).values(
                project_id=project.id, item_id=item_id, annotator_id=who, created_at=now()
            )
        )

    db.transact(work)


def release(db: Database, project: ProjectRecord, lease_id: str, annotator: str) -> None:
    """Give a leased item back to the pool unlabelled."""
    db.transact(
        lambda conn: _take_lease(conn, db, project, lease_id, _annotator(db, conn, annotator))
    )


def extend(
    db: Database,
    project: ProjectRecord,
    lease_id: str,
    annotator: str,
    seconds: float | None = None,
) -> float:
    """Heartbeat: push a live lease's expiry to ``seconds`` from now; return it."""

    def work(conn: Connection) -> float:
        who = _annotator(db, conn, annotator)
        clock = db.clock()
        expires = clock + (seconds or project.settings.lease_seconds)
        updated = conn.execute(
            sa.update(leases)
            .where(_live_lease(lease_id, project, who, clock))
            .values(expires_at=expires)
        )
        if updated.rowcount != 1:
            raise _lease_problem(conn, lease_id, who, clock)
        return expires

    result: float = db.transact(work)
    return result


def undo(db: Database, project: ProjectRecord, annotator: str) -> Lease:
    """Undo the annotator's own last label and lease its item back to them.

    If that label had replaced an earlier one of theirs, the earlier one is
    current again. Other annotators' labels are never touched.

    Raises
    ------
    NothingToUndoError
        If the annotator has no current label in the project.
    """

    def work(conn: Connection) -> Lease:
        who = _annotator(db, conn, annotator)
        last = conn.execute(
            sa.select(labels.c.id, labels.c.item_id, labels.c.replaces)
            .where(_own_current(project, who))
            .order_by(labels.c.id.desc())
            .limit(1)
        ).first()
        if last is None:
            raise NothingToUndoError(f"{annotator} has no label in {project.name!r} to undo")
        _retire(conn, last.id, undone=True)
        if last.replaces is not None:
            _make_current(conn, last.replaces)
        d_labels = 0 if last.replaces is not None else -1
        return _lease_again(conn, db, project, last.item_id, who, annotator, d_labels)

    lease: Lease = db.transact(work)
    return lease


def relabel(db: Database, project: ProjectRecord, annotator: str, item_key: str, value: str) -> int:
    """Change the annotator's own label on an item: a new row replaces the old."""

    def work(conn: Connection) -> int:
        who = _annotator(db, conn, annotator)
        item_id = item_id_for_key(conn, project, item_key)
        if _current_label(conn, item_id, who) is None:
            raise InvalidInputError(
                f"{annotator} has no label on item {item_key!r} to change; label it first"
            )
        return _record_label(conn, project, item_id, who, value, None, None)

    label_id: int = db.transact(work)
    return label_id


def requeue(db: Database, project: ProjectRecord, item_ids: Sequence[int]) -> int:
    """Ask for one more label on each item, from an annotator who has not labelled it."""

    def work(conn: Connection) -> int:
        for item_id in sorted(set(item_ids)):
            conn.execute(
                sa.update(items)
                .where(items.c.id == item_id, items.c.project_id == project.id)
                .values(extra_labels=items.c.extra_labels + 1)
            )
            _adjust(conn, project, item_id)
        return len(set(item_ids))

    n: int = db.transact(work)
    return n


def current_value(
    db: Database, project: ProjectRecord, annotator: str, item_key: str
) -> str | None:
    """The annotator's current label (stored text) on item ``item_key``, or None."""
    with db.read() as conn:
        who = _annotator(db, conn, annotator)
        found = _current_label(conn, item_id_for_key(conn, project, item_key), who)
    return None if found is None else found[1]


def history(
    db: Database, project: ProjectRecord, annotator: str, limit: int = 50, offset: int = 0
) -> list[HistoryEntry]:
    """The annotator's current labels in the project, newest first."""
    with db.read() as conn:
        who = _annotator(db, conn, annotator)
        rows = conn.execute(
            sa.select(labels.c.id, items.c.key, labels.c.value, labels.c.created_at)
            .join(items, items.c.id == labels.c.item_id)
            .where(_own_current(project, who))
            .order_by(labels.c.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
    return [HistoryEntry(r.id, r.key, r.value, r.created_at) for r in rows]


def set_priorities(
    db: Database, project: ProjectRecord, item_ids: np.ndarray, priorities: np.ndarray
) -> int:
    """Write many priorities in one atomic bulk update (higher is labelled sooner).

    Raises
    ------
    InvalidInputError
        On mismatched lengths, non-finite priorities, or ids that are not
        items of the project; no priority is changed then.
    """
    ids = np.asarray(item_ids, dtype=np.int64)
    values = np.asarray(priorities, dtype=np.float64)
    if ids.shape != values.shape or ids.ndim != 1:
        raise InvalidInputError(
            f"item_ids {ids.shape} and priorities {values.shape} must be 1-D and equal length"
        )
    if not np.isfinite(values).all():
        raise InvalidInputError("priorities must be finite numbers (no NaN or inf)")
    if len(np.unique(ids)) != len(ids):
        raise InvalidInputError("item_ids repeat: give each item one priority")

    def work(conn: Connection) -> int:
        updated = bulk.update_priorities(conn, project.id, ids, values)
        if updated != len(ids):
            raise InvalidInputError(
                f"{len(ids) - updated} item ids are not items of project {project.name!r}"
            )
        return updated

    n: int = db.transact(work)
    return n


def progress(db: Database, project: ProjectRecord, annotator: str | None = None) -> Progress:
    """Counts for a progress bar, each read from an index."""
    pid, k = project.id, project.settings.k
    count = sa.func.count()
    with db.read() as conn:
        total = _scalar(conn, sa.select(count).where(items.c.project_id == pid))
        done = _count_items(conn, pid, k)
        labelled = _count_items(conn, pid, 1)
        current = sa.and_(labels.c.project_id == pid, labels.c.current == sa.true())
        n_labels = _scalar(conn, sa.select(count).where(current))
        live = sa.and_(leases.c.project_id == pid, leases.c.expires_at >= db.clock())
        leased = _scalar(conn, sa.select(sa.func.count(sa.distinct(leases.c.item_id))).where(live))
        mine = None
        if annotator is not None:
            who = _annotator(db, conn, annotator)
            mine = _scalar(conn, sa.select(count).where(_own_current(project, who)))
    return Progress(total, done, labelled, n_labels, leased, mine)


_DELETE_EXPIRED = Statement(
    "DELETE FROM leases WHERE project_id = :pid AND expires_at < :now RETURNING item_id"
)


def reclaim_expired(conn: Connection, project: ProjectRecord, clock: float) -> int:
    """Delete expired leases of the project and put their items back; return how many."""
    expired = [r[0] for r in _DELETE_EXPIRED.run(conn, {"pid": project.id, "now": clock})]
    for item_id, n in sorted(Counter(expired).items()):
        _adjust(conn, project, item_id, d_leases=-n)
    return len(expired)


def item_id_for_key(conn: Connection, project: ProjectRecord, key: str) -> int:
    """The id of item ``key`` in the project, or UnknownItemError."""
    found = conn.execute(
        sa.select(items.c.id).where(items.c.project_id == project.id, items.c.key == key)
    ).scalar()
    if found is None:
        raise UnknownItemError(f"no item {key!r} in project {project.name!r}")
    return int(found)


def record_import_labels(
    conn: Connection, project: ProjectRecord, who: int, pairs: Sequence[tuple[int, str]]
) -> None:
    """Store labels for items already in the store (on re-import), one by one."""
    for item_id, value in pairs:
        current = _current_label(conn, item_id, who)
        if current is None or current[1] != value:
            _record_label(conn, project, item_id, who, value, None, None)


# -- internals ---------------------------------------------------------------


_ADJUST = Statement(
    "UPDATE items SET n_labels = n_labels + :dl, n_leases = n_leases + :dn, "
    "claimable = (n_labels + n_leases + :dl + :dn < :k + extra_labels) WHERE id = :item"
)


def _adjust(
    conn: Connection, project: ProjectRecord, item_id: int, d_labels: int = 0, d_leases: int = 0
) -> None:
    params = {"dl": d_labels, "dn": d_leases, "k": project.settings.k, "item": item_id}
    _ADJUST.run(conn, params)


def _annotator(db: Database, conn: Connection, name: str) -> int:
    cached = db.annotator_ids.get(name)
    if cached is None:
        cached = annotator_id(conn, name)
        assert cached is not None
        db.annotator_ids[name] = cached
    return cached


def _lease_row(project: ProjectRecord, item_id: int, who: int, clock: float) -> dict[str, Any]:
    return {
        "id": secrets.token_hex(16),
        "project_id": project.id,
        "item_id": item_id,
        "annotator_id": who,
        "expires_at": clock + project.settings.lease_seconds,
        "created_at": clock,
    }


def _live_lease(lease_id: str, project: ProjectRecord, who: int, clock: float) -> Any:
    return sa.and_(
        leases.c.id == lease_id,
        leases.c.project_id == project.id,
        leases.c.annotator_id == who,
        leases.c.expires_at >= clock,
    )


_DELETE_LIVE_LEASE = Statement(
    "DELETE FROM leases WHERE id = :lease AND project_id = :pid AND annotator_id = :who "
    "AND expires_at >= :now RETURNING item_id"
)


def _delete_live_lease(
    conn: Connection, db: Database, project: ProjectRecord, lease_id: str, who: int
) -> int | None:
    params = {"lease": lease_id, "pid": project.id, "who": who, "now": db.clock()}
    row = _DELETE_LIVE_LEASE.run(conn, params).fetchone()
    return None if row is None else int(row[0])


def _take_lease(
    conn: Connection, db: Database, project: ProjectRecord, lease_id: str, who: int
) -> int:
    item_id = _delete_live_lease(conn, db, project, lease_id, who)
    if item_id is None:
        raise _lease_problem(conn, lease_id, who, db.clock())
    _adjust(conn, project, item_id, d_leases=-1)
    return item_id


def _lease_problem(conn: Connection, lease_id: str, who: int, clock: float) -> LeaseError:
    row = conn.execute(sa.select(leases).where(leases.c.id == lease_id)).first()
    if row is None:
        return LeaseError(
            f"lease {lease_id} is unknown or has ended (expired and reclaimed, or already "
            "used); claim the item again"
        )
    if row.annotator_id != who:
        return LeaseError(f"lease {lease_id} belongs to another annotator")
    if row.expires_at < clock:
        return LeaseError(
            f"lease {lease_id} expired {clock - row.expires_at:.0f} s ago; claim the item again"
        )
    return LeaseError(f"lease {lease_id} belongs to another project")


def _label_for_lease(conn: Connection, lease_id: str) -> Any:
    return conn.execute(
        sa.select(labels.c.id, labels.c.annotator_id, labels.c.value).where(
            labels.c.lease_id == lease_id
        )
    ).first()


def _idempotent_label(previous: sa.Row[Any], who: int, value: str) -> int:
    if previous.annotator_id != who:
        raise LeaseError("that lease was submitted by another annotator")
    if previous.value != value:
        raise LeaseError(
            f"that lease was already submitted with label {previous.value!r}; "
            "to change it, use relabel"
        )
    return int(previous.id)


_INSERT_LABEL = Statement(
    "INSERT INTO labels (project_id, item_id, annotator_id, value, time_taken, created_at, "
    "lease_id, replaces, current) VALUES (:pid, :item, :who, :value, :taken, :created, "
    ":lease, :replaces, TRUE) RETURNING id"
)


def _record_label(
    conn: Connection,
    project: ProjectRecord,
    item_id: int,
    who: int,
    value: str,
    time_taken: float | None,
    lease_id: str | None,
) -> int:
    current = _current_label(conn, item_id, who)
    if current is not None:
        _retire(conn, current[0], undone=False)
    else:
        _adjust(conn, project, item_id, d_labels=1)
    params = {
        "pid": project.id,
        "item": item_id,
        "who": who,
        "value": value,
        "taken": time_taken,
        "created": now(),
        "lease": lease_id,
        "replaces": None if current is None else current[0],
    }
    return int(_INSERT_LABEL.run(conn, params).fetchone()[0])


_CURRENT_LABEL = Statement(
    "SELECT id, value FROM labels WHERE item_id = :item AND annotator_id = :who AND current = TRUE"
)


def _current_label(conn: Connection, item_id: int, who: int) -> tuple[int, str] | None:
    row = _CURRENT_LABEL.run(conn, {"item": item_id, "who": who}).fetchone()
    return None if row is None else (int(row[0]), row[1])


def _own_current(project: ProjectRecord, who: int) -> Any:
    return sa.and_(
        labels.c.annotator_id == who,
        labels.c.project_id == project.id,
        labels.c.current == sa.true(),
    )


def _retire(conn: Connection, label_id: int, undone: bool) -> None:
    values: dict[str, Any] = {"current": False}
    if undone:
        values["undone_at"] = now()
    conn.execute(sa.update(labels).where(labels.c.id == label_id).values(values))


def _make_current(conn: Connection, label_id: int) -> None:
    conn.execute(sa.update(labels).where(labels.c.id == label_id).values(current=True))


def _lease_again(
    conn: Connection,
    db: Database,
    project: ProjectRecord,
    item_id: int,
    who: int,
    annotator: str,
    d_labels: int,
) -> Lease:
    clock = db.clock()
    row = _lease_row(project, item_id, who, clock)
    conn.execute(sa.insert(leases).values(row))
    _adjust(conn, project, item_id, d_labels=d_labels, d_leases=1)
    key = conn.execute(sa.select(items.c.key).where(items.c.id == item_id)).scalar_one()
    return Lease(row["id"], item_id, key, annotator, row["expires_at"])


def _count_items(conn: Connection, project_id: int, min_labels: int) -> int:
    return _scalar(
        conn,
        sa.select(sa.func.count()).where(
            items.c.project_id == project_id, items.c.n_labels >= min_labels
        ),
    )


def _scalar(conn: Connection, statement: sa.Select[Any]) -> int:
    return int(conn.execute(statement).scalar() or 0)
