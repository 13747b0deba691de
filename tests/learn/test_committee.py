from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import (
    BaggingClassifier,
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from labelloop.errors import InvalidInputError
from labelloop.learn.acquisition import entropy
from labelloop.learn.committee import bald, committee_proba, committee_scores, vote_entropy


@pytest.fixture(scope="module")
def iris_named() -> tuple[np.ndarray, np.ndarray]:
    x, y = load_iris(return_X_y=True)
    return x, np.array(["setosa", "versicolor", "virginica"])[y]


def test_vote_entropy_is_entropy_of_the_vote_shares() -> None:
    members = np.array(
        [
            [[0.9, 0.1, 0.0], [0.6, 0.3, 0.1]],
            [[0.8, 0.2, 0.0], [0.1, 0.8, 0.1]],
            [[0.4, 0.6, 0.0], [0.2, 0.2, 0.6]],
        ]
    )
    expected_first = -(2 / 3 * np.log(2 / 3) + 1 / 3 * np.log(1 / 3))
    np.testing.assert_allclose(vote_entropy(members), [expected_first, np.log(3)])


def test_vote_entropy_is_zero_when_all_members_vote_alike() -> None:
    members = np.array([[[0.6, 0.4]], [[0.9, 0.1]], [[0.51, 0.49]]])
    np.testing.assert_allclose(vote_entropy(members), [0.0])


def test_bald_is_entropy_of_mean_minus_mean_entropy() -> None:
    members = np.array([[[0.9, 0.1], [0.5, 0.5]], [[0.1, 0.9], [0.5, 0.5]]])
    h = -(0.9 * np.log(0.9) + 0.1 * np.log(0.1))
    np.testing.assert_allclose(bald(members), [np.log(2) - h, 0.0], atol=1e-12)


def test_bald_ranks_confident_disagreement_above_shared_doubt() -> None:
    members = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.5, 0.5]]])
    scores = bald(members)
    assert scores[0] > scores[1]
    assert (scores >= 0).all()


def test_committee_measures_refuse_a_wrong_shape() -> None:
    with pytest.raises(InvalidInputError, match="n_members, n_samples, n_classes"):
        bald([[0.5, 0.5]])
    with pytest.raises(InvalidInputError, match="n_members, n_samples, n_classes"):
        vote_entropy(np.zeros((0, 2, 2)))


@pytest.mark.parametrize("forest", [RandomForestClassifier, ExtraTreesClassifier])
def test_committee_proba_averages_to_the_forest_prediction(forest: Any, iris_named: Any) -> None:
    x, y = iris_named
    model = forest(n_estimators=7, max_depth=3, random_state=0).fit(x, y)
    members = committee_proba(model, x)
    assert members.shape == (7, 150, 3)
    np.testing.assert_allclose(members.mean(axis=0), model.predict_proba(x))


def test_committee_proba_maps_bagging_members_missing_a_class(iris_named: Any) -> None:
    x, y = iris_named
    model = BaggingClassifier(
        KNeighborsClassifier(n_neighbors=1),  # no sample_weight: members see a subsample
        n_estimators=6,
        max_samples=3,
        max_features=0.5,
        random_state=0,
    ).fit(x, y)
    assert any(len(member.classes_) < 3 for member in model.estimators_)
    members = committee_proba(model, x)
    np.testing.assert_allclose(members.mean(axis=0), model.predict_proba(x))


class _Committee:
    """A hand-assembled committee whose members were trained on the raw labels."""

    def __init__(self, members: list[Any]) -> None:
        self.estimators_ = members
        self.classes_ = np.unique(np.concatenate([m.classes_ for m in members]))


def test_committee_proba_matches_members_by_value_for_other_ensembles(iris_named: Any) -> None:
    x, y = iris_named
    first = LogisticRegression(max_iter=500).fit(x[:100], y[:100])  # setosa, versicolor
    second = LogisticRegression(max_iter=500).fit(x[50:], y[50:])  # versicolor, virginica
    members = committee_proba(_Committee([first, second]), x)
    np.testing.assert_allclose(members[0][:, :2], first.predict_proba(x))
    np.testing.assert_allclose(members[0][:, 2], 0.0)
    np.testing.assert_allclose(members[1][:, 1:], second.predict_proba(x))
    np.testing.assert_allclose(members[1][:, 0], 0.0)


def test_committee_proba_accepts_a_dataframe_without_feature_name_warnings(
    iris_named: Any,
) -> None:
    x, y = iris_named
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(frame, y)
    members = committee_proba(model, frame[["d", "c", "b", "a"]])
    np.testing.assert_allclose(members.mean(axis=0), model.predict_proba(frame))


def test_committee_proba_refuses_models_without_a_committee(iris_named: Any) -> None:
    x, y = iris_named
    with pytest.raises(InvalidInputError, match="no fitted members"):
        committee_proba(LogisticRegression(max_iter=1000).fit(x, y), x)
    boosted = GradientBoostingClassifier(n_estimators=2).fit(x, y)
    with pytest.raises(InvalidInputError, match="members of GradientBoostingClassifier have no"):
        committee_proba(boosted, x)


def test_committee_proba_refuses_multi_output_forests(iris_named: Any) -> None:
    x, y = iris_named
    model = RandomForestClassifier(n_estimators=2, random_state=0).fit(x, np.c_[y, y])
    with pytest.raises(InvalidInputError, match="single-output"):
        committee_proba(model, x)


@pytest.mark.parametrize("measure", ["vote_entropy", "bald"])
def test_committee_scores_in_chunks_equal_scores_at_once(measure: str, iris_named: Any) -> None:
    x, y = iris_named
    model = RandomForestClassifier(n_estimators=5, max_depth=2, random_state=0).fit(x, y)
    whole = {"vote_entropy": vote_entropy, "bald": bald}[measure](committee_proba(model, x))
    np.testing.assert_allclose(committee_scores(model, x, measure, chunk_size=16), whole)
    assert whole.max() > 0


def test_committee_scores_refuses_an_unknown_measure(iris_named: Any) -> None:
    x, y = iris_named
    model = RandomForestClassifier(n_estimators=2, random_state=0).fit(x, y)
    with pytest.raises(InvalidInputError, match="unknown committee measure 'qbc'"):
        committee_scores(model, x, "qbc")


def test_vote_entropy_of_fully_grown_trees_equals_entropy_of_the_forest(
    iris_named: Any,
) -> None:
    x, y = iris_named
    model = ExtraTreesClassifier(n_estimators=9, random_state=0).fit(x[::3], y[::3])
    members = committee_proba(model, x)
    assert set(np.unique(members).tolist()) == {0.0, 1.0}  # each tree votes one-hot
    np.testing.assert_allclose(vote_entropy(members), entropy(model.predict_proba(x)))
    np.testing.assert_allclose(bald(members), entropy(model.predict_proba(x)), atol=1e-12)


def test_soft_members_make_bald_differ_from_entropy(iris_named: Any) -> None:
    x, y = iris_named
    model = RandomForestClassifier(n_estimators=9, min_samples_leaf=10, random_state=0)
    model.fit(x[::3], y[::3])
    members = committee_proba(model, x)
    assert not np.allclose(bald(members), entropy(model.predict_proba(x)))
