"""Turning what a user has (NumPy, pandas, lists, iterables of paths) into items.

Everything is streamed in chunks so memory stays bounded however large the
input; lengths are checked up front when the inputs have a length, and
while streaming otherwise (the store's single transaction then rolls back).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelloop.errors import InvalidInputError
from labelloop.store import codec, label_values
from labelloop.store.items import NewItem
from labelloop.store.projects import ProjectSettings

DEFAULT_CHUNK = 10_000


def length_of(values: Any) -> int | None:
    """``len(values)`` when it has one cheaply, else None (a generator)."""
    try:
        return len(values)
    except TypeError:
        return None


def check_lengths(**named: Any) -> int | None:
    """Raise InvalidInputError naming the inputs whose lengths differ."""
    lengths = {name: length_of(v) for name, v in named.items() if v is not None}
    known = {name: n for name, n in lengths.items() if n is not None}
    if len(set(known.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in known.items())
        raise InvalidInputError(f"inputs differ in length: {described}; give one entry per item")
    return lengths.get("features")


def item_chunks(
    features: Any,
    settings: ProjectSettings,
    labels: Any = None,
    ids: Any = None,
    metadata: Any = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> Iterator[list[NewItem]]:
    """Yield lists of :class:`NewItem`, ``chunk_size`` at a time.

    Raises
    ------
    InvalidInputError
        For ragged arrays, unknown labels, unsupported item types or inputs
        of different lengths, naming the first offending item.
    """
    check_lengths(features=features, labels=labels, ids=ids, metadata=metadata)
    if ids is None and _is_dataframe(features) and not _default_index(features):
        ids = [str(i) for i in features.index]
    columns = {
        "encoded": _encoded(features, settings, chunk_size),
        "label": None if labels is None else _labels(labels, settings),
        "key": None if ids is None else _keys(ids),
        "meta": None if metadata is None else _metadata(metadata),
    }
    rows = _zip_strict(columns)
    while chunk := list(itertools.islice(rows, chunk_size)):
        yield chunk


def _zip_strict(columns: dict[str, Iterator[Any] | None]) -> Iterator[NewItem]:
    present = {name: column for name, column in columns.items() if column is not None}
    try:
        for values in zip(*present.values(), strict=True):
            row = dict(zip(present, values, strict=True))
            yield NewItem(row.get("key"), row["encoded"], row.get("meta"), row.get("label"))
    except ValueError as error:
        if "zip()" not in str(error):
            raise
        raise InvalidInputError(
            "features, labels, ids and metadata differ in length; give one entry per item"
        ) from None


def _encoded(features: Any, settings: ProjectSettings, chunk_size: int) -> Iterator[codec.Encoded]:
    media_root = settings.media_root
    if isinstance(features, np.ndarray):
        return _array_rows(features, chunk_size)
    if _is_dataframe(features):
        return _dataframe_rows(features, chunk_size)
    if isinstance(features, str | bytes | dict):
        raise InvalidInputError(
            f"features is a single {type(features).__name__}: pass a list of items"
        )
    if isinstance(features, list) and features and _is_number_row(features[0]):
        return _array_rows(_stack_rows(features), chunk_size)
    return (_encode_one(value, i, media_root) for i, value in enumerate(_iterate(features)))


def _array_rows(array: np.ndarray, chunk_size: int) -> Iterator[codec.Encoded]:
    if array.ndim == 0:
        raise InvalidInputError("features is a 0-d array: give an array with one row per item")
    for start in range(0, len(array), chunk_size):
        yield from codec.encode_array_rows(array[start : start + chunk_size])


def _dataframe_rows(frame: Any, chunk_size: int) -> Iterator[codec.Encoded]:
    for start in range(0, len(frame), chunk_size):
        for record in frame.iloc[start : start + chunk_size].to_dict("records"):
            yield codec.Encoded("row", content=_json({str(k): v for k, v in record.items()}))


def _stack_rows(rows: list[Any]) -> np.ndarray:
    lengths = [len(row) for row in rows if isinstance(row, list | tuple)]
    if len(set(lengths)) > 1 or len(lengths) != len(rows):
        first_bad = next(i for i, row in enumerate(rows) if len(row) != len(rows[0]))
        raise InvalidInputError(
            f"ragged rows: item 0 has {len(rows[0])} values but item {first_bad} has "
            f"{len(rows[first_bad])}; pad them to one length, or pass a list of NumPy arrays "
            "if items really differ in shape"
        )
    return np.asarray(rows)


def _encode_one(value: Any, index: int, media_root: Path | None) -> codec.Encoded:
    try:
        return codec.encode(value, media_root)
    except InvalidInputError as error:
        raise InvalidInputError(f"item {index}: {error}") from None


def _labels(labels: Any, settings: ProjectSettings) -> Iterator[str | None]:
    return (_label_text(value, i, settings) for i, value in enumerate(_iterate(labels)))


def _label_text(value: Any, index: int, settings: ProjectSettings) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    try:
        return label_values.to_text(settings, value)
    except InvalidInputError as error:
        raise InvalidInputError(f"item {index}: {error}") from None


def _keys(ids: Any) -> Iterator[str]:
    return (_key(value, i) for i, value in enumerate(_iterate(ids)))


def _key(value: Any, index: int) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
        raise InvalidInputError(f"id {index} is {value!r}: ids must be non-empty str or int")
    return str(value)


def _metadata(metadata: Any) -> Iterator[dict[str, Any] | None]:
    if _is_dataframe(metadata):
        return (json.loads(_json(r)) for r in metadata.to_dict("records"))
    return (_meta(value, i) for i, value in enumerate(_iterate(metadata)))


def _meta(value: Any, index: int) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInputError(f"metadata {index} is a {type(value).__name__}, not a dict")
    parsed: dict[str, Any] = json.loads(_json(value))
    return parsed


def _json(value: Any) -> str:
    return codec.encode(value if isinstance(value, dict) else dict(value)).content or "{}"


def _iterate(values: Any) -> Iterable[Any]:
    if hasattr(values, "tolist") and not isinstance(values, np.ndarray):
        return list(values.tolist())  # pandas Series / Index
    if isinstance(values, np.ndarray) and values.ndim == 1:
        as_list: list[Any] = values.tolist()
        return as_list
    iterable: Iterable[Any] = values
    return iterable


def _is_number_row(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    )


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and type(value).__module__.startswith("pandas")


def _default_index(frame: Any) -> bool:
    import pandas as pd

    index = frame.index
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def paths_in(folder: Path, suffixes: Sequence[str]) -> list[Path]:
    """Files under ``folder`` with one of ``suffixes``, sorted, recursively."""
    wanted = {s.lower() for s in suffixes}
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in wanted)
