"""Publishing a snapshot: its contents, its safety, and the real Datasette serving it."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from labelloop.errors import InvalidInputError, UnknownProjectError
from labelloop.store.publish import publish, publish_command
from tests.store.query.builders import SPECIAL, Built


def snapshot_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def published(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("published")
    return publish(
        built.db, "demo", folder / "demo.db", license="CC-BY-4.0", source="https://example.org/d"
    )


def test_the_snapshot_holds_the_projects_items_labels_and_runs(
    built: Built, published: Path
) -> None:
    with built.db.read() as conn:
        n_labels = conn.exec_driver_sql(
            f"SELECT count(*) FROM labels WHERE project_id = {built.demo.id}"
        ).scalar()
    assert snapshot_rows(published, "SELECT count(*) FROM items") == [(30,)]
    assert snapshot_rows(published, "SELECT count(*) FROM labels") == [(n_labels,)]
    assert snapshot_rows(published, "SELECT name FROM annotators ORDER BY name") == [
        ("alice",),
        ("bob",),
        ("carol",),
    ]
    assert snapshot_rows(published, "SELECT count(*) FROM model_runs") == [(1,)]
    assert snapshot_rows(published, "SELECT name, k FROM project") == [("demo", 2)]
    contents = {r[0] for r in snapshot_rows(published, "SELECT content FROM items")}
    assert set(SPECIAL) <= contents


def test_binary_payloads_are_left_out_and_their_size_kept(published: Path) -> None:
    columns = [r[1] for r in snapshot_rows(published, "PRAGMA table_info(items)")]
    assert "data" not in columns
    arrays = snapshot_rows(published, "SELECT key, data_size FROM items WHERE kind = 'ndarray'")
    assert sorted(arrays) == [("arr0", 16), ("arr1", 16), ("arr2", 16)]


def test_the_snapshot_is_read_only_and_metadata_names_license_and_source(published: Path) -> None:
    assert not os.access(published, os.W_OK) or os.geteuid() == 0
    assert published.stat().st_mode & 0o222 == 0
    meta = json.loads((published.parent / "metadata.json").read_text())
    assert meta["license"] == "CC-BY-4.0"
    assert meta["source_url"] == "https://example.org/d"
    assert set(meta["databases"]["demo"]["tables"]) >= {"items", "labels", "annotators"}


def test_an_existing_file_is_kept_unless_forced(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "x.db"
    out.write_text("keep me")
    with pytest.raises(InvalidInputError, match="--force"):
        publish(built.db, "demo", out)
    assert out.read_text() == "keep me"
    publish(built.db, "demo", out, force=True, title="Forced")
    assert snapshot_rows(out, "SELECT count(*) FROM items") == [(30,)]
    assert json.loads((tmp_path / "metadata.json").read_text())["title"] == "Forced"


def test_nothing_is_written_when_publishing_fails(built: Built, tmp_path: Path) -> None:
    with pytest.raises(UnknownProjectError):
        publish(built.db, "nope", tmp_path / "x.db")
    with pytest.raises(InvalidInputError, match="folder"):
        publish(built.db, "demo", tmp_path / "missing" / "x.db")
    assert list(tmp_path.iterdir()) == []


def test_the_command_publishes_and_explains_failures(built: Built, tmp_path: Path) -> None:
    url = built.db.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    out = tmp_path / "cli.db"
    done = runner.invoke(publish_command, [url, str(out), "-p", "demo", "--license", "MIT"])
    assert done.exit_code == 0, done.output
    assert "published 'demo'" in done.output
    again = runner.invoke(publish_command, [url, str(out), "-p", "demo"])
    assert again.exit_code != 0 and "--force" in again.output
    missing = runner.invoke(publish_command, [str(tmp_path / "none.db"), str(out), "-p", "demo"])
    assert missing.exit_code != 0 and "no store" in missing.output
    assert not (tmp_path / "none.db").exists()
    for option in publish_command.params:
        assert option.param_type_name == "argument" or option.help  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def datasette(published: Path) -> Iterator[str]:
    """The real Datasette serving the snapshot (immutable) with its metadata."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("datasette")),
        "serve",
        "-i",
        str(published),
        "--metadata",
        str(published.parent / "metadata.json"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=1).close()
                break
            except OSError as error:
                if process.poll() is not None:
                    output = process.stderr.read().decode() if process.stderr else ""
                    raise AssertionError(f"datasette did not start: {output}") from error
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def test_datasette_serves_the_snapshot_with_its_metadata(
    datasette: str, published: Path, built: Built
) -> None:
    meta = get(f"{datasette}/-/metadata.json")
    assert meta["license"] == "CC-BY-4.0" and meta["source"] == "https://example.org/d"
    labels = get(f"{datasette}/demo/labels.json?_shape=array&_size=max")
    assert len(labels) == snapshot_rows(published, "SELECT count(*) FROM labels")[0][0]
    assert {r["annotator"] for r in labels} == {"alice", "bob", "carol"}
    faceted = get(f"{datasette}/demo/labels.json?_facet=value&_size=0")
    counts = {v["value"]: v["count"] for v in faceted["facet_results"]["value"]["results"]}
    assert sum(counts.values()) == len(labels)
    items = get(f"{datasette}/demo/items.json?_shape=array&content__contains=script")
    assert items[0]["content"] == SPECIAL[0]
