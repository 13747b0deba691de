import time
import warnings

import numpy as np
import pytest

from labelloop.errors import InvalidInputError
from labelloop.learn.batch import diverse_batch, select_batch


def _three_blobs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """30 points around each of 3 far-apart centres; blob 0 holds the top scores."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    blob = np.repeat(np.arange(3), 30)
    features = centres[blob] + rng.normal(scale=0.3, size=(90, 2))
    scores = np.array([0.9, 0.5, 0.4])[blob] + rng.uniform(0, 0.05, size=90)
    return features, scores, blob


def test_top_strategy_returns_the_highest_scores_first() -> None:
    assert select_batch([0.1, 0.9, 0.5, 0.7], 3).tolist() == [1, 3, 2]


def test_top_k_picks_near_duplicates_but_diverse_spreads_over_clusters() -> None:
    features, scores, blob = _three_blobs()
    top = select_batch(scores, 3)
    diverse = select_batch(scores, 3, features, "diverse", candidates=30, random_state=0)
    assert set(blob[top].tolist()) == {0}
    assert sorted(blob[diverse].tolist()) == [0, 1, 2]


def test_diverse_batch_prefers_uncertain_candidates() -> None:
    features, scores, blob = _three_blobs()
    picked = diverse_batch(scores, features, 3, candidates=10, random_state=0)
    assert set(blob[picked].tolist()) == {0}  # only blob 0 is among the 30 candidates
    assert len(set(picked.tolist())) == 3


def test_diverse_batch_is_ordered_by_score_and_distinct() -> None:
    features, scores, _ = _three_blobs()
    picked = diverse_batch(scores, features, 6, candidates=15, random_state=1)
    assert len(set(picked.tolist())) == 6
    assert np.all(np.diff(scores[picked]) <= 0)


def test_diverse_batch_is_reproducible_with_a_seed() -> None:
    rng = np.random.default_rng(2)
    features, scores = rng.normal(size=(500, 5)), rng.random(500)
    first = diverse_batch(scores, features, 10, random_state=3)
    assert np.array_equal(first, diverse_batch(scores, features, 10, random_state=3))


def test_diverse_batch_with_exact_duplicates_still_fills_the_batch() -> None:
    features = np.repeat([[0.0, 0.0], [1.0, 1.0]], 20, axis=0)
    scores = np.linspace(1, 0, 40)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        picked = diverse_batch(scores, features, 5, random_state=0)
    assert len(set(picked.tolist())) == 5
    assert {0, 20} <= set(picked.tolist())  # the best of each distinct point


def test_diverse_batch_with_a_small_pool_returns_it_all_ranked() -> None:
    picked = diverse_batch([0.2, 0.8, 0.5], [[0.0], [1.0], [2.0]], 5)
    assert picked.tolist() == [1, 2, 0]


def test_diverse_batch_on_a_100k_pool_is_quick() -> None:
    rng = np.random.default_rng(4)
    features = rng.normal(size=(100_000, 64)).astype(np.float32)
    scores = rng.random(100_000)
    start = time.perf_counter()
    picked = diverse_batch(scores, features, 20, random_state=0)
    elapsed = time.perf_counter() - start
    assert len(set(picked.tolist())) == 20
    assert elapsed < 5.0  # measured about 0.05 s; generous for a busy machine


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategy": "diverse"}, "needs features"),
        ({"strategy": "spread"}, "unknown batch strategy 'spread'; use one of 'top', 'diverse'"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"strategy": "diverse", "features": np.zeros((2, 2))}, r"got shape \(2, 2\)"),
        ({"strategy": "diverse", "features": np.zeros((3, 2)), "candidates": 0}, "candidates"),
    ],
)
def test_select_batch_explains_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"scores": [0.1, 0.2, 0.3], "batch_size": 2, **kwargs}
    with pytest.raises(InvalidInputError, match=message):
        select_batch(**arguments)  # type: ignore[arg-type]
