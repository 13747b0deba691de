"""Exceptions raised by labelloop.

Every error says what was wrong and what to do next. All derive from
:class:`LabelloopError`, so ``except labelloop.LabelloopError`` catches them.
"""

from __future__ import annotations


class LabelloopError(Exception):
    """Base class for every error labelloop raises on purpose."""


class InvalidInputError(LabelloopError, ValueError):
    """Input that cannot be stored as given; nothing was written."""


class UnknownProjectError(LabelloopError, LookupError):
    """A project name that is not in the store."""


class UnknownAnnotatorError(LabelloopError, LookupError):
    """An annotator name that is not in the store."""


class UnknownItemError(LabelloopError, LookupError):
    """An item key that is not in the project."""


class DuplicateItemError(InvalidInputError):
    """Item keys that already exist (or repeat within one call)."""


class LeaseError(LabelloopError):
    """A lease that is expired, unknown, or held by another annotator."""


class NothingToUndoError(LabelloopError, LookupError):
    """Undo with no label of the annotator's own left to undo."""


class StoreUnavailableError(LabelloopError, ConnectionError):
    """The database cannot be reached or opened."""


class SchemaVersionError(LabelloopError):
    """The database was written by a newer labelloop than this one."""


class MissingExtraError(LabelloopError, ImportError):
    """An optional dependency is not installed; the message gives the pip command."""


def require(module: str, extra: str) -> None:
    """Raise :class:`MissingExtraError` if ``module`` cannot be imported.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"pyarrow"``.
    extra : str
        The labelloop extra that installs it, e.g. ``"parquet"``.
    """
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(
            f"{module} is not installed; install it with: pip install 'labelloop[{extra}]'"
        )
