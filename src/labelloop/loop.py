"""One turn of the active-learning loop: labels in, priorities out.

Reads the labels and the items' features from the store (short read
transactions: labellers go on), fits a clone of the model, scores it, scores
every item, turns the pool's scores into priorities and writes the run (run
row, model, predictions, priorities) in one transaction. Only that last write
makes labellers wait (SQLite's write lock, PostgreSQL's row locks), for about
as long as the bulk update takes.
"""

from __future__ import annotations

import importlib
import io
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from labelloop import learn
from labelloop.errors import InvalidInputError
from labelloop.learn.acquisition import Acquisition
from labelloop.store import label_values, runs
from labelloop.store.runs import RunResult

if TYPE_CHECKING:
    from labelloop.project import Project

COMMITTEE_MEASURES = ("vote_entropy", "bald")
STOP_SET_SIZE = 2000


@dataclass(frozen=True)
class Strategy:
    """How to turn a fitted model into a queue order.

    Parameters
    ----------
    acquisition : str or callable
        ``"entropy"``, ``"margin"``, ``"certainty"``, ``"random"``, a committee
        measure (``"vote_entropy"``, ``"bald"``; needs a bagging-type model),
        or a callable taking an ``(n_samples, n_classes[, n_outputs])``
        probability array and returning one score per sample (higher first).
    shuffle_prop : float
        Share of queue positions given to random items.
    batch_size : int, optional
        With ``diverse=True``: how many items to pick together.
    diverse : bool
        Pick the next ``batch_size`` items to be uncertain *and* spread out
        over the model's input features, instead of near-duplicates.
    random_state : int
        Seed for the random parts.
    """

    acquisition: str | Acquisition = "entropy"
    shuffle_prop: float = 0.0
    batch_size: int | None = None
    diverse: bool = False
    random_state: int = 0

    def validate(self) -> None:
        """Raise InvalidInputError naming the first bad field."""
        if isinstance(self.acquisition, str) and self.acquisition not in COMMITTEE_MEASURES:
            learn.get_acquisition(self.acquisition)
        if not 0.0 <= self.shuffle_prop <= 1.0:
            raise InvalidInputError(f"shuffle_prop must be in [0, 1], got {self.shuffle_prop}")
        if self.diverse and (self.batch_size is None or self.batch_size < 1):
            raise InvalidInputError("diverse=True needs batch_size, the number picked together")

    @property
    def name(self) -> str:
        """A readable name for run records."""
        base = self.acquisition if isinstance(self.acquisition, str) else "custom"
        return f"{base}+diverse({self.batch_size})" if self.diverse else base


@dataclass(frozen=True)
class RunReport:
    """What a retrain did, or why it did not.

    Attributes
    ----------
    run_id : int or None
        The recorded run; None when there were not enough labels to train.
    n_labels : int
        Items trained on (agreed labels).
    score : float or None
        Cross-validated score (or the project's eval_method), if computable.
    message : str
        A sentence for people: what happened, or what is missing.
    finished : bool
        True when no item needs labels any more.
    details : dict
        Per-class counts, ties left out, timings, acquisition, stop signal.
    """

    run_id: int | None
    n_labels: int
    score: float | None
    message: str
    finished: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def settled(self) -> float | None:
        """The stop signal in [0, 1] (1: more labels have stopped paying off)."""
        stop = self.details.get("stop")
        return None if stop is None else float(stop["settled"])


class FeatureCache:
    """Every item's features, kept between retrains while the items do not change."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.ids = np.zeros(0, dtype=np.int64)
        self.keys: list[str] = []
        self.values: Any = None

    def load(self, project: Project, chunk_size: int) -> tuple[np.ndarray, Any]:
        """(ids in id order, features) of every item, reading the store only when needed."""
        version = runs.items_version(project.db, project.record)
        if version != self.version:
            chunks = list(runs.iter_payloads(project.db, project.record, chunk_size=chunk_size))
            self.ids = np.concatenate([c.ids for c in chunks]) if chunks else self.ids[:0]
            self.keys = [key for c in chunks for key in c.keys]
            self.values = _concat([c.values for c in chunks])
            self.version = version
        return self.ids, self.values


def resolve_model(model: Any) -> Any:
    """An estimator from an estimator, a zero-argument factory, or ``"module:callable"``."""
    if isinstance(model, str):
        module_name, _, attribute = model.partition(":")
        if not attribute:
            raise InvalidInputError(f"model {model!r} must look like 'module:callable'")
        try:
            model = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as error:
            raise InvalidInputError(f"cannot load model factory {model!r}: {error}") from None
    if callable(model) and not hasattr(model, "fit"):
        model = model()
    learn.check_model(model)
    return model


def retrain(
    project: Project,
    model: Any,
    strategy: Strategy,
    preprocess: Callable[[Any, Any], tuple[Any, Any]] | None = None,
    eval_method: Callable[[Any, Any, Any], float] | None = None,
    cache: FeatureCache | None = None,
    chunk_size: int = 10_000,
    n_jobs: int | None = None,
) -> RunReport:
    """Fit, score, reorder and record one run. See :meth:`Project.retrain`."""
    strategy.validate()
    estimator = resolve_model(model)
    if project.settings.multilabel:
        estimator = learn.wrap_multilabel(estimator)
    timings: dict[str, float] = {}
    clock = _Stopwatch(timings)
    with clock("read"):
        marker = runs.max_label_id(project.db, project.record)
        train_ids, y, n_ties = _training_labels(project)
        all_ids, features = (cache or FeatureCache()).load(project, chunk_size)
        pool = runs.pool_ids(project.db, project.record)
    x_train = _take(features, all_ids, train_ids)
    try:
        learn.check_training_data(y, project.options if project.settings.multilabel else None)
    except learn.NotEnoughLabelsError as error:
        return RunReport(None, len(train_ids), None, str(error), finished=len(pool) == 0)
    x_all = features
    if preprocess is not None:
        x_train, y = _preprocessed(preprocess, x_train, y)
        x_all, _ = _preprocessed(preprocess, x_all, None)
    with clock("fit"):
        fitted = learn.fit(estimator, x_train, y)
    with clock("evaluate"):
        score = learn.evaluate(estimator, x_train, y, eval_method)
    with clock("predict"):
        proba = learn.predict_pool(fitted, x_all, chunk_size=chunk_size, n_jobs=n_jobs)
    predicted, confidence = _predictions(project, fitted, proba)
    in_pool = _members(all_ids, pool)
    with clock("acquire"):
        priorities = _priorities(fitted, x_all, proba, in_pool, strategy)
    stop = _stop_signal(project, all_ids, predicted, len(train_ids), score)
    details = {
        "acquisition": strategy.name,
        "shuffle_prop": strategy.shuffle_prop,
        "class_counts": _class_counts(project, y),
        "ties_left_out": n_ties,
        "max_label_id": marker,
        "n_items": len(all_ids),
        "n_pool": len(pool),
        "model": type(estimator).__name__,
        "agreement": stop.pop("agreement"),
        "stop": stop,
        "timings": timings,
    }
    with clock("write"):
        result = RunResult(
            n_labels=len(train_ids),
            score=score,
            details=details,
            model=_dump(fitted),
            item_ids=all_ids,
            predicted=predicted,
            confidence=confidence,
            pool_ids=all_ids[in_pool],
            priorities=priorities,
        )
        run_id = runs.write_run(project.db, project.record, result)
    return RunReport(
        run_id, len(train_ids), score, _message(result, n_ties), len(pool) == 0, details
    )


class _Stopwatch:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    def __call__(self, name: str) -> Any:
        import contextlib

        @contextlib.contextmanager
        def timer() -> Any:
            start = time.perf_counter()
            yield
            self.timings[name] = round(time.perf_counter() - start, 4)

        return timer()


def training_data(
    project: Project, cache: FeatureCache, chunk_size: int = 10_000
) -> tuple[np.ndarray, Any, Any, int]:
    """(item ids, features, agreed labels, ties left out) of the labelled items."""
    train_ids, y, n_ties = _training_labels(project)
    all_ids, features = cache.load(project, chunk_size)
    return train_ids, _take(features, all_ids, train_ids), y, n_ties


def _training_labels(project: Project) -> tuple[np.ndarray, Any, int]:
    by_item = runs.current_label_values(project.db, project.record)
    ids = np.array(sorted(by_item), dtype=np.int64)
    agreed, keep, n_ties = learn.agreed_labels([by_item[int(i)] for i in ids])
    winners = [label for label, kept in zip(agreed, keep, strict=True) if kept]
    values = [label_values.from_text(project.settings, str(text)) for text in winners]
    if project.settings.multilabel:
        return ids[keep], learn.to_indicator(values, project.options), n_ties
    return ids[keep], np.array(values, dtype=object if _mixed(values) else None), n_ties


def _mixed(values: list[Any]) -> bool:
    return len({type(v) for v in values}) > 1


def _take(features: Any, all_ids: np.ndarray, wanted: np.ndarray) -> Any:
    index = np.searchsorted(all_ids, wanted)
    if isinstance(features, np.ndarray):
        return features[index]
    return [features[i] for i in index]


def _concat(parts: list[Any]) -> Any:
    if parts and all(isinstance(p, np.ndarray) for p in parts):
        widths = {p.shape[1:] for p in parts}
        if len(widths) == 1:
            return np.concatenate(parts)
    values = [v for part in parts for v in part]
    if values and all(isinstance(v, str) for v in values):
        return np.array(values, dtype=object)  # text: ready for a vectoriser pipeline
    return values


def _preprocessed(preprocess: Callable[..., Any], x: Any, y: Any) -> tuple[Any, Any]:
    n = len(x)
    out_x, out_y = preprocess(x, y)
    if len(out_x) != n or (y is not None and (out_y is None or len(out_y) != n)):
        got = len(out_y) if out_y is not None else None
        raise InvalidInputError(
            f"model_preprocess returned {len(out_x)} rows and {got} labels for {n} items; "
            "it must keep one row per item"
        )
    return out_x, out_y


def _predictions(project: Project, fitted: Any, proba: np.ndarray) -> tuple[list[str], np.ndarray]:
    if proba.ndim == 3:  # multi-label: (n, 2, n_options)
        chosen = proba[:, 1, :] >= 0.5
        texts = [
            label_values.to_text(
                project.settings, [o for o, c in zip(project.options, row, strict=True) if c]
            )
            for row in chosen
        ]
        return texts, np.where(chosen, proba[:, 1, :], proba[:, 0, :]).mean(axis=1)
    classes = np.asarray(fitted.classes_)
    names = np.array([str(c.item() if isinstance(c, np.generic) else c) for c in classes])
    best = proba.argmax(axis=1)
    return names[best].tolist(), proba[np.arange(len(best)), best]


def _priorities(
    fitted: Any, x_all: Any, proba: np.ndarray, in_pool: np.ndarray, strategy: Strategy
) -> np.ndarray:
    pool_proba = proba[in_pool]
    if len(pool_proba) == 0:
        return np.zeros(0)
    if strategy.acquisition in COMMITTEE_MEASURES:
        x_pool = _subset(x_all, in_pool)
        scores = learn.committee_scores(fitted, x_pool, measure=str(strategy.acquisition))
        values = _rank_priorities(scores)
    else:
        values = learn.priorities(
            pool_proba, strategy.acquisition, strategy.shuffle_prop, strategy.random_state
        )
    if strategy.diverse and strategy.batch_size:
        x_pool = _subset(x_all, in_pool)
        batch = learn.diverse_batch(
            values, _as_matrix(x_pool), strategy.batch_size, random_state=strategy.random_state
        )
        values[batch] = 2.0 - np.arange(len(batch)) / max(len(batch), 1)  # ahead of everything
    return values


def _members(sorted_ids: np.ndarray, sorted_subset: np.ndarray) -> np.ndarray:
    """Boolean mask of ``sorted_ids`` found in ``sorted_subset`` (both ascending)."""
    if len(sorted_subset) == 0:
        return np.zeros(len(sorted_ids), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_subset, sorted_ids), len(sorted_subset) - 1)
    return np.asarray(sorted_subset[at] == sorted_ids)


def _rank_priorities(scores: np.ndarray) -> np.ndarray:
    order = learn.rank(scores)
    values = np.empty(len(order), dtype=np.float64)
    values[order] = np.arange(len(order), 0, -1) / max(len(order), 1)
    return values


def _subset(x: Any, mask: np.ndarray) -> Any:
    if isinstance(x, np.ndarray):
        return x[mask]
    return [v for v, keep in zip(x, mask, strict=True) if keep]


def _as_matrix(x: Any) -> np.ndarray:
    matrix = np.asarray(x)
    if matrix.dtype == object or matrix.ndim != 2:
        raise InvalidInputError(
            "diverse batches need numeric feature vectors; give a model_preprocess that "
            "turns items into a 2-D array"
        )
    return matrix


def _stop_signal(
    project: Project, all_ids: np.ndarray, predicted: list[str], n_labels: int, score: float | None
) -> dict[str, Any]:
    step = max(1, len(all_ids) // STOP_SET_SIZE)
    sample = range(0, len(all_ids), step)
    previous = runs.previous_predictions(project.db, project.record, all_ids[sample].tolist())
    stop_set = [i for i in sample if int(all_ids[i]) in previous]
    agreement = None
    if stop_set:
        before = [previous[int(all_ids[i])] for i in stop_set]
        agreement = learn.prediction_agreement(before, [predicted[i] for i in stop_set])
    history = runs.list_runs(project.db, project.record)
    agreements = [r["details"].get("agreement") for r in history]
    agreements = [a for a in agreements if a is not None] + (
        [agreement] if agreement is not None else []
    )
    signal = learn.stopping_signal(
        agreements,
        [r["n_labels"] for r in history] + [n_labels],
        [r["score"] for r in history] + [score],
    )
    return {
        "agreement": agreement,
        "settled": signal.settled,
        "should_stop": signal.should_stop,
        "reason": signal.reason,
    }


def _class_counts(project: Project, y: Any) -> dict[str, int]:
    if project.settings.multilabel:
        return {
            str(o): int(c) for o, c in zip(project.options, np.asarray(y).sum(axis=0), strict=True)
        }
    return {str(k): int(v) for k, v in Counter(np.asarray(y).tolist()).items()}


def _dump(fitted: Any) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    return buffer.getvalue()


def _message(result: RunResult, n_ties: int) -> str:
    text = f"trained on {result.n_labels} labels"
    if result.score is not None:
        text += f", score {result.score:.3f}"
    if n_ties:
        text += f"; {n_ties} items left out (annotators disagree with no majority)"
    if not len(result.pool_ids):
        text += "; nothing left to label"
    return text
