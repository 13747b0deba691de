"""Turning people's answers into training targets.

Several annotators may label one item: :func:`agreed_labels` keeps the
majority answer and leaves ties out. Multi-label answers (a set of options
per item) become a binary indicator matrix with a fixed column order, and
back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labelloop.errors import InvalidInputError


def agreed_labels(
    values_per_item: Sequence[Sequence[Hashable]],
) -> tuple[list[Hashable | None], NDArray[np.bool_], int]:
    """Majority vote per item across annotators; ties and unlabelled items are left out.

    Parameters
    ----------
    values_per_item : sequence of sequences
        For each item, the labels its annotators gave (any hashable values;
        use a frozenset for a multi-label answer).

    Returns
    -------
    labels : list
        The winning label per item, None where there is no winner.
    keep : ndarray of bool
        True where the item has a winner (train on those).
    n_ties : int
        How many items had two or more labels sharing the most votes.

    Examples
    --------
    >>> labels, keep, n_ties = agreed_labels([["cat", "cat", "dog"], ["cat", "dog"], []])
    >>> labels, keep.tolist(), n_ties
    (['cat', None, None], [True, False, False], 1)
    """
    labels: list[Hashable | None] = []
    n_ties = 0
    for values in values_per_item:
        winner, tied = _majority(values)
        labels.append(winner)
        n_ties += tied
    keep = np.fromiter((label is not None for label in labels), dtype=np.bool_, count=len(labels))
    return labels, keep, n_ties


def to_indicator(
    label_sets: Iterable[Iterable[Hashable]], options: Sequence[Hashable]
) -> NDArray[np.int8]:
    """Binary indicator matrix: row i, column j is 1 when item i has ``options[j]``.

    Examples
    --------
    >>> to_indicator([["red"], ["blue", "red"], []], options=["red", "green", "blue"]).tolist()
    [[1, 0, 0], [1, 0, 1], [0, 0, 0]]
    """
    column = _option_columns(options)
    rows = [list(labels) for labels in label_sets]
    indicator = np.zeros((len(rows), len(column)), dtype=np.int8)
    for i, labels in enumerate(rows):
        for label in labels:
            if label not in column:
                raise InvalidInputError(
                    f"item {i} has label {label!r}, which is not one of the options "
                    f"{list(options)!r}; add it to the options or correct the label"
                )
            indicator[i, column[label]] = 1
    return indicator


def from_indicator(indicator: ArrayLike, options: Sequence[Hashable]) -> list[list[Hashable]]:
    """The label sets of a binary indicator matrix, each in option order.

    Examples
    --------
    >>> from_indicator([[1, 0, 1], [0, 0, 0]], options=["red", "green", "blue"])
    [['red', 'blue'], []]
    """
    _option_columns(options)
    matrix = np.asarray(indicator)
    if matrix.ndim != 2 or matrix.shape[1] != len(options):
        raise InvalidInputError(
            f"indicator must have shape (n_items, {len(options)}) for {len(options)} options; "
            f"got shape {matrix.shape}"
        )
    if not np.isin(matrix, (0, 1)).all():
        raise InvalidInputError(
            "indicator must hold only 0 and 1 (or False and True); "
            "threshold probabilities first, e.g. proba[:, 1, :] >= 0.5"
        )
    return [[options[int(j)] for j in np.flatnonzero(row)] for row in matrix]


def _majority(values: Sequence[Hashable]) -> tuple[Hashable | None, bool]:
    """The most common value, or ``(None, True)`` for a tie, ``(None, False)`` for none."""
    top = Counter(values).most_common(2)
    if not top:
        return None, False
    if len(top) == 2 and top[0][1] == top[1][1]:
        return None, True
    return top[0][0], False


def _option_columns(options: Sequence[Hashable]) -> dict[Any, int]:
    column = {option: j for j, option in enumerate(options)}
    if len(column) != len(options):
        repeated = sorted({repr(o) for o in options if list(options).count(o) > 1})
        raise InvalidInputError(f"options must be unique; repeated: {', '.join(repeated)}")
    if not column:
        raise InvalidInputError("options must not be empty; give the possible labels in order")
    return column
