"""Turning items into database columns and back, exactly.

An item is stored as ``(kind, dtype, shape, data, content)``:

=============  ============================================================
kind           stored as
=============  ============================================================
``ndarray``    raw C-order bytes in ``data``; ``dtype`` (NumPy descr) and
               ``shape`` beside them, so any dtype and shape round-trips
``text``       the string in ``content``
``json``       a JSON document (dict or list) in ``content``
``row``        a pandas row (Series) as a JSON object in ``content``
``image_path`` a file path in ``content``, relative to the media root when
               the project has one
``image``      encoded image bytes (PNG, JPEG, …) in ``data``; MIME in ``content``
``pil``        a PIL image, saved losslessly (PNG, else TIFF) in ``data``
=============  ============================================================

Arrays are never written as JSON lists of floats.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelloop.errors import InvalidInputError

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)
_PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}


@dataclass(frozen=True, slots=True)
class Encoded:
    """An item ready for the ``items`` table."""

    kind: str
    dtype: str | None = None
    shape: str | None = None
    data: bytes | None = None
    content: str | None = None


def encode(value: Any, media_root: Path | None = None) -> Encoded:
    """Encode one item.

    Parameters
    ----------
    value : ndarray, str, dict, list, pandas.Series, Path, bytes or PIL.Image
        The item. A ``str`` is text; a :class:`pathlib.Path` is a media file
        that must exist; ``bytes`` must be an encoded image.
    media_root : Path, optional
        Paths under it are stored relative to it; paths outside it are refused.

    Raises
    ------
    InvalidInputError
        For values that cannot be stored exactly, with the reason.
    """
    if isinstance(value, np.ndarray):
        return encode_array(value)
    if isinstance(value, str):
        return Encoded("text", content=value)
    if isinstance(value, Path):
        return Encoded("image_path", content=_relative_media_path(value, media_root))
    if isinstance(value, bytes | bytearray | memoryview):
        return _encode_image_bytes(bytes(value))
    if _is_pandas_series(value):
        return Encoded("row", content=_dumps({str(k): v for k, v in value.items()}))
    if isinstance(value, dict | list):
        return Encoded("json", content=_dumps(value))
    if _is_pil_image(value):
        return _encode_pil(value)
    raise InvalidInputError(
        f"cannot store an item of type {type(value).__name__}: use a NumPy array, str, "
        "dict, pandas row, pathlib.Path to an image file, encoded image bytes or a PIL image"
    )


def encode_array(array: np.ndarray) -> Encoded:
    """Encode one NumPy array as raw bytes with its dtype and shape."""
    dtype_text = _dtype_text(array.dtype)
    return Encoded(
        "ndarray", dtype_text, _shape_text(array.shape), np.ascontiguousarray(array).tobytes()
    )


def encode_array_rows(array: np.ndarray) -> Iterator[Encoded]:
    """Encode each row of ``array`` (``array[i]``) as one item, cheaply."""
    dtype_text = _dtype_text(array.dtype)
    shape_text = _shape_text(array.shape[1:])
    contiguous = np.ascontiguousarray(array)
    for row in contiguous:
        yield Encoded("ndarray", dtype_text, shape_text, row.tobytes())


def decode(
    kind: str,
    dtype: str | None,
    shape: str | None,
    data: bytes | None,
    content: str | None,
    media_root: Path | None = None,
) -> Any:
    """Rebuild the item stored by :func:`encode` (see the module table)."""
    if kind == "ndarray":
        return _decode_array(dtype, shape, data)
    if kind == "text":
        return content
    if kind in ("json", "row"):
        parsed = json.loads(content or "null")
        return _to_series(parsed) if kind == "row" else parsed
    if kind == "image_path":
        path = Path(content or "")
        return path if media_root is None or path.is_absolute() else media_root / path
    if kind == "image":
        return bytes(data or b"")
    if kind == "pil":
        from PIL import Image

        with Image.open(io.BytesIO(data or b"")) as image:
            image.load()
            return image.copy()
    raise ValueError(f"unknown item kind {kind!r} in the store")


def image_mime(data: bytes) -> str | None:
    """The MIME type of encoded image bytes, or None if not a known image format."""
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _dtype_text(dtype: np.dtype[Any]) -> str:
    if dtype.hasobject:
        raise InvalidInputError(
            "cannot store an array of dtype object (ragged rows or Python objects): "
            "give a numeric, string or structured NumPy array with one shape"
        )
    descr = np.lib.format.dtype_to_descr(dtype)
    return descr if isinstance(descr, str) else json.dumps(descr)


def _shape_text(shape: tuple[int, ...]) -> str:
    return ",".join(str(n) for n in shape)


def _decode_array(dtype: str | None, shape: str | None, data: bytes | None) -> np.ndarray:
    descr: Any = json.loads(dtype) if dtype and dtype.startswith("[") else dtype
    if isinstance(descr, list):
        descr = [tuple(field) for field in descr]
    parsed = np.lib.format.descr_to_dtype(descr)
    dims = tuple(int(n) for n in shape.split(",")) if shape else ()
    return np.frombuffer(data or b"", dtype=parsed).reshape(dims).copy()


def _relative_media_path(path: Path, media_root: Path | None) -> str:
    resolved = path.expanduser().resolve()
    if not resolved.is_file():
        raise InvalidInputError(f"media file not found: {path} (resolved to {resolved})")
    if media_root is None:
        return str(resolved)
    root = media_root.expanduser().resolve()
    if not resolved.is_relative_to(root):
        raise InvalidInputError(
            f"media file {resolved} is outside the project's media root {root}: "
            "move it under the root or open the project with another media_root"
        )
    return resolved.relative_to(root).as_posix()


def _encode_image_bytes(data: bytes) -> Encoded:
    mime = image_mime(data)
    if mime is None:
        raise InvalidInputError(
            "bytes item is not an encoded image (PNG, JPEG, GIF, BMP or WebP); "
            "pass arrays as NumPy arrays and text as str"
        )
    return Encoded("image", data=data, content=mime)


def _encode_pil(image: Any) -> Encoded:
    fmt, mime = ("PNG", "image/png") if image.mode in _PNG_MODES else ("TIFF", "image/tiff")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return Encoded("pil", data=buffer.getvalue(), content=mime)


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, default=_json_default, allow_nan=True)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(f"item is not JSON-serialisable: {error}") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def _to_series(parsed: dict[str, Any]) -> Any:
    import pandas as pd

    return pd.Series(parsed, dtype=None if parsed else object)


def _is_pandas_series(value: Any) -> bool:
    return type(value).__name__ == "Series" and type(value).__module__.startswith("pandas")


def _is_pil_image(value: Any) -> bool:
    return type(value).__module__.startswith("PIL.") and hasattr(value, "save")
