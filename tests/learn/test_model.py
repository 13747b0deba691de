import logging
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from joblib.parallel import ThreadingBackend, register_parallel_backend
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from labelloop.errors import InvalidInputError
from labelloop.learn.model import (
    NotEnoughLabelsError,
    check_model,
    check_training_data,
    cv_folds,
    cv_splits,
    evaluate,
    fit,
    predict_pool,
    wrap_multilabel,
)


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    x, y = load_iris(return_X_y=True)
    return x, y


def test_check_model_names_the_missing_method() -> None:
    with pytest.raises(InvalidInputError, match="has no predict_proba"):
        check_model(SVC())
    with pytest.raises(InvalidInputError, match="has no fit and no predict_proba"):
        check_model(object())
    check_model(SVC(probability=True))


def test_fit_returns_a_fitted_clone_and_leaves_the_model_alone(iris: Any) -> None:
    x, y = iris
    model = LogisticRegression(max_iter=500)
    fitted = fit(model, x, y)
    assert fitted is not model
    assert not hasattr(model, "coef_")
    assert fitted.score(x, y) > 0.9


def test_fit_applies_preprocess_before_fitting(iris: Any) -> None:
    x, y = iris
    calls: list[int] = []

    def first_two_columns(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls.append(len(x))
        return x[:, :2], y

    fitted = fit(LogisticRegression(max_iter=500), x, y, preprocess=first_two_columns)
    assert calls == [150]
    assert fitted.n_features_in_ == 2


def test_fit_names_both_lengths_when_they_differ(iris: Any) -> None:
    x, y = iris
    with pytest.raises(InvalidInputError, match="x has 150 rows but y has 149 labels"):
        fit(LogisticRegression(), x, y[:-1])


def test_fit_checks_lengths_after_preprocess(iris: Any) -> None:
    x, y = iris
    with pytest.raises(InvalidInputError, match="returned x with 150 rows but y with 10"):
        fit(LogisticRegression(), x, y, preprocess=lambda x, y: (x, y[:10]))


def test_fit_with_one_class_raises_not_enough_labels() -> None:
    with pytest.raises(NotEnoughLabelsError, match="have 3 labels, all 'cat'"):
        fit(LogisticRegression(), [[0.0], [1.0], [2.0]], ["cat", "cat", "cat"])


def test_not_enough_labels_is_an_invalid_input_error() -> None:
    assert issubclass(NotEnoughLabelsError, InvalidInputError)
    assert issubclass(NotEnoughLabelsError, ValueError)


@pytest.mark.parametrize(
    ("y", "message"),
    [
        ([], "no labels yet"),
        (["cat"], "have 1 label, 'cat'"),
        ([2, 2], "have 2 labels, all 2"),
        (np.array([[1, 0], [1, 1]]), "option 0 is present in all 2 labelled items"),
        (np.array([[1, 0], [0, 0]]), "option 1 is absent from all 2 labelled items"),
    ],
)
def test_check_training_data_explains_what_is_missing(y: Any, message: str) -> None:
    with pytest.raises(NotEnoughLabelsError, match=message):
        check_training_data(y)


def test_check_training_data_names_options_when_given() -> None:
    with pytest.raises(NotEnoughLabelsError, match="option 'blue' is absent"):
        check_training_data(np.array([[1, 0], [0, 0]]), options=["red", "blue"])


def test_check_training_data_accepts_two_classes() -> None:
    check_training_data(["cat", "dog"])
    check_training_data(np.array([[1, 0], [0, 1]]))


def test_cv_folds_adapts_to_the_smallest_class() -> None:
    assert cv_folds([0] * 10 + [1] * 3) == 3
    assert cv_folds([0] * 10 + [1] * 2) == 2
    assert cv_folds([0] * 10 + [1] * 30) == 5


def test_cv_folds_refuses_a_class_with_one_label() -> None:
    with pytest.raises(NotEnoughLabelsError, match="class 'b' has only 1 label"):
        cv_folds(["a", "a", "a", "b"])


def test_cv_splits_are_stratified_and_seeded() -> None:
    y = np.array([0] * 6 + [1] * 3)
    splits = cv_splits(y)
    assert len(splits) == 3
    for train, test in splits:
        assert np.bincount(y[test]).tolist() == [2, 1]
        assert len(np.intersect1d(train, test)) == 0
    again = cv_splits(y)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, again, strict=True))


def test_cv_splits_for_multilabel_keep_both_values_in_every_training_fold() -> None:
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0], [0, 1]])
    splits = cv_splits(y)
    assert len(splits) == 3
    for train, _ in splits:
        assert set(y[train, 0].tolist()) == {0, 1}
        assert set(y[train, 1].tolist()) == {0, 1}


def test_cv_splits_for_multilabel_refuse_a_rare_option() -> None:
    y = np.array([[1, 0], [0, 1], [1, 0], [0, 0], [1, 0], [0, 0]])
    with pytest.raises(NotEnoughLabelsError, match=r"option 1 .* only 1 label"):
        cv_splits(y)


def test_evaluate_is_cross_validated_accuracy(iris: Any) -> None:
    x, y = iris
    score = evaluate(LogisticRegression(max_iter=500), x, y)
    assert score is not None
    assert 0.9 < score <= 1.0


def test_evaluate_returns_none_and_logs_why_for_a_single_label_class(
    iris: Any, caplog: pytest.LogCaptureFixture
) -> None:
    x, y = iris
    keep = np.r_[0:10, 50:60, 100]
    with caplog.at_level(logging.INFO, logger="labelloop.learn.model"):
        assert evaluate(LogisticRegression(max_iter=500), x[keep], y[keep]) is None
    assert "class 2 has only 1 label" in caplog.text


def test_evaluate_with_two_per_class_uses_two_folds(iris: Any) -> None:
    x, y = iris
    keep = np.r_[0:2, 50:52, 100:102]
    score = evaluate(DecisionTreeClassifier(random_state=0), x[keep], y[keep])
    assert score is not None
    assert score in {0.0, 1 / 3, 2 / 3, 1.0}


def test_evaluate_uses_a_custom_method_as_given(iris: Any) -> None:
    x, y = iris
    seen: list[Any] = []

    def half(model: Any, x: Any, y: Any) -> float:
        seen.append((model, len(x), len(y)))
        return 0.5

    model = LogisticRegression()
    assert evaluate(model, x, y, eval_method=half) == 0.5
    assert seen == [(model, 150, 150)]


def test_evaluate_scores_multilabel_with_subset_accuracy(iris: Any) -> None:
    x, y = iris
    indicator = np.stack([y == 0, y == 2], axis=1).astype(int)
    score = evaluate(wrap_multilabel(LogisticRegression(max_iter=500)), x, indicator)
    assert score is not None
    assert 0.85 < score <= 1.0


def test_wrap_multilabel_fits_an_indicator_matrix(iris: Any) -> None:
    x, y = iris
    indicator = np.stack([y == 0, y != 0], axis=1).astype(int)
    fitted = fit(wrap_multilabel(LogisticRegression(max_iter=500)), x, indicator)
    assert fitted.predict(x[:1]).tolist() == [[1, 0]]


def test_wrap_multilabel_refuses_a_model_without_predict_proba() -> None:
    with pytest.raises(InvalidInputError, match="predict_proba"):
        wrap_multilabel(SVC())


def test_predict_pool_matches_predict_proba_across_chunks(iris: Any) -> None:
    x, y = iris
    fitted = fit(LogisticRegression(max_iter=500), x, y)
    proba = predict_pool(fitted, x, chunk_size=7)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, fitted.predict_proba(x))


def test_predict_pool_slices_dataframes_by_position(iris: Any) -> None:
    x, y = iris
    frame = pd.DataFrame(x, index=np.arange(150) * 10)
    fitted = fit(LogisticRegression(max_iter=500), frame, y)
    np.testing.assert_allclose(predict_pool(fitted, frame, chunk_size=40), fitted.predict_proba(x))


def test_predict_pool_runs_through_the_active_joblib_backend(iris: Any) -> None:
    x, y = iris
    fitted = fit(LogisticRegression(max_iter=500), x, y)
    submitted: list[int] = []

    class CountingBackend(ThreadingBackend):  # type: ignore[misc]
        def submit(self, func: Any, callback: Any = None) -> Any:
            submitted.append(1)
            return super().submit(func, callback)

    register_parallel_backend("labelloop-test-counting", CountingBackend)
    with joblib.parallel_config(backend="labelloop-test-counting", n_jobs=2):
        proba = predict_pool(fitted, x, chunk_size=10)
    assert submitted
    np.testing.assert_allclose(proba, fitted.predict_proba(x))


def test_predict_pool_stacks_multi_output_probabilities(iris: Any) -> None:
    x, y = iris
    indicator = np.stack([y == 0, y == 1, y == 2], axis=1).astype(int)
    fitted = fit(wrap_multilabel(LogisticRegression(max_iter=500)), x, indicator)
    proba = predict_pool(fitted, x, chunk_size=50)
    assert proba.shape == (150, 2, 3)
    for j, per_output in enumerate(fitted.predict_proba(x)):
        np.testing.assert_allclose(proba[:, :, j], per_output)


def test_predict_pool_places_a_single_seen_value_in_its_own_column() -> None:
    x = np.arange(8, dtype=float).reshape(-1, 1)
    indicator = np.array([[1, 0], [1, 1]] * 4)  # option 0 is always present
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(x, indicator)
    proba = predict_pool(model, x)
    assert proba.shape == (8, 2, 2)
    np.testing.assert_allclose(proba[:, :, 0], np.tile([0.0, 1.0], (8, 1)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_predict_pool_of_an_empty_pool_has_the_right_shape(iris: Any) -> None:
    x, y = iris
    fitted = fit(LogisticRegression(max_iter=500), x, y)
    assert predict_pool(fitted, x[:0]).shape == (0, 3)


def test_predict_pool_refuses_a_zero_chunk_size(iris: Any) -> None:
    x, y = iris
    fitted = fit(LogisticRegression(max_iter=500), x, y)
    with pytest.raises(InvalidInputError, match="chunk_size"):
        predict_pool(fitted, x, chunk_size=0)
