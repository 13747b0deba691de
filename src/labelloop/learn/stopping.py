"""When to stop labelling: a number a UI can show, and a yes/no.

Two signals, both cheap and both free of held-out labels:

* stabilising predictions (Bloodgood & Vijay-Shanker 2009): keep a fixed
  set of unlabelled items (the stop set), predict it after every retrain,
  and compare successive models with Cohen's kappa. When the mean kappa
  over the last ``window`` retrains reaches 0.99, new labels have stopped
  changing what the model predicts;
* a flattening learning curve: the least-squares slope of the model's
  score against the number of labels over the last ``window + 1`` runs,
  times the labels those runs span, is the gain the recent labels bought.
  Below ``min_gain`` (half a point of accuracy by default) the curve is flat.

``settled`` in [0, 1] is the weaker of the two signals: the agreement part
rises from 0 at kappa 0 to 1 at the threshold on a log scale of
disagreement (kappa 0.9 is halfway to 0.99), the curve part is
``min_gain / gain``. ``should_stop`` is true when both are fully met over
full windows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labelloop.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class StopSignal:
    """How settled the model is, and whether to stop labelling."""

    settled: float
    should_stop: bool
    mean_agreement: float | None
    gain: float | None
    reason: str


def prediction_agreement(previous_pred: ArrayLike, current_pred: ArrayLike) -> float:
    """Cohen's kappa between two models' predictions on the same items.

    1 is full agreement, 0 is the agreement chance alone would give. For
    multi-label predictions (indicator matrices) it is the mean over options.
    Two constant, identical predictions agree fully (1.0).

    Examples
    --------
    >>> prediction_agreement([0, 0, 1, 1], [0, 1, 1, 1])
    0.5
    """
    before, after = np.asarray(previous_pred), np.asarray(current_pred)
    if before.shape != after.shape or before.ndim not in (1, 2) or before.shape[0] == 0:
        raise InvalidInputError(
            "predictions must be two non-empty arrays of the same shape, one prediction per "
            f"stop-set item; got shapes {before.shape} and {after.shape}"
        )
    if before.ndim == 2:
        kappas = [_kappa(before[:, j], after[:, j]) for j in range(before.shape[1])]
        return float(np.mean(kappas))
    return _kappa(before, after)


def learning_curve_gain(
    n_labels: Sequence[float], scores: Sequence[float | None], window: int = 3
) -> float | None:
    """Score gained over the last ``window + 1`` runs, from a least-squares line.

    Runs without a score (None) are skipped. None when fewer than 2 runs
    have scores.

    Examples
    --------
    >>> round(learning_curve_gain([10, 20, 30, 40], [0.5, 0.6, 0.7, 0.8]), 3)
    0.3
    """
    if len(n_labels) != len(scores):
        raise InvalidInputError(
            f"n_labels and scores must have one entry per run; got {len(n_labels)} "
            f"and {len(scores)}"
        )
    points = [(n, s) for n, s in zip(n_labels, scores, strict=True) if s is not None]
    points = points[-(window + 1) :]
    if len(points) < 2:
        return None
    x = np.array([n for n, _ in points], dtype=np.float64)
    y = np.array([s for _, s in points], dtype=np.float64)
    if np.ptp(x) == 0:
        return 0.0
    slope = float(np.polyfit(x, y, 1)[0])
    return slope * float(np.ptp(x))


def stopping_signal(
    agreements: Sequence[float],
    n_labels: Sequence[float] | None = None,
    scores: Sequence[float | None] | None = None,
    window: int = 3,
    kappa_threshold: float = 0.99,
    min_gain: float = 0.005,
) -> StopSignal:
    """Combine recent prediction agreements and the learning curve into a stop signal.

    Parameters
    ----------
    agreements : sequence of float
        Kappa between each model and the one before (see :func:`prediction_agreement`).
    n_labels, scores : sequences, optional
        Labels used and score (e.g. cross-validated accuracy, None if not
        scored) of each run; when given, the curve must also be flat to stop.
    window : int
        Retrains to average over (3 in Bloodgood & Vijay-Shanker).
    kappa_threshold : float
        Mean kappa over the window at which predictions count as stable.
    min_gain : float
        Score gain over the window below which the curve counts as flat.

    Examples
    --------
    >>> signal = stopping_signal([0.8, 0.995, 0.998, 0.999])
    >>> signal.should_stop, round(signal.settled, 2)
    (True, 1.0)
    >>> stopping_signal([0.5, 0.9]).should_stop
    False
    """
    if window < 1 or not 0 < kappa_threshold < 1 or min_gain <= 0:
        raise InvalidInputError(
            "window must be at least 1, kappa_threshold between 0 and 1 and min_gain "
            f"positive; got {window}, {kappa_threshold}, {min_gain}"
        )
    recent = list(agreements)[-window:]
    mean_kappa = float(np.mean(recent)) if recent else None
    parts = [_agreement_part(mean_kappa, len(recent), window, kappa_threshold)]
    gain, scored = None, window + 1
    if scores is not None:
        gain = learning_curve_gain(n_labels if n_labels is not None else [], scores, window)
        scored = min(sum(s is not None for s in scores), window + 1)
        parts.append(_curve_part(gain, scored, window + 1, min_gain))
    settled = min(parts)
    if len(recent) < window:
        reason = (
            f"{window - len(recent)} more retrain(s) needed before the predictions can be judged"
        )
    else:
        reason = _reason(float(np.mean(recent)), kappa_threshold, window, gain, scored, min_gain)
    return StopSignal(settled, settled >= 1.0, mean_kappa, gain, reason)


@dataclass
class StoppingMonitor:
    """Keeps the history of one labelling run and says when to stop.

    Predict the same stop set after every retrain and pass the predictions
    to :meth:`update`.

    Examples
    --------
    >>> monitor = StoppingMonitor(window=2)
    >>> for predictions in ([0, 1, 1, 0], [0, 1, 1, 1], [0, 1, 1, 1], [0, 1, 1, 1]):
    ...     signal = monitor.update(predictions)
    >>> signal.should_stop
    True
    """

    window: int = 3
    kappa_threshold: float = 0.99
    min_gain: float = 0.005
    agreements: list[float] = field(default_factory=list)
    n_labels: list[float] = field(default_factory=list)
    scores: list[float | None] = field(default_factory=list)
    _previous: NDArray[Any] | None = field(default=None, init=False, repr=False)

    def update(
        self, predictions: ArrayLike, n_labels: float | None = None, score: float | None = None
    ) -> StopSignal:
        """Record one retrain's stop-set predictions (and optionally its score)."""
        current = np.asarray(predictions)
        if self._previous is not None:
            self.agreements.append(prediction_agreement(self._previous, current))
        self._previous = current
        if n_labels is not None:
            self.n_labels.append(n_labels)
            self.scores.append(score)
        return stopping_signal(
            self.agreements,
            self.n_labels,
            self.scores if self.n_labels else None,
            self.window,
            self.kappa_threshold,
            self.min_gain,
        )


def _kappa(before: NDArray[Any], after: NDArray[Any]) -> float:
    n = int(before.shape[0])
    _, codes = np.unique(np.concatenate([before, after]), return_inverse=True)
    first, second = codes[:n], codes[n:]
    observed = float(np.mean(first == second))
    k = int(codes.max()) + 1
    expected = float(np.bincount(first, minlength=k) @ np.bincount(second, minlength=k)) / n**2
    if expected >= 1.0:
        return 1.0
    return (observed - expected) / (1.0 - expected)


def _agreement_part(mean_kappa: float | None, count: int, window: int, threshold: float) -> float:
    if mean_kappa is None or mean_kappa <= 0:
        return 0.0
    if mean_kappa >= threshold:
        level = 1.0
    else:
        level = math.log(1.0 - mean_kappa) / math.log(1.0 - threshold)
    return level * min(1.0, count / window)


def _curve_part(gain: float | None, count: int, needed: int, min_gain: float) -> float:
    if gain is None:
        return 0.0
    level = 1.0 if gain <= min_gain else min_gain / gain
    return level * min(1.0, count / needed)


def _reason(
    mean_kappa: float,
    threshold: float,
    window: int,
    gain: float | None,
    scored: int,
    min_gain: float,
) -> str:
    kappa_text = f"mean kappa {mean_kappa:.3f} over the last {window} retrains"
    if mean_kappa < threshold:
        return f"predictions still changing: {kappa_text} (stable at {threshold})"
    if scored < window + 1:
        missing = window + 1 - scored
        return f"predictions stable ({kappa_text}); {missing} more scored run(s) needed"
    if gain is not None and gain > min_gain:
        return f"predictions stable ({kappa_text}) but the score still rose by {gain:.3f}"
    return f"predictions stable ({kappa_text}); more labels are unlikely to change the model"
