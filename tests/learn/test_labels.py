import numpy as np
import pytest

from labelloop.errors import InvalidInputError
from labelloop.learn.labels import agreed_labels, from_indicator, to_indicator


def test_agreed_labels_keeps_the_majority_and_leaves_ties_out() -> None:
    labels, keep, n_ties = agreed_labels(
        [["cat", "cat", "dog"], ["cat", "dog"], ["dog"], [], ["a", "b", "b", "a", "c"]]
    )
    assert labels == ["cat", None, "dog", None, None]
    assert keep.tolist() == [True, False, True, False, False]
    assert n_ties == 2


def test_agreed_labels_compares_label_sets_as_wholes() -> None:
    red, red_blue = frozenset({"red"}), frozenset({"red", "blue"})
    labels, keep, n_ties = agreed_labels([[red, red_blue, red_blue]])
    assert labels == [red_blue]
    assert keep.tolist() == [True]
    assert n_ties == 0


def test_agreed_labels_of_no_items_is_empty() -> None:
    labels, keep, n_ties = agreed_labels([])
    assert labels == []
    assert keep.shape == (0,)
    assert keep.dtype == np.bool_
    assert n_ties == 0


def test_to_indicator_follows_the_option_order() -> None:
    matrix = to_indicator([{"b"}, {"c", "a"}, set()], options=["c", "b", "a"])
    assert matrix.tolist() == [[0, 1, 0], [1, 0, 1], [0, 0, 0]]
    assert matrix.dtype == np.int8


def test_to_indicator_refuses_an_unknown_label() -> None:
    with pytest.raises(InvalidInputError, match=r"item 1 has label 'x'.*\['a', 'b'\]"):
        to_indicator([["a"], ["x"]], options=["a", "b"])


def test_options_must_be_unique_and_not_empty() -> None:
    with pytest.raises(InvalidInputError, match="repeated: 'a'"):
        to_indicator([["a"]], options=["a", "b", "a"])
    with pytest.raises(InvalidInputError, match="must not be empty"):
        to_indicator([], options=[])


def test_from_indicator_round_trips_to_indicator() -> None:
    options = ["red", "green", "blue"]
    sets = [["red", "blue"], [], ["green"]]
    assert from_indicator(to_indicator(sets, options), options) == sets


def test_from_indicator_accepts_booleans() -> None:
    assert from_indicator(np.array([[True, False]]), ["a", "b"]) == [["a"]]


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.array([[1, 0, 1]]), r"shape \(n_items, 2\)"),
        (np.array([1, 0]), r"got shape \(2,\)"),
        (np.array([[0.7, 0.3]]), "only 0 and 1"),
    ],
)
def test_from_indicator_refuses_malformed_matrices(matrix: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        from_indicator(matrix, ["a", "b"])
