"""The store: the only code that writes SQL.

One database (a SQLite file or PostgreSQL) holds many projects, their items,
append-only labels, annotators, leases, priorities and model runs.
"""

from labelloop.store.engine import Database, normalize_url
from labelloop.store.projects import ProjectRecord, ProjectSettings
from labelloop.store.queue import HistoryEntry, Lease, Progress

__all__ = [
    "Database",
    "HistoryEntry",
    "Lease",
    "Progress",
    "ProjectRecord",
    "ProjectSettings",
    "normalize_url",
]
