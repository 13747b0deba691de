import numpy as np
import pytest

from labelloop.errors import InvalidInputError
from labelloop.learn import acquisition
from labelloop.learn.acquisition import (
    certainty,
    entropy,
    get_acquisition,
    margin,
    priorities,
    random,
    rank,
    validate_proba,
)

MARGIN_ROWS = np.array(
    [
        [0.1, 0.8, 0.1],
        [0.3, 0.3, 0.4],
        [0.33, 0.33, 0.34],
        [0.01, 0.01, 0.98],
    ]
)


def _random_proba(n: int, k: int, seed: int = 0) -> np.ndarray:
    values = np.random.default_rng(seed).random((n, k))
    normalised: np.ndarray = values / values.sum(axis=1, keepdims=True)
    return normalised


def test_margin_ranks_smallest_margin_first() -> None:
    assert rank(margin(MARGIN_ROWS)).tolist() == [2, 1, 0, 3]


def test_margin_is_negative_gap_between_top_two() -> None:
    np.testing.assert_allclose(margin(MARGIN_ROWS), [-0.7, -0.1, -0.01, -0.97])


def test_margin_with_many_classes_matches_few_class_path() -> None:
    proba = _random_proba(50, 40, seed=1)
    ordered = np.sort(proba, axis=1)
    np.testing.assert_allclose(margin(proba), ordered[:, -2] - ordered[:, -1])


def test_margin_counts_a_tie_at_the_top_as_zero_gap() -> None:
    np.testing.assert_allclose(margin([[0.4, 0.4, 0.2]]), [0.0])


def test_entropy_is_log_k_for_uniform_and_zero_for_one_hot() -> None:
    scores = entropy([[0.25] * 4, [0.0, 1.0, 0.0, 0.0]])
    np.testing.assert_allclose(scores, [np.log(4), 0.0], atol=1e-12)


def test_entropy_matches_definition_on_hand_made_rows() -> None:
    rows = np.array([[0.5, 0.25, 0.25], [0.9, 0.1, 0.0]])
    expected = [
        -(0.5 * np.log(0.5) + 2 * 0.25 * np.log(0.25)),
        -(0.9 * np.log(0.9) + 0.1 * np.log(0.1)),
    ]
    np.testing.assert_allclose(entropy(rows), expected)


def test_entropy_with_many_classes_matches_definition() -> None:
    proba = _random_proba(20, 30, seed=2)
    np.testing.assert_allclose(entropy(proba), -(proba * np.log(proba)).sum(axis=1))


def test_certainty_is_one_minus_top_probability() -> None:
    np.testing.assert_allclose(certainty(MARGIN_ROWS), [0.2, 0.6, 0.66, 0.02])


def test_certainty_with_many_classes_matches_definition() -> None:
    proba = _random_proba(20, 30, seed=3)
    np.testing.assert_allclose(certainty(proba), 1 - proba.max(axis=1))


def test_scores_are_float64_for_float32_input() -> None:
    proba = MARGIN_ROWS.astype(np.float32)
    for function in (entropy, margin, certainty):
        assert function(proba).dtype == np.float64


def test_scores_cover_every_row_across_block_boundaries() -> None:
    proba = _random_proba(acquisition._BLOCK_ELEMENTS // 3 + 7, 3, seed=4)
    np.testing.assert_allclose(certainty(proba), 1 - proba.max(axis=1))
    np.testing.assert_allclose(entropy(proba), -(proba * np.log(proba)).sum(axis=1))


def test_multi_output_scores_are_the_mean_over_outputs() -> None:
    first = np.array([[0.5, 0.5], [0.9, 0.1]])
    second = np.array([[1.0, 0.0], [0.7, 0.3]])
    stacked = np.stack([first, second], axis=2)
    assert stacked.shape == (2, 2, 2)
    for function in (entropy, margin, certainty):
        expected = (function(first) + function(second)) / 2
        np.testing.assert_allclose(function(stacked), expected)
    np.testing.assert_allclose(margin(stacked), [-0.5, -0.6])


def test_multi_output_with_many_classes_matches_per_output_mean() -> None:
    outputs = [_random_proba(30, 20, seed=s) for s in range(3)]
    stacked = np.stack(outputs, axis=2)
    for function in (entropy, margin, certainty):
        expected = np.mean([function(o) for o in outputs], axis=0)
        np.testing.assert_allclose(function(stacked), expected)


def test_random_is_reproducible_with_a_seed_and_in_unit_interval() -> None:
    first = random(MARGIN_ROWS, random_state=7)
    assert np.array_equal(first, random(MARGIN_ROWS, random_state=7))
    assert not np.array_equal(first, random(MARGIN_ROWS, random_state=8))
    assert first.shape == (4,)
    assert ((first >= 0) & (first < 1)).all()


def test_get_acquisition_resolves_names() -> None:
    assert get_acquisition("entropy") is entropy
    assert get_acquisition("margin") is margin
    assert get_acquisition("certainty") is certainty


def test_get_acquisition_random_uses_the_seed() -> None:
    first = get_acquisition("random", random_state=3)(MARGIN_ROWS)
    second = get_acquisition("random", random_state=3)(MARGIN_ROWS)
    assert np.array_equal(first, second)


def test_get_acquisition_passes_callables_through() -> None:
    def custom(proba: object) -> np.ndarray:
        return np.zeros(2)

    assert get_acquisition(custom) is custom


def test_get_acquisition_unknown_name_lists_valid_names() -> None:
    with pytest.raises(InvalidInputError, match=r"'entrop'.*'entropy'.*'margin'.*'random'"):
        get_acquisition("entrop")


@pytest.mark.parametrize(
    ("proba", "message"),
    [
        (np.array([0.5, 0.5]), r"got 1-D shape \(2,\)"),
        (np.ones((2, 1)), "at least 2 classes"),
        (np.array([[0.5, np.nan]]), "NaN or infinity in row 0"),
        (np.array([[0.5, 0.5], [1.5, -0.5]]), "must not be negative; row 1"),
        (np.array([[0.5, 0.5], [0.5, 0.5], [2.0, 3.0]]), "row 2 sums to"),
        (np.array([["a", "b"]]), "must be numbers"),
    ],
)
def test_validate_proba_names_the_problem(proba: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        validate_proba(proba)


def test_validate_proba_reports_bad_row_in_a_later_block() -> None:
    proba = np.full((acquisition._BLOCK_ELEMENTS, 2), 0.5)
    proba[-1] = [0.9, 0.9]
    with pytest.raises(InvalidInputError, match=f"row {proba.shape[0] - 1} sums"):
        validate_proba(proba)


def test_validate_proba_checks_every_output() -> None:
    proba = np.full((3, 2, 2), 0.5)
    proba[1, :, 1] = [0.2, 0.2]
    with pytest.raises(InvalidInputError, match="row 1 sums"):
        validate_proba(proba)


def test_acquisition_functions_validate_their_input() -> None:
    for function in (entropy, margin, certainty, random):
        with pytest.raises(InvalidInputError):
            function([[0.2, 0.2]])


def test_validate_proba_accepts_float_rounding_and_returns_array() -> None:
    proba = [[0.1 + 1e-9, 0.9], [1.0, 0.0]]
    assert validate_proba(proba).shape == (2, 2)


def test_rank_is_stable_for_ties() -> None:
    assert rank([1.0, 3.0, 1.0, 3.0, 2.0]).tolist() == [1, 3, 4, 0, 2]


def test_rank_refuses_nan_and_wrong_shape() -> None:
    with pytest.raises(InvalidInputError, match="NaN at index 1"):
        rank([0.1, np.nan])
    with pytest.raises(InvalidInputError, match="1-D"):
        rank([[0.1]])


def test_priorities_without_shuffle_follow_the_ranking() -> None:
    result = priorities(MARGIN_ROWS, "margin")
    np.testing.assert_allclose(result, [0.5, 0.75, 1.0, 0.25])
    assert rank(result).tolist() == [2, 1, 0, 3]


def test_priorities_full_shuffle_is_a_seeded_permutation() -> None:
    proba = _random_proba(200, 3, seed=5)
    first = priorities(proba, "entropy", shuffle_prop=1.0, random_state=1)
    again = priorities(proba, "entropy", shuffle_prop=1.0, random_state=1)
    assert np.array_equal(first, again)
    assert sorted(first.tolist()) == sorted(priorities(proba, "entropy").tolist())
    assert rank(first).tolist() != rank(entropy(proba)).tolist()


def test_priorities_shuffle_prop_moves_that_share_of_positions() -> None:
    proba = _random_proba(1000, 4, seed=6)
    pure = rank(priorities(proba, "margin"))
    mixed = rank(priorities(proba, "margin", shuffle_prop=0.2, random_state=0))
    moved = np.count_nonzero(pure != mixed)
    assert 150 <= moved <= 200  # 200 positions drawn, a few keep their own item
    top = set(pure[:100].tolist())
    strangers = sum(item not in top for item in mixed[:100].tolist())
    assert 10 <= strangers <= 30


def test_priorities_refuses_shuffle_prop_outside_unit_interval() -> None:
    with pytest.raises(InvalidInputError, match="shuffle_prop"):
        priorities(MARGIN_ROWS, shuffle_prop=1.5)


def test_priorities_of_an_empty_pool_is_empty() -> None:
    assert priorities(np.empty((0, 3)), "entropy", shuffle_prop=0.5).shape == (0,)
