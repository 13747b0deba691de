"""Choosing a batch of items to label at once, not just the top of a ranking.

The ``k`` most uncertain items are often near-duplicates: labelling one of
them would have taught the model what labelling all of them does. The
diverse strategy (weighted k-means, Zhdanov 2019, "Diverse mini-batch
Active Learning") keeps the ``candidates * k`` most uncertain items, clusters
them into ``k`` groups in the model's feature space with k-means weighted by
uncertainty, and labels the item nearest each group's centre.

In ``benchmarks/active_learning.py`` (digits, batches of 20, 10 seeds) it
reaches 95% of full-data accuracy with 88 labels against 116 for the top 20
by margin and 178 for random sampling (logistic regression), and 128
against 152 and 252 (extra trees). Uncertainty-weighted k-centre greedy and
cluster-margin (clustering the candidates), tried on the same task first,
needed 112 and 130 labels where the top 20 needed 120, so they were dropped.

Only the candidates are clustered, so the cost does not grow with the pool:
a 100,000-item pool costs one sort of its scores.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labelloop.errors import InvalidInputError
from labelloop.learn.acquisition import RandomState, rank

Indices = NDArray[np.intp]
STRATEGIES = ("top", "diverse")
_WEIGHT_FLOOR = 0.05  # the least uncertain candidate still pulls its cluster a little


def select_batch(
    scores: ArrayLike,
    batch_size: int,
    features: ArrayLike | None = None,
    strategy: str = "top",
    candidates: int = 10,
    random_state: RandomState = None,
) -> Indices:
    """Indices (into the pool) of the next ``batch_size`` items to label.

    Parameters
    ----------
    scores : array-like of shape (n_pool,)
        Acquisition scores, higher is labelled sooner.
    batch_size : int
        How many items to return (fewer if the pool is smaller).
    features : array-like of shape (n_pool, n_features), optional
        The model's input features of the pool; required by ``"diverse"``.
    strategy : {"top", "diverse"}
        ``"top"``: the highest scores. ``"diverse"``: see :func:`diverse_batch`.
    candidates : int
        For ``"diverse"``: how many candidates per item in the batch.
    random_state : int, numpy.random.Generator or None
        Seed for the k-means of ``"diverse"``.

    Examples
    --------
    >>> select_batch([0.1, 0.9, 0.5], 2).tolist()
    [1, 2]
    """
    if strategy == "top":
        _check_batch_size(batch_size)
        return rank(scores)[:batch_size]
    if strategy == "diverse":
        if features is None:
            raise InvalidInputError(
                "strategy 'diverse' needs features: pass the model's input features of the pool"
            )
        return diverse_batch(scores, features, batch_size, candidates, random_state)
    raise InvalidInputError(
        f"unknown batch strategy {strategy!r}; use one of {', '.join(map(repr, STRATEGIES))}"
    )


def diverse_batch(
    scores: ArrayLike,
    features: ArrayLike,
    batch_size: int,
    candidates: int = 10,
    random_state: RandomState = None,
) -> Indices:
    """A batch that is both uncertain and spread out (weighted k-means).

    The ``candidates * batch_size`` highest-scoring items are clustered into
    ``batch_size`` groups by k-means with sample weights growing with the
    score; the member nearest each centre is picked. Returned most uncertain
    first.

    Parameters
    ----------
    scores : array-like of shape (n_pool,)
        Acquisition scores, higher is labelled sooner.
    features : array-like of shape (n_pool, n_features)
        The model's input features (or any embedding) of the pool.
    batch_size : int
        Items to pick.
    candidates : int
        Candidates per item; 1 is plain top-k, 10 is a good default.
    random_state : int, numpy.random.Generator or None
        Seed for the k-means initialisation.

    Examples
    --------
    >>> x = [[0.0], [0.1], [0.2], [5.0], [5.1]]
    >>> diverse_batch([0.9, 0.8, 0.7, 0.6, 0.1], x, 2, random_state=0).tolist()
    [1, 3]
    """
    values = np.asarray(scores, dtype=np.float64)
    _check_batch_size(batch_size)
    if candidates < 1:
        raise InvalidInputError(f"candidates must be at least 1; got {candidates}")
    points = _check_features(features, values.shape[0])
    pool = rank(values)[: batch_size * candidates]
    if pool.size <= batch_size:
        return pool
    weights = _weights(values[pool])
    picked = _nearest_to_centres(points[pool], weights, batch_size, random_state)
    return pool[_fill(picked, pool.size, batch_size)]


def _check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        raise InvalidInputError(f"batch_size must be at least 1; got {batch_size}")


def _check_features(features: ArrayLike, n_pool: int) -> NDArray[Any]:
    points = np.asarray(features)
    if points.ndim != 2 or points.shape[0] != n_pool:
        raise InvalidInputError(
            f"features must have shape (n_pool, n_features) = ({n_pool}, ...), one row per "
            f"score; got shape {points.shape}"
        )
    return points


def _weights(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    spread = float(scores.max() - scores.min())
    if spread == 0.0:
        return np.ones_like(scores)
    weights: NDArray[np.float64] = (scores - scores.min()) / spread + _WEIGHT_FLOOR
    return weights


def _nearest_to_centres(
    points: NDArray[Any], weights: NDArray[np.float64], k: int, random_state: RandomState
) -> Indices:
    """Per k-means cluster, the position of the member nearest its centre."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    seed = int(np.random.default_rng(random_state).integers(2**31 - 1))
    kmeans = KMeans(n_clusters=k, n_init=1, random_state=seed)
    with warnings.catch_warnings():
        # Fewer distinct points than clusters (exact duplicates) is handled by _fill.
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = kmeans.fit_predict(points, sample_weight=weights)
    distance = np.linalg.norm(points - kmeans.cluster_centers_[labels], axis=1)
    order = np.lexsort((distance, labels))
    first_of_cluster = np.r_[True, labels[order][1:] != labels[order][:-1]]
    return order[first_of_cluster]


def _fill(picked: Indices, n_candidates: int, k: int) -> Indices:
    """``picked`` in candidate order, topped up with the best unpicked candidates."""
    chosen = np.zeros(n_candidates, dtype=bool)
    chosen[picked] = True
    missing = k - int(chosen.sum())
    if missing > 0:
        chosen[np.flatnonzero(~chosen)[:missing]] = True
    return np.flatnonzero(chosen)
