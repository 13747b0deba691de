"""Retrain on a schedule, apart from the labelling UI.

Run it in the notebook (``project.orchestrate(...)``), as its own process
(``labelloop orchestrate``), on another machine against PostgreSQL, or from
cron with ``max_runs=1``. It talks only to the database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labelloop.errors import InvalidInputError
from labelloop.loop import FeatureCache, RunReport, Strategy, retrain
from labelloop.store import runs

if TYPE_CHECKING:
    from labelloop.project import Project

log = logging.getLogger("labelloop.orchestrator")


def orchestrate(
    project: Project,
    model: Any,
    strategy: Strategy,
    *,
    interval_seconds: float | None = 60.0,
    interval_n_labels: int | None = None,
    max_runs: int | None = None,
    poll_seconds: float = 1.0,
    preprocess: Callable[[Any, Any], tuple[Any, Any]] | None = None,
    eval_method: Callable[[Any, Any, Any], float] | None = None,
    on_run: Callable[[RunReport], None] | None = None,
) -> list[RunReport]:
    """Retrain whenever enough new labels or enough time has come; return the reports.

    A run is due when ``interval_n_labels`` new labels arrived since the last
    one, or ``interval_seconds`` passed and at least one new label arrived.
    The first run starts at once. Stops after ``max_runs`` recorded runs, or
    when nothing is left to label. Features are read once and reused while
    no items are added.
    """
    if interval_seconds is None and interval_n_labels is None:
        raise InvalidInputError("give interval_seconds, interval_n_labels, or both")
    if max_runs is not None and max_runs < 1:
        raise InvalidInputError(f"max_runs must be at least 1, got {max_runs}")
    cache, reports = FeatureCache(), list[RunReport]()
    last_marker, last_time = -1, float("-inf")
    while max_runs is None or sum(r.run_id is not None for r in reports) < max_runs:
        marker = runs.max_label_id(project.db, project.record)
        new = runs.labels_since(project.db, project.record, last_marker)
        if not _due(new, time.monotonic() - last_time, interval_seconds, interval_n_labels):
            time.sleep(poll_seconds)
            continue
        report = retrain(project, model, strategy, preprocess, eval_method, cache)
        log.info("%s: %s", project.name, report.message)
        reports.append(report)
        if on_run is not None:
            on_run(report)
        last_marker, last_time = marker, time.monotonic()
        if report.finished:
            break
    return reports


def _due(
    new_labels: int, elapsed: float, interval_seconds: float | None, interval_n_labels: int | None
) -> bool:
    if elapsed == float("inf"):
        return True  # the first run
    if interval_n_labels is not None and new_labels >= interval_n_labels:
        return True
    return interval_seconds is not None and elapsed >= interval_seconds and new_labels > 0
