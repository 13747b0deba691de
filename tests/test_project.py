"""The Project facade: opening, creating, exporting."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelloop import InvalidInputError, Project, UnknownProjectError
from labelloop.store import Database
from tests.helpers import make_project


def test_project_reopens_by_name(db: Database) -> None:
    make_project(db, 3)
    again = Project(db, "demo")
    assert again.options == ["a", "b", "c"]
    assert len(again) == 3


def test_unknown_project_lists_known_ones(db: Database) -> None:
    make_project(db, 0)
    with pytest.raises(UnknownProjectError, match=r"known projects: \['demo'\]"):
        Project(db, "nope")


def test_reopening_with_other_options_is_refused(db: Database) -> None:
    make_project(db, 0)
    with pytest.raises(InvalidInputError, match="exists with options"):
        Project(db, "demo", options=["x"])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"k": 0}, "k must be at least 1"),
        ({"order": "sideways"}, "order must be one of"),
        ({"lease_seconds": 0}, "lease_seconds must be positive"),
        ({"options": ["a", "a"]}, "label options repeat"),
        ({"options": [1.5]}, "options must be str, int or bool"),
    ],
)
def test_bad_settings_are_named_and_nothing_created(
    db: Database, settings: dict[str, object], message: str
) -> None:
    settings.setdefault("options", ["a"])
    with pytest.raises(InvalidInputError, match=message):
        Project(db, "bad", **settings)  # type: ignore[arg-type]
    with pytest.raises(UnknownProjectError):
        Project(db, "bad")


def test_multilabel_values_are_sets_of_options(db: Database) -> None:
    project = Project(db, "ml", options=["red", "green", "blue"], multilabel=True)
    project.add_items(["x", "y"], progress=False)
    project.add_annotator("alice")
    first, second = project.claim("alice", 2)
    project.submit(first, ["blue", "red"])
    with pytest.raises(InvalidInputError, match="must be a list of options"):
        project.submit(second, "red")
    with pytest.raises(InvalidInputError, match="'pink' is not one of"):
        project.submit(second, ["pink"])
    assert project.labels["value"].tolist() == [["red", "blue"]]


def test_free_text_projects_take_any_text(db: Database) -> None:
    project = Project(db, "free", options=[])
    project.add_items(["x"], progress=False)
    project.add_annotator("alice")
    project.submit(project.claim("alice")[0], "a caption")
    assert project.labels["value"].tolist() == ["a caption"]


def test_allow_other_accepts_text_beside_the_options(db: Database) -> None:
    project = Project(db, "other", options=["cat", "dog"], allow_other=True)
    project.add_items(["x"], progress=False)
    project.add_annotator("alice")
    project.submit(project.claim("alice")[0], "fox")
    assert project.labels["value"].tolist() == ["fox"]


def test_to_pandas_gives_the_majority_label_and_ties_as_none(db: Database) -> None:
    project = make_project(db, 2, k=2, options=[0, 1])
    project.submit(project.claim("alice")[0], 1)
    project.submit(project.claim("bob")[0], 1)
    project.submit(project.claim("alice")[0], 0)
    project.submit(project.claim("bob")[0], 1)
    frame = project.to_pandas()
    assert frame["label"].tolist() == [1, None]
    assert frame["agreement"].tolist() == [1.0, 0.5]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_export_writes_every_item_with_its_label(db: Database, tmp_path: Path, suffix: str) -> None:
    project = make_project(db, 3, options=[0, 1])
    project.add_items(np.zeros((1, 2)), labels=[1], ids=["known"], progress=False)
    out = project.export(tmp_path / f"out{suffix}")
    if suffix == ".csv":
        frame = pd.read_csv(out, dtype={"key": str})
    elif suffix == ".jsonl":
        frame = pd.DataFrame([json.loads(line) for line in out.read_text().splitlines()])
    else:
        frame = pd.read_parquet(out)
    assert frame["key"].tolist() == ["0", "1", "2", "known"]
    assert frame["label"].tolist()[3] == 1
    assert frame["label"].isna().tolist() == [True, True, True, False]


def test_export_of_labels_has_one_row_per_label(db: Database, tmp_path: Path) -> None:
    project = make_project(db, 2)
    project.submit(project.claim("alice")[0], "a")
    frame = pd.read_csv(project.export(tmp_path / "labels.csv", what="labels"))
    assert frame[["item_key", "annotator", "value"]].values.tolist() == [[0, "alice", "a"]]


def test_export_to_an_unknown_format_is_refused(db: Database, tmp_path: Path) -> None:
    project = make_project(db, 1)
    with pytest.raises(InvalidInputError, match="use one of"):
        project.export(tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()
