"""The orchestrator as its own process, and a crash in the middle of a reorder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sklearn.datasets import load_digits

from labelloop import Project
from labelloop.loop import Strategy
from labelloop.orchestrator import orchestrate
from tests.factories import small_lr

ROOT = Path(__file__).parents[1]
DIGITS = load_digits()
ENV = os.environ | {"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}


def digits_project(url: str, n: int = 300) -> Project:
    project = Project(url, "digits", options=list(range(10)))
    project.add_items(DIGITS.images[:n], progress=False)
    project.add_annotator("oracle")
    project.use_model("tests.factories:small_lr", "margin")
    return project


def label(project: Project, n: int) -> None:
    for lease in project.claim("oracle", n):
        project.submit(lease, int(DIGITS.target[int(lease.item_key)]))


@pytest.mark.slow
def test_orchestrator_process_retrains_while_people_label(store_url: str) -> None:
    project = digits_project(store_url)
    command = [sys.executable, "-m", "labelloop", "orchestrate", store_url, "-p", "digits"]
    command += ["--interval-labels", "20", "--interval-seconds", "3600", "--max-runs", "3"]
    process = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while len(project.model_runs) < 3 and process.poll() is None:
        assert time.monotonic() < deadline, "orchestrator made no progress"
        label(project, 5)
        time.sleep(0.05)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err.decode()
    runs = project.model_runs
    assert len(runs) == 3
    assert runs["n_labels"].is_monotonic_increasing
    assert out.decode().count("run ") == 3
    project.close()


@pytest.mark.slow
def test_sigkill_during_reorder_leaves_the_previous_priorities(store_url: str) -> None:
    project = digits_project(store_url)
    label(project, 40)
    first = project.retrain()
    before = _priorities(project)
    label(project, 20)
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "reorder_worker.py"), store_url, "digits"],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == b"writing", worker.stderr.read().decode()  # type: ignore[union-attr]
    os.kill(worker.pid, signal.SIGKILL)
    worker.communicate()
    assert _priorities(project) == before
    assert project.model_runs["id"].tolist() == [first.run_id]
    lease = project.claim("oracle")[0]
    assert before[lease.item_key] == max(
        v for k, v in before.items() if k not in _labelled(project)
    )
    project.submit(lease, int(DIGITS.target[int(lease.item_key)]))
    second = project.retrain()
    assert project.model_runs["id"].tolist() == [first.run_id, second.run_id]
    project.close()


def test_orchestrate_in_process_stops_after_max_runs(store_url: str) -> None:
    project = digits_project(store_url, n=100)
    label(project, 30)
    seen = []
    reports = orchestrate(
        project,
        small_lr,
        Strategy("entropy"),
        interval_seconds=0.0,
        max_runs=1,
        on_run=seen.append,
    )
    assert [r.run_id for r in reports] == [1] and seen == reports
    project.close()


def test_orchestrate_needs_an_interval(store_url: str) -> None:
    project = digits_project(store_url, n=10)
    with pytest.raises(ValueError, match="interval"):
        orchestrate(project, small_lr, Strategy(), interval_seconds=None)
    project.close()


def _priorities(project: Project) -> dict[str, float]:
    with project.db.read() as conn:
        return dict(conn.exec_driver_sql("SELECT key, priority FROM items").all())


def _labelled(project: Project) -> set[str]:
    return set(project.labels["item_key"])
