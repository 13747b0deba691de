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

__all__ = [
    "certainty",
    "entropy",
    "get_acquisition",
    "margin",
    "priorities",
    "random",
    "rank",
    "validate_proba",
]
