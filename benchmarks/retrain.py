"""Retrain benchmark: a full retrain + rescore + reorder of a large pool.

The baseline, measured in the same run, is the model's bare ``predict_proba``
on the same pool held in memory: the least any rescoring must cost. A retrain
adds reading labels and features, fitting, cross-validation, acquisition, and
the bulk write of predictions and priorities (shown apart).

usage: python -m benchmarks.retrain [--quick] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/queue.py would shadow the stdlib queue when run as a script
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse
import tempfile
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from benchmarks._databases import drop, fresh_url
from labelloop import Project
from labelloop.loop import FeatureCache, Strategy, retrain

DIM, CLASSES, LABELLED = 64, 10, 2000


def pool(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(CLASSES, DIM))
    y = rng.integers(0, CLASSES, n)
    return (centres[y] + rng.normal(scale=2.0, size=(n, DIM))).astype(np.float32), y


def run(backend: str, n: int, folder: Path) -> list[tuple[str, float]]:
    x, y = pool(n)
    labels = [int(v) for v in y[:LABELLED]] + [None] * (n - LABELLED)
    url = fresh_url(backend, folder)
    try:
        with Project(url, "bench", options=list(range(CLASSES))) as project:
            project.add_items(x, labels=labels, progress=False)
            model = LogisticRegression(max_iter=200).fit(x[:LABELLED], y[:LABELLED])
            start = time.perf_counter()
            model.predict_proba(x)
            bare = time.perf_counter() - start
            cache, figures = FeatureCache(), [("bare predict_proba (baseline)", bare)]
            for when in ("features read from the store", "features cached"):
                start = time.perf_counter()
                model = LogisticRegression(max_iter=200)
                report = retrain(project, model, Strategy("entropy"), cache=cache)
                total = time.perf_counter() - start
                steps = report.details["timings"]
                training = steps["fit"] + steps["evaluate"]
                figures += [
                    (f"retrain, {when}: all but the bulk write", total - steps["write"]),
                    (f"  of which fit + cross-validation on {LABELLED:,} labels", training),
                    (
                        "  of which rescore + reorder of the pool",
                        total - steps["write"] - training,
                    ),
                    ("  the bulk write (predictions + priorities)", steps["write"]),
                ]
            return figures
    finally:
        drop(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k items instead of 1M")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    args = parser.parse_args()
    n = 100_000 if args.quick else 1_000_000
    print(
        f"pool of {n:,} items x {DIM} float32, {LABELLED:,} labelled, logistic regression, "
        "entropy acquisition\n"
    )
    print(f"{'backend':<11} {'step':<58} {'seconds':>8} {'vs bare':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends.split(","):
            figures = run(backend, n, Path(folder))
            bare = figures[0][1]
            for step, seconds in figures:
                print(f"{backend:<11} {step:<58} {seconds:>8.2f} {seconds / bare:>7.1f}x")


if __name__ == "__main__":
    main()
