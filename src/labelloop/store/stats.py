"""Numbers for the admin overview: who labelled how much, how fast, and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from labelloop.store import schema
from labelloop.store.engine import Database
from labelloop.store.projects import ProjectRecord

labels, annotators = schema.labels, schema.annotators


@dataclass(frozen=True)
class AnnotatorStats:
    """One annotator's work on a project."""

    name: str
    labels: int
    median_seconds: float | None
    last_label_at: Any


def per_annotator(db: Database, project: ProjectRecord) -> list[AnnotatorStats]:
    """Current labels per annotator, their median time per label and last label time."""
    query = (
        sa.select(annotators.c.name, labels.c.time_taken, labels.c.created_at)
        .join(annotators, annotators.c.id == labels.c.annotator_id)
        .where(labels.c.project_id == project.id, labels.c.current == sa.true())
    )
    grouped: dict[str, list[Any]] = {}
    with db.read() as conn:
        for name, taken, created in conn.execute(query):
            grouped.setdefault(name, []).append((taken, created))
    return [_stats(name, rows) for name, rows in sorted(grouped.items())]


def per_hour(db: Database, project: ProjectRecord, hours: int = 24) -> list[tuple[str, int]]:
    """Labels given in each of the last ``hours`` hours, oldest first (UTC)."""
    since = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    since -= dt.timedelta(hours=hours - 1)
    query = sa.select(labels.c.created_at).where(
        labels.c.project_id == project.id, labels.c.created_at >= since
    )
    counts = {since + dt.timedelta(hours=h): 0 for h in range(hours)}
    with db.read() as conn:
        for (created,) in conn.execute(query):
            stamp = created if created.tzinfo else created.replace(tzinfo=dt.UTC)
            counts[stamp.replace(minute=0, second=0, microsecond=0)] = (
                counts.get(stamp.replace(minute=0, second=0, microsecond=0), 0) + 1
            )
    return [(hour.strftime("%Y-%m-%d %H:00"), n) for hour, n in sorted(counts.items())]


def _stats(name: str, rows: list[Any]) -> AnnotatorStats:
    times = sorted(t for t, _ in rows if t is not None)
    median = times[len(times) // 2] if times else None
    return AnnotatorStats(name, len(rows), median, max(c for _, c in rows))
