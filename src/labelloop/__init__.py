"""labelloop: human-in-the-loop labelling with active learning.

Put items in a project, label them in a notebook or a browser, let a model
choose what to label next. ``import labelloop`` stays light: NumPy,
SQLAlchemy and the store load here; scikit-learn, pandas, Jupyter and the
web server load only when used.
"""

from labelloop.errors import (
    DuplicateItemError,
    InvalidInputError,
    LabelloopError,
    LeaseError,
    MissingExtraError,
    NothingToUndoError,
    StoreUnavailableError,
    UnknownAnnotatorError,
    UnknownItemError,
    UnknownProjectError,
)
from labelloop.project import Project
from labelloop.store import Database, Lease, Progress

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # the widget needs anywidget/Jupyter: import it only when asked for
    if name == "Labeller":
        from labelloop.ui.widget import Labeller

        return Labeller
    raise AttributeError(f"module 'labelloop' has no attribute {name!r}")


__all__ = [
    "Database",
    "DuplicateItemError",
    "InvalidInputError",
    "Labeller",
    "LabelloopError",
    "Lease",
    "LeaseError",
    "MissingExtraError",
    "NothingToUndoError",
    "Progress",
    "Project",
    "StoreUnavailableError",
    "UnknownAnnotatorError",
    "UnknownItemError",
    "UnknownProjectError",
    "__version__",
]
