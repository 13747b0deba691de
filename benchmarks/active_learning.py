"""How many labels does each active-learning strategy need? And how fast is scoring?

A simulated annotator answers with the true label. For each dataset bundled
with scikit-learn (digits, wine, breast cancer), each model (logistic
regression on standardised features, a small extra-trees ensemble), each
batch size (1 and 20) and each seed, every strategy starts from the same
seed set (one item per class, topped up at random to 10) and labels until it
reaches 95% of the reference accuracy (a model trained on the whole training
split) on a held-out stratified test split, or its label budget runs out.

Printed per dataset, model and batch size: the mean number of labels needed
to reach 95% of the reference accuracy (a run that never gets there counts
as its budget, marked ``+``), that number divided by random sampling's in the
same runs, the mean normalised area under the learning curve (1.0 would be
reference accuracy from the first label), and how many seeds got there.

Then the time each acquisition function takes on a 1,000,000 x 10
probability array, against ``np.max(proba, axis=1)`` timed in the same run.

Only ``labelloop.learn`` and scikit-learn are used.

    python benchmarks/active_learning.py           # full run: 10 seeds, about 3 minutes on 2 cores
    python benchmarks/active_learning.py --quick   # 1 seed, digits, small budget
"""

# ruff: noqa: E402  (the imports must come after the sys.path fix below)
from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/queue.py shadows the standard library's queue module, which joblib
# and multiprocessing import: keep this script's folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse
import functools
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from numpy.typing import NDArray
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from labelloop import learn

TARGET = 0.95  # share of the reference accuracy a strategy must reach
INITIAL_LABELS = 10
LOADERS = {"digits": load_digits, "wine": load_wine, "breast_cancer": load_breast_cancer}
MODELS = {
    "logistic regression": lambda seed: LogisticRegression(max_iter=1000),
    "extra trees (25)": lambda seed: ExtraTreesClassifier(n_estimators=25, random_state=seed),
}
UNCERTAINTY = ("entropy", "margin", "certainty")


@dataclass(frozen=True)
class Setting:
    """One table: a dataset, a model and a batch size, with its label budget."""

    dataset: str
    model: str
    batch_size: int
    auc_labels: int  # the learning curve's area is taken up to this many labels
    max_labels: int  # give up looking for the target here

    def strategies(self) -> list[str]:
        names = ["random", *UNCERTAINTY]
        if self.batch_size > 1:
            names.append("diverse (margin)")
        if self.model.startswith("extra trees"):
            names.append("committee (vote entropy)")
        return names


@dataclass(frozen=True)
class Run:
    """One strategy on one seed."""

    setting: Setting
    strategy: str
    seed: int
    labels_needed: int
    reached: bool
    auc: float
    reference: float
    convergence_warnings: int


@dataclass(frozen=True)
class Split:
    pool_x: NDArray[np.float64]
    pool_y: NDArray[Any]
    test_x: NDArray[np.float64]
    test_y: NDArray[Any]


def budgets(quick: bool) -> dict[tuple[str, int], tuple[int, int]]:
    """(auc_labels, max_labels) per dataset and batch size."""
    if quick:
        return {("digits", 1): (40, 80), ("digits", 20): (90, 170)}
    return {
        ("digits", 1): (100, 400),
        ("digits", 20): (250, 410),
        ("wine", 1): (40, 100),
        ("wine", 20): (90, 130),
        ("breast_cancer", 1): (60, 200),
        ("breast_cancer", 20): (150, 330),
    }


def settings(quick: bool) -> list[Setting]:
    return [
        Setting(dataset, model, batch, auc, most)
        for (dataset, batch), (auc, most) in budgets(quick).items()
        for model in MODELS
    ]


def split(dataset: str, seed: int) -> Split:
    x, y = LOADERS[dataset](return_X_y=True)
    pool_x, test_x, pool_y, test_y = train_test_split(
        x, y, test_size=0.25, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(pool_x)  # unsupervised: the pool's features are known
    return Split(scaler.transform(pool_x), pool_y, scaler.transform(test_x), test_y)


def initial_labels(y: NDArray[Any], rng: np.random.Generator) -> list[int]:
    """One random item per class, topped up at random to INITIAL_LABELS."""
    chosen = [int(rng.choice(np.flatnonzero(y == value))) for value in np.unique(y)]
    rest = np.setdiff1d(np.arange(y.size), chosen)
    extra = rng.choice(rest, size=max(0, INITIAL_LABELS - len(chosen)), replace=False)
    return chosen + [int(i) for i in extra]


def choose(
    strategy: str, model: Any, pool_x: NDArray[np.float64], batch: int, rng: np.random.Generator
) -> NDArray[np.intp]:
    """Positions in the unlabelled pool to label next."""
    if strategy.startswith("committee"):
        return learn.select_batch(learn.committee_scores(model, pool_x), batch)
    proba = learn.predict_pool(model, pool_x)
    if strategy.startswith("diverse"):
        return learn.diverse_batch(learn.margin(proba), pool_x, batch, random_state=rng)
    scores = learn.get_acquisition(strategy, random_state=rng)(proba)
    return learn.select_batch(scores, batch)


def run_strategy(setting: Setting, strategy: str, seed: int, data: Split, reference: float) -> Run:
    rng = np.random.default_rng([seed, setting.strategies().index(strategy)])
    labelled = initial_labels(data.pool_y, np.random.default_rng(seed))
    curve: list[tuple[int, float]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        while True:
            model = learn.fit(
                MODELS[setting.model](seed), data.pool_x[labelled], data.pool_y[labelled]
            )
            curve.append((len(labelled), float(model.score(data.test_x, data.test_y))))
            if _done(curve, setting, reference):
                break
            pool = np.setdiff1d(np.arange(data.pool_y.size), labelled)
            batch = min(setting.batch_size, setting.max_labels - len(labelled), pool.size)
            labelled += pool[choose(strategy, model, data.pool_x[pool], batch, rng)].tolist()
    needed = next((n for n, acc in curve if acc >= TARGET * reference), setting.max_labels)
    reached = any(acc >= TARGET * reference for _, acc in curve)
    auc = _normalised_auc(curve, setting.auc_labels, reference)
    return Run(setting, strategy, seed, needed, reached, auc, reference, len(caught))


def _done(curve: list[tuple[int, float]], setting: Setting, reference: float) -> bool:
    n, _ = curve[-1]
    reached = any(acc >= TARGET * reference for _, acc in curve)
    return n >= setting.max_labels or (reached and n >= setting.auc_labels)


def _normalised_auc(curve: list[tuple[int, float]], end: int, reference: float) -> float:
    """Area under accuracy / reference from the first label count to ``end``, divided by width."""
    n = np.array([point[0] for point in curve], dtype=np.float64)
    accuracy = np.array([point[1] for point in curve]) / reference
    grid = np.arange(n[0], end + 1, dtype=np.float64)
    return float(np.trapezoid(np.interp(grid, n, accuracy), grid) / (grid[-1] - grid[0]))


def run_task(setting: Setting, seed: int) -> list[Run]:
    """All strategies of one setting on one seed: same split, same seed set."""
    data = split(setting.dataset, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = learn.fit(MODELS[setting.model](seed), data.pool_x, data.pool_y)
    reference = float(full.score(data.test_x, data.test_y))
    return [run_strategy(setting, name, seed, data, reference) for name in setting.strategies()]


def table(setting: Setting, runs: list[Run]) -> str:
    by_strategy = {name: [r for r in runs if r.strategy == name] for name in setting.strategies()}
    random_labels = np.mean([r.labels_needed for r in by_strategy["random"]])
    reference = np.mean([r.reference for r in by_strategy["random"]])
    lines = [
        f"{setting.dataset} | {setting.model} | batch {setting.batch_size} | "
        f"reference accuracy {reference:.3f} | target {TARGET:.0%} of it | "
        f"budget {setting.max_labels} labels, AUC up to {setting.auc_labels}",
        f"  {'strategy':<26}{'labels to target':>17}{'vs random':>11}{'AUC':>8}{'reached':>9}",
    ]
    for name, group in by_strategy.items():
        labels = float(np.mean([r.labels_needed for r in group]))
        censored = "+" if not all(r.reached for r in group) else " "
        reached = sum(r.reached for r in group)
        lines.append(
            f"  {name:<26}{labels:>16.1f}{censored}{labels / random_labels:>11.2f}"
            f"{np.mean([r.auc for r in group]):>8.3f}{f'{reached}/{len(group)}':>9}"
        )
    return "\n".join(lines)


def best_of(function: Callable[[], object], repeats: int) -> float:
    """Fastest of ``repeats`` calls, in milliseconds (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def timing_table(repeats: int) -> str:
    rng = np.random.default_rng(0)
    proba = rng.random((1_000_000, 10))
    proba /= proba.sum(axis=1, keepdims=True)
    baseline = best_of(lambda: np.max(proba, axis=1), repeats)
    rows = [("np.max(proba, axis=1) (baseline)", baseline)]
    for name in ("entropy", "margin", "certainty", "random", "validate_proba"):
        function = getattr(learn, name)
        rows.append((name, best_of(functools.partial(function, proba), repeats)))
    features = rng.normal(size=(100_000, 64))
    scores = rng.random(100_000)
    diverse = best_of(lambda: learn.diverse_batch(scores, features, 20, random_state=0), repeats)
    lines = [
        "Scoring time, 1,000,000 x 10 float64 probabilities (best of "
        f"{repeats}; validation included)",
        f"  {'function':<36}{'ms':>8}{'vs baseline':>13}",
        *(f"  {name:<36}{ms:>8.1f}{ms / baseline:>13.2f}" for name, ms in rows),
        f"  {'diverse_batch, 100,000 x 64, batch 20':<36}{diverse:>8.1f}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, digits, small budget")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per setting (default 10)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    args = parser.parse_args()
    seeds = args.seeds or (1 if args.quick else 10)
    tasks = [(s, seed) for s in settings(args.quick) for seed in range(seeds)]
    started = time.perf_counter()
    jobs = (delayed(run_task)(setting, seed) for setting, seed in tasks)
    results: list[Run] = []
    parallel = Parallel(n_jobs=args.jobs, return_as="generator_unordered")
    for runs in tqdm(parallel(jobs), total=len(tasks), desc="simulated labelling runs"):
        results.extend(runs)
    elapsed = time.perf_counter() - started
    print(f"\nActive learning: {seeds} seed(s), {len(results)} runs, {elapsed:.0f} s\n")
    for setting in settings(args.quick):
        print(table(setting, [r for r in results if r.setting == setting]), end="\n\n")
    print(
        "Committee rows match entropy's: fully grown trees vote one-hot, so the forest's\n"
        "predict_proba is the vote share and vote entropy equals its entropy.\n"
    )
    warned = sum(r.convergence_warnings for r in results)
    print(f"({warned} logistic-regression fits stopped at max_iter without converging)\n")
    print(timing_table(repeats=3 if args.quick else 7))


if __name__ == "__main__":
    main()
