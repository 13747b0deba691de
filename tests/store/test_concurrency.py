"""Many real processes on one database: nothing lost, nothing labelled beyond k."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from labelloop import Project
from labelloop.store import Database

WORKER = Path(__file__).with_name("queue_worker.py")
N_WORKERS = 16


def start_worker(url: str, annotator: str, out: Path, mode: str) -> subprocess.Popen[bytes]:
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    args = [sys.executable, str(WORKER), url, "shared", annotator, str(out), mode]
    return subprocess.Popen(args, env=env, stderr=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 2])
def test_sixteen_workers_never_lose_or_duplicate_a_label(
    store_url: str, tmp_path: Path, k: int
) -> None:
    n_items = 240
    project = Project(store_url, "shared", options=["yes", "no"], k=k)
    project.add_items(np.zeros((n_items, 4)), progress=False)
    annotators = [f"w{i}" for i in range(N_WORKERS)]
    for name in annotators:
        project.add_annotator(name)
    logs = [tmp_path / f"{name}.log" for name in annotators]
    workers = [
        start_worker(store_url, name, log, "label")
        for name, log in zip(annotators, logs, strict=True)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err.decode()

    acknowledged = [line.split() for log in logs for line in log.read_text().splitlines()]
    labels = project.labels
    assert len(labels) == n_items * k
    assert sorted(int(a[1]) for a in acknowledged) == sorted(labels["label_id"].tolist())
    per_item = labels.groupby("item_key")["annotator"]
    assert (per_item.count() == k).all()
    assert (per_item.nunique() == k).all()
    assert project.progress.done == n_items
    project.db.dispose()


@pytest.mark.slow
def test_killed_worker_items_come_back_after_expiry(store_url: str, tmp_path: Path) -> None:
    project = Project(store_url, "shared", options=["yes"], lease_seconds=1.0)
    project.add_items(np.zeros((8, 1)), progress=False)
    project.add_annotator("doomed")
    project.add_annotator("survivor")
    out = tmp_path / "held.txt"
    worker = start_worker(store_url, "doomed", out, "hold")
    deadline = time.monotonic() + 60
    while not out.exists() or not out.read_text().endswith("\n"):
        assert time.monotonic() < deadline and worker.poll() is None, "worker never claimed"
        time.sleep(0.05)
    held = out.read_text().split()
    os.kill(worker.pid, signal.SIGKILL)
    worker.communicate()

    others = project.claim("survivor", 8)
    assert {lease.item_key for lease in others} == {"5", "6", "7"}
    for lease in others:
        project.submit(lease, "yes")
    time.sleep(1.2)
    back = project.claim("survivor", 8)
    assert sorted(lease.item_key for lease in back) == sorted(held)
    for lease in back:
        project.submit(lease, "yes")
    assert project.progress.done == 8
    project.db.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = Database(tmp_path / "wal.db")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    db.dispose()
