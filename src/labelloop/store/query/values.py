"""Values between the query string, the database and the wire, per column type.

Column types are ``int``, ``float``, ``text``, ``bool``, ``datetime`` and
``json`` (JSON documents, served as their text). A value from a query string
becomes a database parameter here (typed for the dialect: SQLite keeps
datetimes as the text SQLAlchemy stores, PostgreSQL takes ``datetime``); a
value read back becomes what JSON and CSV show (ISO 8601 times in UTC,
``true``/``false`` booleans) on both backends alike.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import uuid
from collections.abc import Callable
from typing import Any

from labelloop.store.query.errors import BadTokenError, QueryError

TYPES = ("int", "float", "text", "bool", "datetime", "json")
TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off"})
_INT = re.compile(r"[+-]?[0-9]+")
_INT_RANGE = (-(2**63), 2**63 - 1)
_WHAT = {
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean (1/0, true/false)",
    "datetime": "an ISO 8601 time such as 2024-05-01 or 2024-05-01T12:30:00+00:00",
}

Converter = Callable[[Any], Any]


def parse(column_type: str, text: str, dialect: str) -> Any:
    """A query-string value as a parameter for a column of ``column_type``.

    Parameters
    ----------
    column_type : str
        One of :data:`TYPES`.
    text : str
        The value as it came in the query string.
    dialect : {"sqlite", "postgresql"}
        Where the parameter goes.

    Raises
    ------
    QueryError
        If ``text`` is not a value of that type.
    """
    if "\x00" in text:
        raise QueryError("values cannot contain NUL characters")
    if column_type in ("text", "json"):
        return text
    try:
        return _PARSERS[column_type](text.strip(), dialect)
    except (ValueError, OverflowError):
        raise QueryError(f"{text!r} is not {_WHAT[column_type]}") from None


def flag(text: str, name: str) -> bool:
    """A yes/no query-string value, or QueryError naming the parameter."""
    word = text.strip().lower()
    if word in TRUE_WORDS or word == "":
        return True
    if word in FALSE_WORDS:
        return False
    raise QueryError(f"{name}={text!r}: give 1 or 0 (true or false)")


def _parse_int(text: str, _dialect: str) -> int:
    if not _INT.fullmatch(text):
        raise ValueError(text)
    value = int(text)
    if not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
        raise ValueError(text)
    return value


def _parse_float(text: str, _dialect: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _parse_bool(text: str, dialect: str) -> bool | int:
    word = text.lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ValueError(text)
    value = word in TRUE_WORDS
    return int(value) if dialect == "sqlite" else value


def _parse_datetime(text: str, dialect: str) -> dt.datetime | str:
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return time_param(value, dialect)


def time_param(value: dt.datetime, dialect: str) -> dt.datetime | str:
    """A time as a parameter: SQLite compares the text SQLAlchemy stored (UTC)."""
    if dialect == "sqlite":
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "int": _parse_int,
    "float": _parse_float,
    "bool": _parse_bool,
    "datetime": _parse_datetime,
}


# -- keyset tokens ------------------------------------------------------------


def to_token(value: Any) -> Any:
    """A sort value read from the database, in a JSON-safe form for a token."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value


def from_token(column_type: str, value: Any, dialect: str) -> Any:
    """A token's sort value as a parameter again; BadTokenError if it cannot be."""
    if value is None:
        return None
    expected: dict[str, tuple[type, ...]] = {
        "int": (int,),
        "float": (int, float),
        "text": (str,),
        "json": (str,),
        "bool": (bool, int),
        "datetime": (str,),
    }
    if not isinstance(value, expected[column_type]) or (
        isinstance(value, bool) and column_type in ("int", "float")
    ):
        raise BadTokenError("malformed _next token: its sort value has the wrong type")
    return _token_param(column_type, value, dialect)


def _token_param(column_type: str, value: Any, dialect: str) -> Any:
    if column_type == "bool":
        return int(value) if dialect == "sqlite" else bool(value)
    if column_type == "datetime" and dialect == "postgresql":
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            raise BadTokenError("malformed _next token: its time is not ISO 8601") from None
    return value


# -- output -------------------------------------------------------------------


def sqlite_time(text: Any) -> Any:
    """SQLite's stored ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC) as ISO 8601 with offset."""
    if isinstance(text, str) and len(text) >= 19 and text[10] == " ":
        return f"{text[:10]}T{text[11:]}+00:00"
    return text


def pg_time(value: Any) -> Any:
    """A PostgreSQL ``timestamptz`` as ISO 8601 in UTC, always with microseconds."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value


def finite(value: Any) -> Any:
    """A float JSON can carry: NaN and infinities become None."""
    return value if math.isfinite(value) else None


def _bool_word(value: Any) -> str:
    return "true" if value else "false"


def converter(column_type: str, dialect: str, fmt: str) -> Converter | None:
    """The function turning a stored value into its ``fmt`` ("json"/"csv") form.

    None when the driver's value is already right, so rows pass untouched.
    """
    if column_type == "datetime":
        return sqlite_time if dialect == "sqlite" else pg_time
    if column_type == "bool":
        if fmt == "csv":
            return _bool_word
        return bool if dialect == "sqlite" else None
    if column_type == "float" and fmt == "json":
        return finite
    return None


def row_converter(
    types: list[str], dialect: str, fmt: str
) -> Callable[[tuple[Any, ...]], tuple[Any, ...] | list[Any]]:
    """Convert whole rows: only the columns that need it, None values kept."""
    steps = [(i, f) for i, t in enumerate(types) if (f := converter(t, dialect, fmt)) is not None]
    if not steps:
        return _same

    def convert(row: tuple[Any, ...]) -> list[Any]:
        out = list(row)
        for i, f in steps:
            if out[i] is not None:
                out[i] = f(out[i])
        return out

    return convert


def _same(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return row


def plain(value: Any, fmt: str) -> Any:
    """Any value a SQL query can return, in its JSON or CSV form.

    Binary values are never dumped: they show as their size.
    """
    if value is None or type(value) in (int, str, bool):
        return value
    if isinstance(value, float):
        return finite(value) if fmt == "json" else value
    if isinstance(value, bytes | bytearray | memoryview):
        size = len(bytes(value)) if isinstance(value, memoryview) else len(value)
        return {"$binary": size} if fmt == "json" else f"<binary: {size} bytes>"
    return _rich(value, fmt)


def _rich(value: Any, fmt: str) -> Any:
    import json

    if isinstance(value, dt.datetime):
        return pg_time(value) if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        if fmt == "json":
            return {str(k): plain(v, fmt) for k, v in value.items()}
        return json.dumps(value, default=str)
    if isinstance(value, list | tuple):
        return [plain(v, fmt) for v in value] if fmt == "json" else json.dumps(value, default=str)
    return str(value)
