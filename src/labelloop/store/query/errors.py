"""Errors of the read-only data API: each says what was wrong and what is valid.

They derive from :class:`labelloop.LabelloopError`; the web layer turns a
:class:`QueryError` into HTTP 400 and :class:`UnknownTableError` into 404.
"""

from __future__ import annotations

from typing import Any

from labelloop.errors import LabelloopError


class QueryError(LabelloopError, ValueError):
    """A query that cannot run as asked; ``details`` name what is valid.

    Parameters
    ----------
    message : str
        What was wrong, in one sentence that says what to do instead.
    **details
        JSON-ready extras for the caller, e.g. ``valid_columns=[...]``.
    """

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class BadTokenError(QueryError):
    """A ``_next`` token that is malformed or belongs to another query."""


class ReadOnlyError(QueryError):
    """A query that would write, or reach outside the data the API serves."""


class QueryTimeoutError(QueryError):
    """A query that ran past its time limit and was stopped."""


class UnknownTableError(LabelloopError, LookupError):
    """A table name the data API does not serve."""
