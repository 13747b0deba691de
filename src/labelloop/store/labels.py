"""Reading labels back: per annotation, and per item."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from labelloop.store import schema
from labelloop.store.engine import Database
from labelloop.store.projects import ProjectRecord

items, labels, annotators = schema.items, schema.labels, schema.annotators

LABEL_COLUMNS = (
    "label_id",
    "item_key",
    "annotator",
    "value",
    "time_taken",
    "created_at",
    "current",
    "replaces",
    "undone_at",
)


def label_rows(
    db: Database, project: ProjectRecord, history: bool = False, batch: int = 10_000
) -> Iterator[dict[str, Any]]:
    """Every current label (or every label ever, with ``history``), oldest first."""
    query = (
        sa.select(
            labels.c.id.label("label_id"),
            items.c.key.label("item_key"),
            annotators.c.name.label("annotator"),
            labels.c.value,
            labels.c.time_taken,
            labels.c.created_at,
            labels.c.current,
            labels.c.replaces,
            labels.c.undone_at,
        )
        .join(items, items.c.id == labels.c.item_id)
        .join(annotators, annotators.c.id == labels.c.annotator_id)
        .where(labels.c.project_id == project.id)
        .order_by(labels.c.id)
    )
    if not history:
        query = query.where(labels.c.current == sa.true())
    with db.read() as conn:
        result = conn.execution_options(yield_per=batch).execute(query)
        for row in result.mappings():
            yield dict(row)


def item_rows(
    db: Database, project: ProjectRecord, batch: int = 10_000
) -> Iterator[dict[str, Any]]:
    """(id, key, kind, meta, n_labels, priority) of every item, in queue order."""
    query = (
        sa.select(
            items.c.id,
            items.c.key,
            items.c.kind,
            items.c.meta,
            items.c.n_labels,
            items.c.priority,
        )
        .where(items.c.project_id == project.id)
        .order_by(items.c.position)
    )
    with db.read() as conn:
        result = conn.execution_options(yield_per=batch).execute(query)
        for row in result.mappings():
            yield dict(row)
