"""Items round-trip exactly through the codec (property tests)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from labelloop.errors import InvalidInputError
from labelloop.store import codec

DTYPES = st.one_of(
    hnp.integer_dtypes(endianness="="),
    hnp.unsigned_integer_dtypes(endianness="="),
    hnp.floating_dtypes(endianness="="),
    hnp.complex_number_dtypes(endianness="="),
    hnp.boolean_dtypes(),
    hnp.datetime64_dtypes(endianness="="),
    hnp.unicode_string_dtypes(endianness="=", max_len=4),
    hnp.byte_string_dtypes(max_len=4),
    hnp.integer_dtypes(endianness=">"),
    hnp.floating_dtypes(endianness=">"),
)
ARRAYS = hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=4, max_side=4))


def round_trip(value: object, media_root: Path | None = None) -> object:
    encoded = codec.encode(value, media_root)
    return codec.decode(
        encoded.kind, encoded.dtype, encoded.shape, encoded.data, encoded.content, media_root
    )


@given(ARRAYS)
def test_any_array_round_trips_with_dtype_and_shape(array: np.ndarray) -> None:
    back = round_trip(array)
    assert isinstance(back, np.ndarray)
    assert back.dtype == array.dtype
    assert back.shape == array.shape
    np.testing.assert_array_equal(back, array)


@given(hnp.arrays(hnp.floating_dtypes(), hnp.array_shapes(min_dims=2, max_dims=3, max_side=5)))
def test_rows_of_an_array_encode_like_single_arrays(array: np.ndarray) -> None:
    rows = list(codec.encode_array_rows(array))
    assert rows == [codec.encode_array(row) for row in array]


def test_structured_arrays_round_trip() -> None:
    array = np.array([(1, 2.5, b"ab")], dtype=[("a", "<i4"), ("b", ">f8"), ("c", "S2")])
    back = round_trip(array)
    assert isinstance(back, np.ndarray)
    assert back.dtype == array.dtype
    assert back.tolist() == array.tolist()


def test_arrays_are_stored_as_binary_not_json() -> None:
    encoded = codec.encode(np.arange(4, dtype=np.float64))
    assert encoded.content is None
    assert encoded.data == np.arange(4, dtype=np.float64).tobytes()


@given(st.text())
def test_text_round_trips(text: str) -> None:
    assert round_trip(text) == text


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), JSON))
def test_json_dicts_round_trip(document: dict[str, object]) -> None:
    assert round_trip(document) == document


@settings(max_examples=50)
@given(
    st.lists(st.integers(-1000, 1000), min_size=1, max_size=5),
    st.lists(st.floats(allow_nan=True, allow_infinity=False, width=64), min_size=1, max_size=5),
    st.text(max_size=5),
)
def test_pandas_rows_round_trip(ints: list[int], floats: list[float], text: str) -> None:
    n = min(len(ints), len(floats))
    frame = pd.DataFrame({"i": ints[:n], "f": floats[:n], "s": [text] * n})
    for position in range(n):
        row = frame.iloc[position]
        back = round_trip(row)
        assert isinstance(back, pd.Series)
        assert list(back.index) == ["i", "f", "s"]
        assert back["i"] == row["i"] and back["s"] == row["s"]
        assert back["f"] == row["f"] or (math.isnan(back["f"]) and math.isnan(row["f"]))


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "I;16", "CMYK", "F"])
def test_pil_images_round_trip_pixel_exact(mode: str) -> None:
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 255, (5, 7, 3), dtype=np.uint8)).convert(mode)
    back = round_trip(image)
    assert isinstance(back, Image.Image)
    assert back.mode == image.mode and back.size == image.size
    assert np.array_equal(np.asarray(back), np.asarray(image))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP"])
def test_encoded_image_bytes_round_trip_unchanged(fmt: str) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 3), (0, 128, 255)).save(buffer, format=fmt)
    data = buffer.getvalue()
    assert round_trip(data) == data
    assert codec.encode(data).content == f"image/{fmt.lower()}"


def test_bytes_that_are_not_an_image_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="not an encoded image"):
        codec.encode(b"hello")


def test_paths_are_stored_relative_to_the_media_root(tmp_path: Path) -> None:
    image = tmp_path / "a" / "b.png"
    image.parent.mkdir()
    Image.new("L", (1, 1)).save(image)
    assert codec.encode(image, tmp_path).content == "a/b.png"
    assert round_trip(image, tmp_path) == image


def test_unserialisable_json_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="not JSON-serialisable"):
        codec.encode({"f": object()})
