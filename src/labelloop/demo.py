"""The demo project: scikit-learn's handwritten digits, ready to label."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelloop.errors import UnknownProjectError
from labelloop.project import Project

DIGITS = list(range(10))


def digits_model() -> Any:
    """The demo's model: scaled pixels into a logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    return make_pipeline(MinMaxScaler(), LogisticRegression(max_iter=1000))


def build_digits(db: str | Path, name: str = "digits") -> Project:
    """Open (or create and fill) a project of the 1,797 8x8 digit images.

    The true digit is kept in each item's metadata as ``target`` so a
    simulated annotator or an evaluation can use it; it is not a label.
    """
    try:
        return Project(db, name)
    except UnknownProjectError:
        pass
    from sklearn.datasets import load_digits

    digits = load_digits()
    project = Project(db, name, options=DIGITS)
    metadata = [{"target": int(t)} for t in digits.target]
    project.add_items(digits.images.astype("uint8"), metadata=metadata)
    project.add_annotator("demo")
    project.use_model("labelloop.demo:digits_model", "entropy")
    return project
