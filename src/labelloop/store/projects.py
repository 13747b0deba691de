"""Projects and annotators: creating, finding and listing them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labelloop.errors import InvalidInputError, UnknownAnnotatorError, UnknownProjectError
from labelloop.store import schema
from labelloop.store.engine import Database

ORDERS = ("insertion", "random")


@dataclass(frozen=True)
class ProjectSettings:
    """How a project labels: its options and queue rules.

    Parameters
    ----------
    options : list
        The classes a label may take (str, int or bool). Empty for free text.
    multilabel : bool
        Whether one item may carry several options at once.
    allow_other : bool
        Whether a free-text label outside ``options`` is accepted.
    k : int
        Labels wanted per item, each from a different annotator.
    lease_seconds : float
        How long a claimed item stays reserved without a heartbeat.
    order : {"insertion", "random"}
        Queue order before any priorities are set.
    seed : int
        Seed of the random order.
    media_root : Path, optional
        Folder media file paths are stored relative to, and served from.
    extra : dict
        Free-form settings later parts keep here.
    """

    options: list[Any] = field(default_factory=list)
    multilabel: bool = False
    allow_other: bool = False
    k: int = 1
    lease_seconds: float = 600.0
    order: str = "insertion"
    seed: int = 0
    media_root: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """Raise :class:`InvalidInputError` naming the first bad setting."""
        if self.k < 1:
            raise InvalidInputError(f"k must be at least 1 (labels per item), got {self.k}")
        if self.lease_seconds <= 0:
            raise InvalidInputError(f"lease_seconds must be positive, got {self.lease_seconds}")
        if self.order not in ORDERS:
            raise InvalidInputError(f"order must be one of {ORDERS}, got {self.order!r}")
        _validate_options(self.options)


@dataclass(frozen=True)
class ProjectRecord:
    """A project row: its id, name and settings."""

    id: int
    name: str
    settings: ProjectSettings


def _validate_options(options: list[Any]) -> None:
    for option in options:
        if not isinstance(option, str | int | bool):
            raise InvalidInputError(
                f"label option {option!r} is a {type(option).__name__}: options must be "
                "str, int or bool"
            )
    as_text = [str(o) for o in options]
    if len(set(as_text)) != len(as_text):
        repeated = sorted({t for t in as_text if as_text.count(t) > 1})
        raise InvalidInputError(f"label options repeat: {repeated}")


def now() -> dt.datetime:
    """The current UTC time, for created_at columns."""
    return dt.datetime.now(dt.UTC)


def create_project(db: Database, name: str, settings: ProjectSettings) -> ProjectRecord:
    """Create a project; raise InvalidInputError if the name is taken."""
    if not name or len(name) > 200:
        raise InvalidInputError("a project name must have 1 to 200 characters")
    settings.validate()

    def insert(conn: Connection) -> int:
        if _find(conn, name) is not None:
            raise InvalidInputError(f"project {name!r} already exists")
        row = _settings_row(settings) | {"name": name, "created_at": now()}
        result = conn.execute(sa.insert(schema.projects).values(row))
        return _new_id(result)

    return ProjectRecord(db.transact(insert), name, settings)


def get_project(db: Database, name: str) -> ProjectRecord:
    """Find a project by name, or raise UnknownProjectError listing the known ones."""
    with db.read() as conn:
        row = _find(conn, name)
        if row is None:
            known = conn.execute(sa.select(schema.projects.c.name)).scalars().all()
    if row is None:
        hint = f"known projects: {sorted(known)}" if known else "the store has no projects"
        raise UnknownProjectError(
            f"no project {name!r} in this store ({hint}); create it by giving options"
        )
    return _record(row)


def list_projects(db: Database) -> list[ProjectRecord]:
    """Every project in the store, oldest first."""
    with db.read() as conn:
        rows = conn.execute(sa.select(schema.projects).order_by(schema.projects.c.id)).all()
    return [_record(row) for row in rows]


def update_extra(db: Database, project: ProjectRecord, extra: dict[str, Any]) -> None:
    """Replace a project's free-form settings."""
    db.transact(
        lambda conn: conn.execute(
            sa.update(schema.projects)
            .where(schema.projects.c.id == project.id)
            .values(settings=extra)
        )
    )


def add_annotator(db: Database, name: str) -> int:
    """Create an annotator (or return the existing one's id)."""
    if not name or len(name) > 200 or name != name.strip():
        raise InvalidInputError(
            f"annotator name {name!r} must have 1 to 200 characters and no outer spaces"
        )

    def insert(conn: Connection) -> int:
        existing = annotator_id(conn, name, missing_ok=True)
        if existing is not None:
            return existing
        result = conn.execute(sa.insert(schema.annotators).values(name=name, created_at=now()))
        return _new_id(result)

    return int(db.transact(insert))


def annotator_id(conn: Connection, name: str, missing_ok: bool = False) -> int | None:
    """The id of annotator ``name``; raise UnknownAnnotatorError unless ``missing_ok``."""
    found = conn.execute(
        sa.select(schema.annotators.c.id).where(schema.annotators.c.name == name)
    ).scalar()
    if found is None and not missing_ok:
        raise UnknownAnnotatorError(
            f"no annotator {name!r}; add one first with project.add_annotator({name!r}) "
            f"or `labelloop annotator add DB {name}`"
        )
    return None if found is None else int(found)


def list_annotators(db: Database) -> list[str]:
    """Names of every annotator in the store."""
    with db.read() as conn:
        names = conn.execute(
            sa.select(schema.annotators.c.name).order_by(schema.annotators.c.id)
        ).scalars()
        return list(names)


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _find(conn: Connection, name: str) -> sa.Row[Any] | None:
    return conn.execute(sa.select(schema.projects).where(schema.projects.c.name == name)).first()


def _settings_row(settings: ProjectSettings) -> dict[str, Any]:
    return {
        "options": list(settings.options),
        "multilabel": settings.multilabel,
        "allow_other": settings.allow_other,
        "k": settings.k,
        "lease_seconds": settings.lease_seconds,
        "order_by": settings.order,
        "seed": settings.seed,
        "media_root": None if settings.media_root is None else str(settings.media_root),
        "settings": dict(settings.extra),
    }


def _record(row: sa.Row[Any]) -> ProjectRecord:
    settings = ProjectSettings(
        options=list(row.options),
        multilabel=row.multilabel,
        allow_other=row.allow_other,
        k=row.k,
        lease_seconds=row.lease_seconds,
        order=row.order_by,
        seed=row.seed,
        media_root=None if row.media_root is None else Path(row.media_root),
        extra=dict(row.settings or {}),
    )
    return ProjectRecord(row.id, row.name, settings)
