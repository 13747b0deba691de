import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from labelloop.errors import InvalidInputError
from labelloop.learn.stopping import (
    StoppingMonitor,
    learning_curve_gain,
    prediction_agreement,
    stopping_signal,
)


def test_agreement_is_cohens_kappa_on_a_hand_made_pair() -> None:
    # observed 0.75; chance 0.5 * 0.25 + 0.5 * 0.75 = 0.5; kappa (0.75 - 0.5) / 0.5
    assert prediction_agreement([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx(0.5)


def test_agreement_matches_scikit_learn_on_string_labels() -> None:
    rng = np.random.default_rng(0)
    before = rng.choice(["cat", "dog", "eel"], size=200)
    after = np.where(rng.random(200) < 0.8, before, rng.choice(["cat", "dog", "eel"], size=200))
    expected = cohen_kappa_score(before, after)
    assert prediction_agreement(before, after) == pytest.approx(expected)


def test_identical_predictions_agree_fully_even_when_constant() -> None:
    assert prediction_agreement([1, 2, 3], [1, 2, 3]) == 1.0
    assert prediction_agreement(["a", "a"], ["a", "a"]) == 1.0


def test_opposite_binary_predictions_have_negative_kappa() -> None:
    assert prediction_agreement([0, 1, 0, 1], [1, 0, 1, 0]) == pytest.approx(-1.0)


def test_multilabel_agreement_is_the_mean_over_options() -> None:
    before = np.array([[0, 1], [0, 0], [1, 1], [1, 0]])
    after = np.array([[0, 1], [1, 0], [1, 1], [1, 1]])
    first = prediction_agreement(before[:, 0], after[:, 0])
    second = prediction_agreement(before[:, 1], after[:, 1])
    assert prediction_agreement(before, after) == pytest.approx((first + second) / 2)


def test_agreement_refuses_mismatched_or_empty_predictions() -> None:
    with pytest.raises(InvalidInputError, match=r"got shapes \(2,\) and \(3,\)"):
        prediction_agreement([0, 1], [0, 1, 1])
    with pytest.raises(InvalidInputError, match="non-empty"):
        prediction_agreement([], [])


def test_learning_curve_gain_is_slope_times_span() -> None:
    gain = learning_curve_gain([10, 20, 30, 40, 50], [0.1, 0.5, 0.6, 0.7, 0.8], window=3)
    assert gain == pytest.approx(0.3)  # the last 4 runs: 0.01 per label over 30 labels


def test_learning_curve_gain_skips_unscored_runs_and_needs_two() -> None:
    assert learning_curve_gain([10, 20], [None, 0.5]) is None
    assert learning_curve_gain([10, 20, 30], [None, 0.5, 0.5]) == pytest.approx(0.0)


def test_learning_curve_gain_refuses_unequal_lengths() -> None:
    with pytest.raises(InvalidInputError, match="got 2 and 1"):
        learning_curve_gain([10, 20], [0.5])


def test_stable_predictions_over_a_full_window_say_stop() -> None:
    signal = stopping_signal([0.3, 0.7, 0.992, 0.995, 0.999])
    assert signal.should_stop
    assert signal.settled == 1.0
    assert signal.mean_agreement == pytest.approx((0.992 + 0.995 + 0.999) / 3)
    assert "more labels are unlikely" in signal.reason


def test_one_unstable_retrain_in_the_window_keeps_going() -> None:
    signal = stopping_signal([0.999, 0.999, 0.95, 0.999])
    assert not signal.should_stop
    assert 0.5 < signal.settled < 1.0
    assert "still changing" in signal.reason


def test_settled_is_on_a_log_scale_of_disagreement() -> None:
    assert stopping_signal([0.9, 0.9, 0.9]).settled == pytest.approx(0.5)
    assert stopping_signal([0.0, 0.0, 0.0]).settled == 0.0
    assert stopping_signal([-0.2, -0.2, -0.2]).settled == 0.0
    expected = math.log(0.03) / math.log(0.01)
    assert stopping_signal([0.97] * 3).settled == pytest.approx(expected)


def test_too_few_retrains_never_stop() -> None:
    signal = stopping_signal([1.0, 1.0])
    assert not signal.should_stop
    assert signal.settled == pytest.approx(2 / 3)
    assert "1 more retrain(s) needed" in signal.reason
    assert stopping_signal([]).settled == 0.0


def test_a_rising_learning_curve_holds_off_the_stop() -> None:
    signal = stopping_signal(
        [0.995, 0.995, 0.995], n_labels=[10, 20, 30, 40], scores=[0.60, 0.65, 0.70, 0.75]
    )
    assert not signal.should_stop
    assert signal.gain == pytest.approx(0.15)
    assert signal.settled == pytest.approx(0.005 / 0.15)
    assert "still rose by 0.150" in signal.reason


def test_a_flat_learning_curve_and_stable_predictions_stop() -> None:
    signal = stopping_signal(
        [0.995, 0.995, 0.995], n_labels=[10, 20, 30, 40], scores=[0.90, 0.902, 0.901, 0.903]
    )
    assert signal.should_stop
    assert signal.settled == 1.0


def test_unscored_runs_delay_the_stop() -> None:
    signal = stopping_signal(
        [0.995, 0.995, 0.995], n_labels=[10, 20, 30, 40], scores=[None, None, 0.9, 0.9]
    )
    assert not signal.should_stop
    assert signal.settled == pytest.approx(0.5)
    assert "2 more scored run(s) needed" in signal.reason


def test_stopping_signal_refuses_bad_settings() -> None:
    with pytest.raises(InvalidInputError, match="kappa_threshold"):
        stopping_signal([0.9], kappa_threshold=1.0)


def test_monitor_compares_successive_predictions() -> None:
    monitor = StoppingMonitor(window=2)
    first = monitor.update([0, 1, 1, 0])
    assert first.mean_agreement is None
    assert not first.should_stop
    monitor.update([0, 1, 1, 1])
    assert monitor.agreements == [pytest.approx(0.5)]
    monitor.update([0, 1, 1, 1])
    signal = monitor.update([0, 1, 1, 1])
    assert monitor.agreements[1:] == [1.0, 1.0]
    assert signal.should_stop


def test_monitor_with_scores_waits_for_the_curve_to_flatten() -> None:
    monitor = StoppingMonitor(window=2)
    predictions = [0, 1, 1, 0, 1]
    signals = [
        monitor.update(predictions, n_labels=n, score=s)
        for n, s in [(10, 0.5), (20, 0.6), (30, 0.7), (40, 0.702), (50, 0.703)]
    ]
    assert [s.should_stop for s in signals] == [False, False, False, False, True]
    assert signals[3].gain == pytest.approx(0.102)  # (0.702 - 0.6) over runs 2-4
    assert signals[-1].gain == pytest.approx(0.003)  # (0.703 - 0.7) over runs 3-5
