"""Adding items: kinds, keys, duplicates and bad input, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from labelloop import DuplicateItemError, InvalidInputError, Project
from labelloop.store import Database


def test_array_items_round_trip_with_dtype(db: Database) -> None:
    project = Project(db, "p", options=["x"])
    features = np.arange(24, dtype=np.int16).reshape(3, 2, 4)
    assert project.add_items(features, progress=False) == 3
    stored = project.item("1")
    assert stored.dtype == np.int16
    np.testing.assert_array_equal(stored, features[1])


def test_mixed_items_round_trip(db: Database, tmp_path: Path) -> None:
    image_path = tmp_path / "cat.png"
    Image.new("RGB", (4, 3), (255, 0, 0)).save(image_path)
    png = image_path.read_bytes()
    project = Project(db, "p", options=["x"], media_root=tmp_path)
    values = ["some text", {"a": [1, 2]}, image_path, png, Image.open(image_path)]
    project.add_items(values, progress=False)
    text, doc, path, raw, pil = (project.item(str(i)) for i in range(5))
    assert (text, doc, path, raw) == ("some text", {"a": [1, 2]}, image_path, png)
    assert np.array_equal(np.asarray(pil), np.asarray(Image.open(image_path)))
    assert project.items()[2].id > 0


def test_dataframe_rows_use_the_index_as_keys(db: Database) -> None:
    frame = pd.DataFrame({"x": [1.5, 2.5], "y": [3.0, 4.0]}, index=["a", "b"])
    project = Project(db, "p", options=["x"])
    project.add_items(frame, progress=False)
    pd.testing.assert_series_equal(project.item("b"), frame.loc["b"], check_names=False)


def test_initial_labels_are_stored_as_import(db: Database) -> None:
    project = Project(db, "p", options=[0, 1])
    project.add_items(np.zeros((3, 2)), labels=[1, None, 0], progress=False)
    assert project.labels[["item_key", "annotator", "value"]].values.tolist() == [
        ["0", "import", 1],
        ["2", "import", 0],
    ]
    assert project.progress.done == 2


def test_metadata_is_kept_per_item(db: Database) -> None:
    project = Project(db, "p", options=["x"])
    project.add_items(
        ["a", "b"], metadata=[{"source": "web", "n": np.int64(3)}, None], progress=False
    )
    stored = project.items()
    assert [s.meta for s in stored] == [{"source": "web", "n": 3}, None]
    source = project.to_pandas()["source"]
    assert source[0] == "web"
    assert source.isna().tolist() == [False, True]


def test_generator_input_streams_in_chunks(db: Database) -> None:
    project = Project(db, "p", options=["x"])
    generated = (np.full(3, i, dtype=np.float64) for i in range(25))
    assert project.add_items(generated, chunk_size=7, progress=False) == 25
    np.testing.assert_array_equal(project.item("24"), np.full(3, 24.0))


def test_duplicate_keys_are_an_error_and_nothing_is_added(db: Database) -> None:
    project = Project(db, "p", options=["x"])
    project.add_items(["a", "b"], ids=["k1", "k2"], progress=False)
    with pytest.raises(DuplicateItemError, match=r"already exist in project 'p': \['k2'\]"):
        project.add_items(["c", "d"], ids=["k3", "k2"], progress=False)
    with pytest.raises(DuplicateItemError, match=r"repeat within the items given: \['k9'\]"):
        project.add_items(["c", "d"], ids=["k9", "k9"], progress=False)
    assert len(project) == 2


def test_duplicate_across_chunks_is_caught(db: Database) -> None:
    project = Project(db, "p", options=["x"])
    with pytest.raises(DuplicateItemError):
        project.add_items(["a", "b", "c"], ids=["1", "2", "1"], chunk_size=2, progress=False)
    assert len(project) == 0


def test_on_duplicate_update_replaces_payload_and_keeps_labels(db: Database) -> None:
    project = Project(db, "p", options=["x", "y"])
    project.add_items(["old"], ids=["k"], labels=["x"], progress=False)
    added = project.add_items(
        ["new", "more"], ids=["k", "k2"], on_duplicate="update", progress=False
    )
    assert added == 1
    assert project.item("k") == "new"
    assert project.labels["value"].tolist() == ["x"]


def test_on_duplicate_ignore_keeps_the_stored_item(db: Database) -> None:
    project = Project(db, "p", options=["x"])
    project.add_items(["old"], ids=["k"], progress=False)
    assert project.add_items(["new"], ids=["k"], on_duplicate="ignore", progress=False) == 0
    assert project.item("k") == "old"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"features": np.zeros((3, 2)), "labels": [0, 1]}, "features has 3, labels has 2"),
        ({"features": np.zeros((2, 2)), "labels": [0, 7]}, r"item 1: label 7 is not one of"),
        ({"features": [[1.0, 2.0], [3.0]]}, "ragged rows: item 0 has 2 values but item 1 has 1"),
        ({"features": [Path("/nonexistent/cat.png")]}, "media file not found"),
        ({"features": np.array([[1, "a"], [2, None]], dtype=object)}, "dtype object"),
        ({"features": [object()]}, "cannot store an item of type object"),
        ({"features": ["a"], "ids": [""]}, "ids must be non-empty"),
        ({"features": ["a"], "metadata": ["not a dict"]}, "metadata 0 is a str"),
    ],
)
def test_bad_input_names_the_problem_and_writes_nothing(
    db: Database, kwargs: dict[str, object], message: str
) -> None:
    project = Project(db, "p", options=[0, 1])
    project.add_items(["keep"], progress=False)
    with pytest.raises(InvalidInputError, match=message):
        project.add_items(progress=False, **kwargs)  # type: ignore[arg-type]
    assert len(project) == 1
    assert project.label_history().empty


def test_bad_input_late_in_a_stream_rolls_back_earlier_chunks(db: Database) -> None:
    project = Project(db, "p", options=["x"])
    stream = (["fine"] * 5) + [object()]
    with pytest.raises(InvalidInputError, match="item 5"):
        project.add_items(iter(stream), chunk_size=2, progress=False)
    assert len(project) == 0


def test_media_outside_the_root_is_refused(db: Database, tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    Image.new("L", (2, 2)).save(outside)
    root = tmp_path / "media"
    root.mkdir()
    project = Project(db, "p", options=["x"], media_root=root)
    with pytest.raises(InvalidInputError, match="outside the project's media root"):
        project.add_items([outside], progress=False)
