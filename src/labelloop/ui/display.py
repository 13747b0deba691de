"""Turning an item into something the front-end can show (see docs/ui-protocol.md).

Rendering happens in Python, so a custom display function works the same in
the notebook and in the web page. Images travel as encoded bytes in a
message buffer, never as base64 in JSON.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from labelloop.errors import InvalidInputError
from labelloop.store.codec import image_mime

Display = tuple[dict[str, Any], list[bytes]]
DisplayFunction = Callable[[Any], Any]
MAX_TABLE_ROWS = 200


def render(
    value: Any, kind: str, display: DisplayFunction | None = None, allow_html: bool = False
) -> Display:
    """Describe one item for the front-end: a display dict and its binary buffers.

    Parameters
    ----------
    value : any
        The decoded item.
    kind : str
        The item's stored kind (``ndarray``, ``text``, ``row``, ``image_path``…).
    display : callable, optional
        A custom display function: it receives the item and returns HTML (a
        ``str`` starting with ``<``, shown in a sandboxed frame), plain text,
        a NumPy image, a PIL image or encoded image bytes.
    allow_html : bool
        Whether HTML output is shown (the project opts in); otherwise it is
        shown as text.
    """
    if display is not None:
        return _render_custom(display(value), allow_html)
    if kind == "ndarray":
        return _render_array(np.asarray(value))
    if kind == "text":
        return {"kind": "text", "text": str(value)}, []
    if kind in ("json", "row"):
        return _render_mapping(value)
    if kind == "image_path":
        return _render_bytes(Path(value).read_bytes())
    if kind == "image":
        return _render_bytes(bytes(value))
    if kind == "pil":
        return _render_pil(value)
    return {"kind": "text", "text": repr(value)}, []


def _render_custom(output: Any, allow_html: bool) -> Display:
    if isinstance(output, str):
        if allow_html and output.lstrip().startswith("<"):
            return {"kind": "html", "html": output}, []
        return {"kind": "text", "text": output}, []
    if isinstance(output, np.ndarray):
        return _render_array(output)
    if isinstance(output, bytes | bytearray):
        return _render_bytes(bytes(output))
    if hasattr(output, "save") and hasattr(output, "mode"):
        return _render_pil(output)
    raise InvalidInputError(
        f"the display function returned a {type(output).__name__}: return HTML or text (str), "
        "a NumPy image, a PIL image or encoded image bytes"
    )


def _render_array(array: np.ndarray) -> Display:
    if is_image(array):
        return _render_pil(_to_pil(array))
    flat = array.reshape(-1)
    if flat.size <= MAX_TABLE_ROWS:
        rows = [[str(i), _format(v)] for i, v in enumerate(flat.tolist())]
        return {"kind": "table", "rows": rows}, []
    summary = np.array2string(array, threshold=200)
    text = f"array of shape {array.shape}, dtype {array.dtype}\n{summary}"
    return {"kind": "text", "text": text}, []


def is_image(array: np.ndarray) -> bool:
    """Whether an array is drawn as a picture (2-D, or 3-D with 1, 3 or 4 channels)."""
    if array.ndim == 2:
        return min(array.shape) >= 2 and array.dtype.kind in "biuf"
    return array.ndim == 3 and array.shape[2] in (1, 3, 4) and array.dtype.kind in "biuf"


def _to_pil(array: np.ndarray) -> Any:
    from PIL import Image

    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    colour = array.ndim == 3
    keep = array.dtype == np.uint8 and colour  # colour bytes are already pixels
    pixels = array if keep else _scaled(array.astype(np.float64))
    return Image.fromarray(
        pixels, mode=("RGBA" if pixels.shape[-1] == 4 else "RGB") if colour else "L"
    )


def _scaled(values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = high - low or 1.0
    scaled = np.nan_to_num((values - low) / span, nan=0.0) * 255
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _render_pil(image: Any) -> Display:
    buffer = io.BytesIO()
    converted = (
        image if image.mode in ("L", "RGB", "RGBA", "LA", "P", "1") else image.convert("RGB")
    )
    converted.save(buffer, format="PNG")
    return _image(buffer.getvalue(), "image/png", image.width, image.height)


def _render_bytes(data: bytes) -> Display:
    mime = image_mime(data)
    if mime is None:
        raise InvalidInputError("media file is not an image this page can show")
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    return _image(data, mime, width, height)


def _image(data: bytes, mime: str, width: int, height: int) -> Display:
    return {"kind": "image", "mime": mime, "width": width, "height": height, "buffer": 0}, [data]


def _render_mapping(value: Any) -> Display:
    items = value.items() if hasattr(value, "items") else enumerate(value)
    rows = [[str(k), _format(v)] for k, v in list(items)[:MAX_TABLE_ROWS]]
    return {"kind": "table", "rows": rows}, []


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)
