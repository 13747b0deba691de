"""The command line, run through click's runner against real stores."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from labelloop import Project
from labelloop.cli import main


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def fails(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code != 0
    return result.output


def test_init_add_status_export_round_trip(store_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "reviews.csv"
    pd.DataFrame(
        {
            "id": ["r1", "r2", "r3"],
            "text": ["good", "bad", "meh"],
            "stars": [5, 1, 3],
            "gold": ["pos", "neg", None],
        }
    ).to_csv(csv, index=False)
    assert "created project 'reviews'" in run("init", store_url, "-p", "reviews", "-o", "pos,neg")
    out = run(
        "add",
        store_url,
        "-p",
        "reviews",
        str(csv),
        "--id-column",
        "id",
        "--text-column",
        "text",
        "--label-column",
        "gold",
    )
    assert "added 3 items" in out
    status = run("status", store_url)
    assert "reviews" in status and " 3 " in status
    with Project(store_url, "reviews") as project:
        assert project.item("r2") == "bad"
        assert project.items(["r1"])[0].meta == {"stars": 5}
    exported = tmp_path / "out.csv"
    run("export", store_url, "-p", "reviews", str(exported))
    assert pd.read_csv(exported)["label"].tolist()[:2] == ["pos", "neg"]


def test_add_npy_jsonl_and_image_folder(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    run("init", db, "-p", "p", "-o", "a,b", "--media-root", str(tmp_path / "imgs"))
    np.save(tmp_path / "x.npy", np.arange(12, dtype=np.int32).reshape(3, 4))
    run("add", db, "-p", "p", str(tmp_path / "x.npy"))
    (tmp_path / "x.jsonl").write_text(json.dumps({"k": "j1", "v": 1}) + "\n")
    run("add", db, "-p", "p", str(tmp_path / "x.jsonl"), "--id-column", "k")
    (tmp_path / "imgs" / "sub").mkdir(parents=True)
    Image.new("L", (2, 2)).save(tmp_path / "imgs" / "sub" / "one.png")
    assert "added 1 items" in run("add", db, "-p", "p", str(tmp_path / "imgs"))
    with Project(db, "p") as project:
        np.testing.assert_array_equal(project.item("2"), [8, 9, 10, 11])
        assert project.item("j1")["v"] == 1
        assert project.item("4") == tmp_path / "imgs" / "sub" / "one.png"


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    assert "no project 'ghost'" in fails("status", db, "-p", "ghost")
    run("init", db, "-p", "p", "-o", "a")
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    out = fails("add", db, "-p", "p", str(tmp_path / "x.csv"), "--label-column", "nope")
    assert "--label-column 'nope' is not a column of x.csv" in out
    assert "Traceback" not in out


def test_annotator_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    run("annotator", "add", db, "alice")
    assert run("annotator", "list", db).split() == ["alice"]


def test_demo_builds_the_digits_project(tmp_path: Path) -> None:
    out = run("demo", "--db", str(tmp_path / "demo.db"), "--no-serve")
    assert "digits" in out and "1797" in out
    assert run("demo", "--db", str(tmp_path / "demo.db"), "--no-serve").count("1797") == 1


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), _commands(main))
def test_every_command_and_option_has_help(name: str, command: click.Command) -> None:
    assert command.help, f"`labelloop {name}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"`labelloop {name}` option {param.opts} has no help"
