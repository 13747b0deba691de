"""The IO-free core of active learning: NumPy arrays in, NumPy arrays out.

Nothing here reads or writes a database, a file or a socket; scikit-learn is
imported only inside the functions that fit or predict.
"""

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
from labelloop.learn.batch import diverse_batch, select_batch
from labelloop.learn.committee import bald, committee_proba, committee_scores, vote_entropy
from labelloop.learn.label_errors import (
    find_label_issues,
    flag_label_issues,
    label_issue_scores,
    out_of_fold_proba,
)
from labelloop.learn.labels import agreed_labels, from_indicator, to_indicator
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
from labelloop.learn.stopping import (
    StoppingMonitor,
    StopSignal,
    learning_curve_gain,
    prediction_agreement,
    stopping_signal,
)

__all__ = [
    "NotEnoughLabelsError",
    "StopSignal",
    "StoppingMonitor",
    "agreed_labels",
    "bald",
    "certainty",
    "check_model",
    "check_training_data",
    "committee_proba",
    "committee_scores",
    "cv_folds",
    "cv_splits",
    "diverse_batch",
    "entropy",
    "evaluate",
    "find_label_issues",
    "fit",
    "flag_label_issues",
    "from_indicator",
    "get_acquisition",
    "label_issue_scores",
    "learning_curve_gain",
    "margin",
    "out_of_fold_proba",
    "predict_pool",
    "prediction_agreement",
    "priorities",
    "random",
    "rank",
    "select_batch",
    "stopping_signal",
    "to_indicator",
    "validate_proba",
    "vote_entropy",
    "wrap_multilabel",
]
