"""Acquisition functions: which unlabelled items to label next.

Every function takes class probabilities, shaped ``(n_samples, n_classes)``
or, for multi-label and multi-output models, ``(n_samples, n_classes,
n_outputs)``, and returns one float64 score per sample where a *higher*
score means *label sooner*. Multi-output scores are computed per output and
averaged over outputs.

The work runs over blocks of rows that fit in the CPU cache, so validating
and scoring a million rows costs one pass over RAM and a few over L2, and
no temporary as large as the input is made.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labelloop.errors import InvalidInputError

Scores = NDArray[np.float64]
Acquisition = Callable[[ArrayLike], Scores]
RandomState = int | np.random.Generator | None
_Kernel = Callable[[NDArray[np.float64]], NDArray[np.float64]]

_BLOCK_ELEMENTS = 1 << 15  # 256 KiB of float64: one block stays in L2
_SUM_TOLERANCE = 1e-3
_FEW_CLASSES = 16  # up to this many classes, loop over columns (see _reduce_classes)
_TINY = float(np.finfo(np.float64).tiny)


def validate_proba(proba: ArrayLike) -> NDArray[Any]:
    """Check that ``proba`` holds class probabilities and return it as an array.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes) or (n_samples, n_classes, n_outputs)
        Output of ``predict_proba``; multi-output models stacked on the last axis.

    Returns
    -------
    ndarray
        The same data, not copied when it already was a NumPy array.

    Raises
    ------
    InvalidInputError
        For a wrong number of dimensions, fewer than 2 classes, NaN or
        infinite values, negative values, or rows that do not sum to 1.

    Examples
    --------
    >>> validate_proba([[0.2, 0.8], [0.5, 0.5]]).shape
    (2, 2)
    """
    arr = _as_proba_array(proba)
    for start, block in _blocks(arr):
        _check_block(block, start)
    return arr


def entropy(proba: ArrayLike) -> Scores:
    """Shannon entropy of the predicted class distribution, in nats.

    Highest for a uniform prediction, zero for a one-hot prediction.

    Examples
    --------
    >>> entropy([[0.5, 0.5], [1.0, 0.0]]).round(3).tolist()
    [0.693, 0.0]
    """
    return _score(proba, _entropy_kernel)


def margin(proba: ArrayLike) -> Scores:
    """Negative gap between the two most probable classes: ``-(p_top1 - p_top2)``.

    Items the model can hardly tell between two classes score highest (0 for
    a tie), confident items lowest (-1 for a one-hot prediction).

    Examples
    --------
    >>> margin([[0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]).round(2).tolist()
    [-0.7, -0.1]
    """
    return _score(proba, _margin_kernel)


def certainty(proba: ArrayLike) -> Scores:
    """Least confidence: ``1 - max(p)``.

    Examples
    --------
    >>> certainty([[0.9, 0.1], [0.6, 0.4]]).round(2).tolist()
    [0.1, 0.4]
    """
    return _score(proba, _certainty_kernel)


def random(proba: ArrayLike, random_state: RandomState = None) -> Scores:
    """Uniform random scores in [0, 1): the baseline every strategy must beat.

    Parameters
    ----------
    proba : array-like
        Only its number of rows is used (it is still validated).
    random_state : int, numpy.random.Generator or None
        Seed or generator; the same seed gives the same scores.

    Examples
    --------
    >>> bool((random([[0.5, 0.5]] * 3, random_state=0) == random([[0.5, 0.5]] * 3, 0)).all())
    True
    """
    arr = validate_proba(proba)
    return np.random.default_rng(random_state).random(size=int(arr.shape[0]))


_NAMED: dict[str, Acquisition] = {
    "entropy": entropy,
    "margin": margin,
    "certainty": certainty,
}


def get_acquisition(
    name_or_callable: str | Acquisition, random_state: RandomState = None
) -> Acquisition:
    """Resolve an acquisition function by name, or pass a callable through.

    Parameters
    ----------
    name_or_callable : str or callable
        One of ``"entropy"``, ``"margin"``, ``"certainty"``, ``"random"``, or
        any ``f(proba) -> scores`` where higher scores are labelled sooner.
    random_state : int, numpy.random.Generator or None
        Used by ``"random"`` only.

    Examples
    --------
    >>> get_acquisition("margin") is margin
    True
    """
    if callable(name_or_callable):
        return name_or_callable
    if name_or_callable == "random":
        rng = np.random.default_rng(random_state)
        return functools.partial(random, random_state=rng)
    if isinstance(name_or_callable, str) and name_or_callable in _NAMED:
        return _NAMED[name_or_callable]
    valid = ", ".join(repr(name) for name in [*_NAMED, "random"])
    raise InvalidInputError(
        f"unknown acquisition function {name_or_callable!r}; "
        f"use one of {valid}, or pass a callable f(proba) -> scores"
    )


def rank(scores: ArrayLike) -> NDArray[np.intp]:
    """Indices of ``scores`` from highest to lowest; ties keep index order.

    Examples
    --------
    >>> rank([0.2, 0.9, 0.2, 0.5]).tolist()
    [1, 3, 0, 2]
    """
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 1:
        raise InvalidInputError(f"scores must be 1-D, one per sample; got shape {arr.shape}")
    if np.isnan(arr).any():
        raise InvalidInputError(
            f"scores contain NaN at index {int(np.flatnonzero(np.isnan(arr))[0])}; "
            "check the acquisition function and the probabilities it was given"
        )
    return np.argsort(-arr, kind="stable")


def priorities(
    proba: ArrayLike,
    acquisition: str | Acquisition = "entropy",
    shuffle_prop: float = 0.0,
    random_state: RandomState = None,
) -> Scores:
    """Priority per sample (higher is labelled first), with optional random mixing.

    The samples are ranked by ``acquisition``; then a ``shuffle_prop`` share of
    the positions in that ranking, drawn uniformly, swap their items among
    themselves. Any prefix of the queue (the next batch a person sees) so
    holds about ``shuffle_prop`` random items, which keeps the model from
    only ever seeing the region it is already unsure about.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes[, n_outputs])
        Class probabilities of the pool.
    acquisition : str or callable
        See :func:`get_acquisition`.
    shuffle_prop : float in [0, 1]
        Share of positions given to random items; 0 keeps the pure ranking.
    random_state : int, numpy.random.Generator or None
        Seed for the mixing (and for ``"random"``).

    Returns
    -------
    ndarray of float64, shape (n_samples,)
        ``(n - position) / n``: 1.0 for the first item, ``1/n`` for the last.

    Examples
    --------
    >>> priorities([[0.9, 0.1], [0.5, 0.5], [0.7, 0.3]], "margin").tolist()
    [0.3333333333333333, 1.0, 0.6666666666666666]
    """
    if not 0.0 <= shuffle_prop <= 1.0:
        raise InvalidInputError(f"shuffle_prop must be between 0 and 1; got {shuffle_prop}")
    rng = np.random.default_rng(random_state)
    order = rank(get_acquisition(acquisition, rng)(proba))
    n = order.size
    moved = rng.choice(n, size=round(shuffle_prop * n), replace=False)
    order[moved] = order[rng.permutation(moved)]
    result = np.empty(n, dtype=np.float64)
    result[order] = np.arange(n, 0, -1, dtype=np.float64) / max(n, 1)
    return result


def _as_proba_array(proba: ArrayLike) -> NDArray[Any]:
    arr = np.asarray(proba)
    if arr.ndim not in (2, 3):
        raise InvalidInputError(
            f"probabilities must have shape (n_samples, n_classes) or "
            f"(n_samples, n_classes, n_outputs); got {arr.ndim}-D shape {arr.shape}"
        )
    if arr.shape[1] < 2:
        raise InvalidInputError(
            f"probabilities need at least 2 classes (columns); got shape {arr.shape}; "
            "a model trained on a single class cannot rank items: label another class first"
        )
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise InvalidInputError(f"probabilities must be numbers; got dtype {arr.dtype}")
    return arr


def _blocks(arr: NDArray[Any]) -> Iterator[tuple[int, NDArray[np.float64]]]:
    """Yield ``(first_row, block)``: float64 row blocks that fit in the L2 cache."""
    rows = max(1, _BLOCK_ELEMENTS * arr.shape[0] // max(arr.size, 1))
    for start in range(0, arr.shape[0], rows):
        yield start, np.ascontiguousarray(arr[start : start + rows], dtype=np.float64)


def _reduce_classes(ufunc: np.ufunc, block: NDArray[np.float64]) -> NDArray[np.float64]:
    """``ufunc.reduce(block, axis=1)``, column by column when there are few classes.

    NumPy reduces a short inner axis slowly (about 4x slower than this loop
    for 10 classes); with many classes its own reduction is faster.
    """
    if block.shape[1] > _FEW_CLASSES:
        return np.asarray(ufunc.reduce(block, axis=1), dtype=np.float64)
    out = block[:, 0].copy()
    for column in range(1, block.shape[1]):
        ufunc(out, block[:, column], out=out)
    return out


def _check_block(block: NDArray[np.float64], first_row: int) -> None:
    sums = _reduce_classes(np.add, block)
    bad = ~(np.abs(sums - 1.0) <= _SUM_TOLERANCE)
    if bad.any():
        row = int(np.flatnonzero(bad.reshape(bad.shape[0], -1).any(axis=1))[0])
        _raise_bad_row(block[row], first_row + row)
    if block.min() < 0:
        row = int(np.flatnonzero((block < 0).reshape(block.shape[0], -1).any(axis=1))[0])
        raise InvalidInputError(
            f"probabilities must not be negative; row {first_row + row} has "
            f"{block[row].min()!r}; pass predict_proba output, not decision_function scores"
        )


def _raise_bad_row(values: NDArray[np.float64], row: int) -> None:
    if not np.isfinite(values).all():
        raise InvalidInputError(
            f"probabilities contain NaN or infinity in row {row}; "
            "check the model's input for missing values"
        )
    raise InvalidInputError(
        f"each row of probabilities must sum to 1; row {row} sums to "
        f"{np.round(values.sum(axis=0), 6).tolist()}; "
        "pass predict_proba output (apply a softmax to logits or scores first)"
    )


def _score(proba: ArrayLike, kernel: _Kernel) -> Scores:
    arr = _as_proba_array(proba)
    scores = np.empty(arr.shape[0], dtype=np.float64)
    for start, block in _blocks(arr):
        _check_block(block, start)
        per_output = kernel(block)
        stop = start + block.shape[0]
        scores[start:stop] = per_output if per_output.ndim == 1 else per_output.mean(axis=1)
    return scores


def _entropy_kernel(block: NDArray[np.float64]) -> NDArray[np.float64]:
    terms = np.maximum(block, _TINY)
    np.log(terms, out=terms)
    terms *= block
    return np.subtract(0.0, _reduce_classes(np.add, terms))  # 0.0, not -0.0, for one-hot rows


def _margin_kernel(block: NDArray[np.float64]) -> NDArray[np.float64]:
    if block.shape[1] > _FEW_CLASSES:
        top = np.partition(block, -2, axis=1)
        return np.asarray(top[:, -2] - top[:, -1])
    first = np.maximum(block[:, 0], block[:, 1])
    second = np.minimum(block[:, 0], block[:, 1])
    smaller = np.empty_like(first)
    for column in range(2, block.shape[1]):
        values = block[:, column]
        np.minimum(first, values, out=smaller)
        np.maximum(second, smaller, out=second)
        np.maximum(first, values, out=first)
    return np.subtract(second, first, out=second)


def _certainty_kernel(block: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.subtract(1.0, _reduce_classes(np.maximum, block))
