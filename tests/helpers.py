"""Small builders shared by tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelloop import Project
from labelloop.store import Database


def make_project(
    db: Database, n_items: int = 10, options: list[Any] | None = None, **settings: Any
) -> Project:
    """A project with ``n_items`` small array items and annotators alice and bob."""
    project = Project(db, "demo", options=options or ["a", "b", "c"], **settings)
    if n_items:
        project.add_items(
            np.arange(n_items * 2, dtype=np.float32).reshape(n_items, 2), progress=False
        )
    project.add_annotator("alice")
    project.add_annotator("bob")
    return project
