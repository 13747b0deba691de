"""Label values: checking them against a project's options, and their text form.

A single-label project stores the option's text (``"cat"``, ``"3"``); a
multi-label one stores a JSON array of option texts in option order, so the
column reads well in SQL and facets count real classes.
"""

from __future__ import annotations

import json
from typing import Any

from labelloop.errors import InvalidInputError
from labelloop.store.projects import ProjectSettings


def to_text(settings: ProjectSettings, value: Any) -> str:
    """Validate ``value`` against the project's options and return its stored text.

    Raises
    ------
    InvalidInputError
        If the value is not one of the options (naming the valid ones), or a
        multi-label value is not a list of options.
    """
    if settings.multilabel:
        return _multilabel_text(settings, value)
    return _single_text(settings, value)


def from_text(settings: ProjectSettings, text: str) -> Any:
    """The Python value of a stored label: the option itself (int stays int)."""
    by_text = {str(option): option for option in settings.options}
    if settings.multilabel:
        return [by_text.get(part, part) for part in json.loads(text)]
    return by_text.get(text, text)


def _single_text(settings: ProjectSettings, value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        raise InvalidInputError(
            f"label {value!r} is a collection, but project is single-label: give one option"
        )
    text = str(value)
    known = {str(option) for option in settings.options}
    free_text = not settings.options or settings.allow_other
    if text in known or (free_text and isinstance(value, str) and text.strip()):
        return text
    raise InvalidInputError(_not_an_option(settings, value))


def _multilabel_text(settings: ProjectSettings, value: Any) -> str:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise InvalidInputError(
            f"label {value!r} must be a list of options for a multi-label project"
        )
    order = {str(option): i for i, option in enumerate(settings.options)}
    texts = {str(part) for part in value}
    for text in sorted(texts):
        if text not in order and not (settings.allow_other and text.strip()):
            raise InvalidInputError(_not_an_option(settings, text))
    ordered = sorted(texts, key=lambda t: (order.get(t, len(order)), t))
    return json.dumps(ordered)


def _not_an_option(settings: ProjectSettings, value: Any) -> str:
    return f"label {value!r} is not one of the project's options {list(settings.options)}"
