"""The model contract: anything with ``fit`` and ``predict_proba``.

A model is used the scikit-learn way: it is cloned before every fit, so the
object a user hands over is never changed. Scoring a large pool runs in
chunks through :class:`joblib.Parallel`, so wrapping the call in
``joblib.parallel_backend("dask")`` spreads it over a Dask cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labelloop.errors import InvalidInputError

Preprocess = Callable[[Any, Any], tuple[Any, Any]]
EvalMethod = Callable[[Any, Any, Any], float]
Splits = list[tuple[NDArray[np.intp], NDArray[np.intp]]]

_log = logging.getLogger(__name__)
_MAX_FOLDS = 5


class NotEnoughLabelsError(InvalidInputError):
    """The labels so far cannot train (or cross-validate) a model yet.

    Not a failure: the message says what to label next, for a UI to show.
    """


def check_model(model: Any) -> None:
    """Raise :class:`InvalidInputError` unless ``model`` has ``fit`` and ``predict_proba``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> check_model(LogisticRegression())
    """
    missing = [
        name for name in ("fit", "predict_proba") if not callable(getattr(model, name, None))
    ]
    if missing:
        raise InvalidInputError(
            f"the model {type(model).__name__} has no {' and no '.join(missing)} method; "
            "use a classifier with fit(x, y) and predict_proba(x), e.g. "
            "sklearn.linear_model.LogisticRegression, or SVC(probability=True)"
        )


def check_training_data(y: ArrayLike, options: Sequence[Hashable] | None = None) -> None:
    """Raise :class:`NotEnoughLabelsError` when ``y`` cannot train a classifier yet.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_options)
        Class labels, or a binary indicator matrix for multi-label data.
    options : sequence, optional
        Names of the indicator columns, used in the message.

    Examples
    --------
    >>> try:
    ...     check_training_data(["cat", "cat", "cat"])
    ... except NotEnoughLabelsError as error:
    ...     print(error)
    need labels from at least 2 classes; have 3 labels, all 'cat'; label an item of another class
    """
    labels = np.asarray(y)
    if labels.shape[0] == 0:
        raise NotEnoughLabelsError(
            "no labels yet; label items from at least 2 classes to train a model"
        )
    if labels.ndim == 1:
        _check_classes(labels)
    else:
        _check_options(labels.reshape(labels.shape[0], -1), options)


def fit(model: Any, x: Any, y: Any, preprocess: Preprocess | None = None) -> Any:
    """Fit a clone of ``model`` and return it; ``model`` itself is left unfitted.

    Parameters
    ----------
    model : estimator
        Anything with ``fit`` and ``predict_proba``.
    x, y : array-like
        Features (one row per item) and labels (one per row).
    preprocess : callable, optional
        ``preprocess(x, y) -> (x, y)``, applied before fitting; for example
        to turn stored images into feature vectors.

    Raises
    ------
    InvalidInputError
        For a model without the contract, or ``x`` and ``y`` of different lengths.
    NotEnoughLabelsError
        When the labels cannot train a classifier yet (for example one class only).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> fitted = fit(LogisticRegression(), [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> fitted.predict([[0.2], [2.8]]).tolist()
    [0, 1]
    """
    from sklearn.base import clone

    check_model(model)
    _check_lengths(x, y, "x has {} rows but y has {} labels; pass exactly one label per row")
    if preprocess is not None:
        x, y = preprocess(x, y)
        _check_lengths(x, y, "preprocess returned x with {} rows but y with {} labels")
    check_training_data(y)
    return clone(model).fit(x, y)


def evaluate(model: Any, x: Any, y: Any, eval_method: EvalMethod | None = None) -> float | None:
    """Score ``model`` on the labelled data, or return None when that is not possible yet.

    The default is stratified k-fold cross-validated accuracy (subset accuracy
    for a multi-label indicator ``y``), with ``k = min(5, smallest class
    count)``, so small label sets are still scored. With fewer than 2 labels
    in some class there is nothing to hold out: the result is None and the
    reason is logged at INFO level (call :func:`cv_splits` to get it as an
    exception).

    Parameters
    ----------
    model : estimator
        Cloned for every fold; the object itself is not changed.
    x, y : array-like
        Labelled features and labels.
    eval_method : callable, optional
        ``eval_method(model, x, y) -> float``, used instead of the default as given.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> x = [[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]]
    >>> evaluate(LogisticRegression(), x, [0, 0, 0, 1, 1, 1])
    1.0
    >>> evaluate(LogisticRegression(), x, [0, 0, 0, 0, 0, 1]) is None
    True
    """
    if eval_method is not None:
        return float(eval_method(model, x, y))
    from sklearn.model_selection import cross_val_score

    check_model(model)
    try:
        splits = cv_splits(y)
    except NotEnoughLabelsError as reason:
        _log.info("model not evaluated: %s", reason)
        return None
    scores = cross_val_score(model, x, y, cv=splits, scoring="accuracy", error_score="raise")
    return float(np.mean(scores))


def cv_folds(y: ArrayLike) -> int:
    """Number of cross-validation folds the labels allow: ``min(5, smallest class)``.

    Raises
    ------
    NotEnoughLabelsError
        When a class (or, for multi-label data, an option's presence or
        absence) has fewer than 2 labels.

    Examples
    --------
    >>> cv_folds(["a", "a", "a", "b", "b", "b", "b"])
    3
    """
    labels = np.asarray(y)
    check_training_data(labels)
    if labels.ndim == 1:
        values, counts = np.unique(labels, return_counts=True)
        smallest = int(counts.argmin())
        what = f"class {values[smallest].item()!r} has"
        fewest = int(counts[smallest])
    else:
        fewest, what = _fewest_in_options(labels.reshape(labels.shape[0], -1))
    if fewest < 2:
        raise NotEnoughLabelsError(
            f"cannot cross-validate yet: {what} only 1 label; "
            "label at least 2 of each to get a score"
        )
    return min(_MAX_FOLDS, fewest)


def cv_splits(y: ArrayLike, random_state: int = 0) -> Splits:
    """Shuffled, stratified train/test index pairs with :func:`cv_folds` folds.

    For a multi-label indicator ``y`` (where stratifying does not apply) the
    folds are plain shuffled k-fold, checked so that every training fold
    sees each option both present and absent.

    Raises
    ------
    NotEnoughLabelsError
        When the labels cannot be split yet.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    labels = np.asarray(y)
    folds = cv_folds(labels)
    if labels.ndim == 1:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=random_state)
        return list(splitter.split(np.zeros((labels.shape[0], 1)), labels))
    splits = list(KFold(folds, shuffle=True, random_state=random_state).split(labels))
    indicator = labels.reshape(labels.shape[0], -1)
    if any(_one_sided(indicator[train]) for train, _ in splits):
        raise NotEnoughLabelsError(
            "cannot cross-validate yet: some option is present (or absent) in too few "
            "items for every training fold to see both; label more items"
        )
    return splits


def wrap_multilabel(model: Any) -> Any:
    """Wrap a single-output classifier so it fits a multi-label indicator matrix.

    Returns ``sklearn.multioutput.MultiOutputClassifier(model)``: one copy of
    the model per option. Its probabilities, through :func:`predict_pool`,
    have shape ``(n_samples, 2, n_options)``.
    """
    from sklearn.multioutput import MultiOutputClassifier

    check_model(model)
    return MultiOutputClassifier(model)


def predict_pool(
    model: Any, x: Any, chunk_size: int = 10_000, n_jobs: int | None = None
) -> NDArray[np.float64]:
    """``model.predict_proba(x)`` in chunks, through :class:`joblib.Parallel`.

    Parameters
    ----------
    model : fitted estimator
    x : array-like or DataFrame
        The pool, one row per item.
    chunk_size : int
        Rows per ``predict_proba`` call; bounds memory and is the unit of work
        for parallel backends.
    n_jobs : int, optional
        Passed to :class:`joblib.Parallel`; None means one job unless an
        enclosing ``joblib.parallel_config`` says otherwise.

    Returns
    -------
    ndarray of float64
        ``(n_samples, n_classes)``; for multi-output models, which return a
        list of arrays, ``(n_samples, n_classes, n_outputs)``, with binary
        outputs as ``[p(0), p(1)]`` in that order even if only one value was
        seen in training.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> fitted = fit(LogisticRegression(), [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> predict_pool(fitted, [[0.0], [3.0], [1.5]], chunk_size=2).shape
    (3, 2)
    """
    from joblib import Parallel, delayed

    check_model(model)
    if chunk_size < 1:
        raise InvalidInputError(f"chunk_size must be at least 1; got {chunk_size}")
    n = _num_rows(x)
    if n == 0:
        return _empty_proba(model)
    jobs = (delayed(_predict_chunk)(model, chunk) for chunk in _chunks(x, chunk_size))
    return np.concatenate(Parallel(n_jobs=n_jobs)(jobs))


def _check_classes(labels: NDArray[Any]) -> None:
    values = np.unique(labels)
    if values.size < 2:
        count, only = labels.shape[0], values[0].item()
        have = f"have 1 label, {only!r}" if count == 1 else f"have {count} labels, all {only!r}"
        raise NotEnoughLabelsError(
            f"need labels from at least 2 classes; {have}; label an item of another class"
        )


def _check_options(indicator: NDArray[Any], options: Sequence[Hashable] | None) -> None:
    for column in range(indicator.shape[1]):
        present = int(np.count_nonzero(indicator[:, column]))
        if present in (0, indicator.shape[0]):
            name = repr(options[column]) if options is not None else str(column)
            state = "absent from" if present == 0 else "present in"
            raise NotEnoughLabelsError(
                f"option {name} is {state} all {indicator.shape[0]} labelled items; "
                "each option needs at least one item with it and one without"
            )


def _fewest_in_options(indicator: NDArray[Any]) -> tuple[int, str]:
    present = np.count_nonzero(indicator, axis=0)
    counts = np.minimum(present, indicator.shape[0] - present)
    column = int(counts.argmin())
    return int(counts[column]), f"option {column} (present or absent) has"


def _one_sided(indicator: NDArray[Any]) -> bool:
    present = np.count_nonzero(indicator, axis=0)
    return bool(((present == 0) | (present == indicator.shape[0])).any())


def _check_lengths(x: Any, y: Any, message: str) -> None:
    n_x, n_y = _num_rows(x), _num_rows(y)
    if n_x != n_y:
        raise InvalidInputError(message.format(n_x, n_y))


def _num_rows(data: Any) -> int:
    shape = getattr(data, "shape", None)
    return int(shape[0]) if shape is not None else len(data)


def _chunks(x: Any, size: int) -> Iterator[Any]:
    rows = getattr(x, "iloc", x)  # DataFrames slice rows by position through .iloc
    for start in range(0, _num_rows(x), size):
        yield rows[start : start + size]


def _predict_chunk(model: Any, x: Any) -> NDArray[np.float64]:
    proba = model.predict_proba(x)
    if isinstance(proba, list):
        return _stack_outputs(proba, list(getattr(model, "classes_", [None] * len(proba))))
    return np.asarray(proba, dtype=np.float64)


def _stack_outputs(outputs: list[Any], classes: list[Any]) -> NDArray[np.float64]:
    """Stack per-output ``(n, k_j)`` arrays into ``(n, max k_j, n_outputs)``."""
    n_rows = np.asarray(outputs[0]).shape[0]
    width = max(2, *(np.asarray(p).shape[1] for p in outputs))
    stacked = np.zeros((n_rows, width, len(outputs)), dtype=np.float64)
    for j, (proba, seen) in enumerate(zip(outputs, classes, strict=True)):
        columns = _binary_columns(seen, np.asarray(proba).shape[1])
        stacked[:, columns, j] = proba
    return stacked


def _binary_columns(seen: Any, width: int) -> list[int]:
    """Columns for one output: by value for 0/1 classes, else by position."""
    values = [] if seen is None else np.asarray(seen).tolist()
    if values and all(isinstance(v, bool | int) and v in (0, 1) for v in values):
        return [int(v) for v in values]
    return list(range(width))


def _empty_proba(model: Any) -> NDArray[np.float64]:
    classes = getattr(model, "classes_", None)
    if classes is None:
        raise InvalidInputError(
            "the pool is empty and the model has no classes_ to shape an empty result; "
            "fit the model first"
        )
    if isinstance(classes, list):
        width = max(2, *(len(c) for c in classes))
        return np.zeros((0, width, len(classes)), dtype=np.float64)
    return np.zeros((0, len(classes)), dtype=np.float64)
