"""Query by committee: label where the members of an ensemble disagree.

A bagging-type ensemble (random forest, extra trees, bagging) is already a
committee: each member saw a different resample of the labels. Items its
members disagree on are the ones more labels would settle.

With fully grown trees (scikit-learn's default) every member's
probabilities are one-hot, so the forest's ``predict_proba`` *is* the vote
share: vote entropy and BALD then both equal the entropy of the forest's
prediction and rank items exactly as :func:`~labelloop.learn.entropy` does.
The committee view adds information when members are soft: bagged
logistic regressions, or trees with ``min_samples_leaf > 1``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labelloop.errors import InvalidInputError
from labelloop.learn.acquisition import Scores, entropy

MemberProba = NDArray[np.float64]


def vote_entropy(member_proba: ArrayLike) -> Scores:
    """Entropy of the members' hard votes (McCallum & Nigam 1998).

    Parameters
    ----------
    member_proba : array-like of shape (n_members, n_samples, n_classes)
        Each member's class probabilities; its vote is its most probable class.

    Examples
    --------
    >>> members = [[[0.9, 0.1], [0.6, 0.4]], [[0.2, 0.8], [0.7, 0.3]]]
    >>> vote_entropy(members).round(3).tolist()
    [0.693, 0.0]
    """
    proba = _check_member_proba(member_proba)
    n_members, n_samples, n_classes = proba.shape
    votes = proba.argmax(axis=2) + n_classes * np.arange(n_samples)
    counts = np.bincount(votes.ravel(), minlength=n_samples * n_classes)
    return entropy(counts.reshape(n_samples, n_classes) / n_members)


def bald(member_proba: ArrayLike) -> Scores:
    """Mutual information between the prediction and the member (BALD, Houlsby et al. 2011).

    ``H(mean of members) - mean of H(member)``: high where members are each
    confident but disagree, low where they agree or are all unsure alike.

    Parameters
    ----------
    member_proba : array-like of shape (n_members, n_samples, n_classes)

    Examples
    --------
    >>> agree = [[[0.5, 0.5]], [[0.5, 0.5]]]
    >>> disagree = [[[1.0, 0.0]], [[0.0, 1.0]]]
    >>> bald(agree).round(3).tolist(), bald(disagree).round(3).tolist()
    ([0.0], [0.693])
    """
    proba = _check_member_proba(member_proba)
    mean_entropy = np.zeros(proba.shape[1], dtype=np.float64)
    for member in proba:
        mean_entropy += entropy(member)
    mean_entropy /= proba.shape[0]
    return np.maximum(entropy(proba.mean(axis=0)) - mean_entropy, 0.0)


def committee_proba(model: Any, x: Any) -> MemberProba:
    """Each member's class probabilities from a fitted bagging-type ensemble.

    Members' columns are put in the ensemble's ``classes_`` order, with zeros
    for classes a member never saw. scikit-learn's forests, bagging, voting
    and stacking ensembles train their members on class indices, which are
    mapped back; for other ensembles members' ``classes_`` are matched to the
    ensemble's by value.

    Parameters
    ----------
    model : fitted ensemble
        Has ``estimators_`` (members with ``predict_proba``) and ``classes_``;
        e.g. ``RandomForestClassifier``, ``ExtraTreesClassifier``, ``BaggingClassifier``.
    x : array-like or DataFrame
        The items to score.

    Returns
    -------
    ndarray of shape (n_members, n_samples, n_classes)

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> forest = RandomForestClassifier(n_estimators=4, random_state=0)
    >>> forest = forest.fit([[0.0], [1.0], [2.0], [3.0]], ["a", "a", "b", "b"])
    >>> committee_proba(forest, [[0.0], [3.0]]).shape
    (4, 2, 2)
    """
    members, classes = _members(model)
    rows = _as_rows(model, x)
    subsets = getattr(model, "estimators_features_", None)
    by_index = _members_see_indices(model)
    result = np.zeros((len(members), rows.shape[0], len(classes)), dtype=np.float64)
    for i, member in enumerate(members):
        seen = rows if subsets is None else rows[:, subsets[i]]
        columns = _member_columns(member, classes, by_index)
        result[i][:, columns] = member.predict_proba(seen)
    return result


def committee_scores(
    model: Any,
    x: Any,
    measure: str | Callable[[MemberProba], Scores] = "vote_entropy",
    chunk_size: int = 10_000,
) -> Scores:
    """Committee disagreement per item, computed ``chunk_size`` items at a time.

    Memory stays at ``n_members * chunk_size * n_classes`` floats however
    large the pool.

    Parameters
    ----------
    model : fitted ensemble
        See :func:`committee_proba`.
    x : array-like or DataFrame
        The pool.
    measure : {"vote_entropy", "bald"} or callable
        How to turn member probabilities into one score per item.
    chunk_size : int
        Items per chunk.
    """
    function = _MEASURES.get(measure, measure) if isinstance(measure, str) else measure
    if not callable(function):
        raise InvalidInputError(
            f"unknown committee measure {measure!r}; use 'vote_entropy', 'bald' or a callable"
        )
    if chunk_size < 1:
        raise InvalidInputError(f"chunk_size must be at least 1; got {chunk_size}")
    rows = _as_rows(model, x)
    parts = [
        function(committee_proba(model, rows[start : start + chunk_size]))
        for start in range(0, rows.shape[0], chunk_size)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)


_MEASURES: dict[str, Callable[[MemberProba], Scores]] = {
    "vote_entropy": vote_entropy,
    "bald": bald,
}


def _check_member_proba(member_proba: ArrayLike) -> NDArray[np.float64]:
    proba = np.asarray(member_proba, dtype=np.float64)
    if proba.ndim != 3 or proba.shape[0] < 1:
        raise InvalidInputError(
            "member probabilities must have shape (n_members, n_samples, n_classes) with at "
            f"least 1 member; got shape {proba.shape}"
        )
    return proba


def _members(model: Any) -> tuple[list[Any], NDArray[Any]]:
    members = getattr(model, "estimators_", None)
    classes = getattr(model, "classes_", None)
    if members is None or classes is None:
        raise InvalidInputError(
            f"{type(model).__name__} has no fitted members (estimators_ and classes_); fit a "
            "bagging-type ensemble such as RandomForestClassifier or BaggingClassifier first"
        )
    if isinstance(classes, list):
        raise InvalidInputError(
            "committee scores support single-output ensembles; for multi-label data score "
            "each option's ensemble separately"
        )
    members = list(members)
    if not members or not all(callable(getattr(m, "predict_proba", None)) for m in members):
        raise InvalidInputError(
            f"the members of {type(model).__name__} have no predict_proba; "
            "use a bagging-type ensemble such as RandomForestClassifier or BaggingClassifier"
        )
    return members, np.asarray(classes)


def _members_see_indices(model: Any) -> bool:
    """True for scikit-learn ensembles that fit members on class indices."""
    from sklearn.ensemble import (
        BaggingClassifier,
        ExtraTreesClassifier,
        RandomForestClassifier,
        StackingClassifier,
        VotingClassifier,
    )

    encoding = (
        BaggingClassifier,
        ExtraTreesClassifier,
        RandomForestClassifier,
        StackingClassifier,
        VotingClassifier,
    )
    return isinstance(model, encoding)


def _member_columns(member: Any, classes: NDArray[Any], by_index: bool) -> list[int]:
    seen = np.asarray(member.classes_).tolist()
    if by_index:
        return [int(value) for value in seen]
    column = {value: j for j, value in enumerate(classes.tolist())}
    unknown = [value for value in seen if value not in column]
    if unknown:
        raise InvalidInputError(
            f"a member predicts classes {unknown!r} that the ensemble does not have "
            f"({classes.tolist()!r}); members must be trained on the ensemble's labels"
        )
    return [column[value] for value in seen]


def _as_rows(model: Any, x: Any) -> NDArray[Any]:
    """Rows as a NumPy array, DataFrame columns in the order the model was fit on."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None and hasattr(x, "columns"):
        x = x[list(names)]
    return np.asarray(x)
