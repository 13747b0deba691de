"""Items rendered for the front-end, in Python (docs/ui-protocol.md)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from labelloop import InvalidInputError, Project
from labelloop.store import Database
from labelloop.ui.display import render
from labelloop.ui.session import LabellingSession


def png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def test_small_integer_images_are_scaled_to_full_range() -> None:
    digit = np.array([[0, 8], [16, 4]], dtype=np.uint8)  # digits use 0..16
    shown, buffers = render(digit, "ndarray")
    assert shown == {"kind": "image", "mime": "image/png", "width": 2, "height": 2, "buffer": 0}
    assert png_pixels(buffers[0]).tolist() == [[0, 127], [255, 63]]


def test_colour_bytes_are_kept_as_they_are() -> None:
    rgb = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    _, buffers = render(rgb, "ndarray")
    assert np.array_equal(png_pixels(buffers[0]), rgb)


def test_vectors_and_records_become_tables() -> None:
    assert render(np.array([1.5, 2.0]), "ndarray")[0] == {
        "kind": "table",
        "rows": [["0", "1.5"], ["1", "2"]],
    }
    assert render({"name": "ann", "tags": [1]}, "json")[0]["rows"] == [
        ["name", "ann"],
        ["tags", "[1]"],
    ]


def test_html_from_a_display_function_needs_the_project_to_opt_in() -> None:
    def as_html(value: object) -> str:
        return f"<b>{value}</b>"

    assert render("x", "text", as_html)[0] == {"kind": "text", "text": "<b>x</b>"}
    assert render("x", "text", as_html, allow_html=True)[0] == {"kind": "html", "html": "<b>x</b>"}


def test_a_display_function_returning_something_else_is_explained() -> None:
    with pytest.raises(InvalidInputError, match="display function returned a dict"):
        render("x", "text", lambda value: {"no": "way"})


def test_allow_html_is_a_project_option(db: Database) -> None:
    plain = Project(db, "plain", options=["a"])
    rich = Project(db, "rich", options=["a"], allow_html=True)
    for project in (plain, rich):
        project.add_items(["x"], progress=False)
        project.add_annotator("ann")
    kinds = [
        LabellingSession(p, "ann", display=lambda v: f"<i>{v}</i>").display_of("0")[0]["kind"]
        for p in (Project(db, "plain"), Project(db, "rich"))
    ]
    assert kinds == ["text", "html"]


def test_reopening_an_item_shows_my_current_label(db: Database) -> None:
    project = Project(db, "p", options=["a", "b"])
    project.add_items(["x", "y"], progress=False)
    project.add_annotator("ann")
    project.add_annotator("bob")
    project.submit(project.claim("ann")[0], "b")
    session = LabellingSession(project, "ann")
    content, _ = session.handle({"type": "open", "key": "0"})[0]
    assert content["items"][0]["current"] == "b" and content["items"][0]["relabel"]
    refused, _ = LabellingSession(project, "bob").handle({"type": "open", "key": "0"})[0]
    assert refused["type"] == "error" and "no label on item '0'" in refused["message"]
