"""Publish a project as an immutable SQLite snapshot that Datasette can serve.

``publish(db, "animals", "animals.db", license="CC-BY-4.0")`` writes:

- ``animals.db``: tables ``items`` (one row per item with its agreed label,
  current labels, latest prediction and metadata; binary payloads are left
  out, only their size is kept, and media stay as their file paths),
  ``labels`` (every label, with item key and annotator name),
  ``annotators``, ``model_runs`` and ``project`` (the settings), with
  indexes for the usual facets; the file is made read-only.
- ``metadata.json`` beside it: title, license, source and table
  descriptions in Datasette's format (``datasette serve -i animals.db
  --metadata metadata.json``).

Both are written to temporary files and renamed at the end, so an error
leaves nothing behind, and an existing file is replaced only with ``force``.
The snapshot is read in one read-only transaction: a consistent copy even
while people keep labelling.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from labelloop.errors import InvalidInputError, LabelloopError, StoreUnavailableError
from labelloop.store.engine import Database
from labelloop.store.projects import ProjectRecord, get_project
from labelloop.store.query import DataSettings, DataSource, TableQuery, table_spec
from labelloop.store.query.pages import stream_table
from labelloop.store.query.readonly import Session
from labelloop.store.query.values import row_converter

_SQLITE_TYPES = {
    "int": "INTEGER",
    "float": "REAL",
    "bool": "INTEGER",
    "text": "TEXT",
    "json": "TEXT",
    "datetime": "TEXT",
}
_SLOW_OK = DataSettings(sql_time_limit_ms=600_000, export_chunk=5000)


@dataclass(frozen=True)
class SnapshotTable:
    """A table of the snapshot: which served table and columns it copies."""

    name: str
    source: str
    key: str
    columns: tuple[str, ...]
    indexes: tuple[str, ...]
    description: str
    facets: tuple[str, ...]


SNAPSHOT = (
    SnapshotTable(
        "items",
        "items_overview",
        "key",
        (
            "key",
            "kind",
            "content",
            "dtype",
            "shape",
            "data_size",
            "meta",
            "n_labels",
            "label",
            "labels",
            "predicted",
            "confidence",
            "priority",
            "created_at",
        ),
        ("label", "kind", "predicted"),
        "One row per item: the label its annotators agree on (empty while they "
        "disagree), every current label, the latest model prediction and the item's "
        "metadata. Binary payloads are left out (data_size keeps their size); media "
        "items keep their file path in content.",
        ("kind", "label", "predicted"),
    ),
    SnapshotTable(
        "labels",
        "labels",
        "id",
        (
            "id",
            "item_key",
            "annotator",
            "value",
            "time_taken",
            "created_at",
            "current",
            "replaces",
            "undone_at",
        ),
        ("item_key", "value", "annotator"),
        "Every label ever given; current = 1 marks the ones in force (a changed "
        "label replaces an older one, an undone label is kept with undone_at).",
        ("value", "annotator", "current"),
    ),
    SnapshotTable(
        "annotators",
        "annotators",
        "name",
        ("name", "n_labels"),
        (),
        "Annotators and how many current labels each gave.",
        (),
    ),
    SnapshotTable(
        "model_runs",
        "model_runs",
        "id",
        ("id", "created_at", "n_labels", "score", "details"),
        (),
        "One row per retrain of the model in the loop: labels used and score.",
        (),
    ),
)


def publish(
    db: Database,
    project_name: str,
    out_path: str | Path,
    license: str | None = None,
    source: str | None = None,
    title: str | None = None,
    *,
    force: bool = False,
    metadata_path: str | Path | None = None,
) -> Path:
    """Write a snapshot of a project to ``out_path`` and its ``metadata.json``.

    Parameters
    ----------
    db : Database
        The store.
    project_name : str
        The project to publish.
    out_path : str or Path
        The SQLite file to write.
    license, source, title : str, optional
        Shown by Datasette; a value that is a URL also becomes the link.
    force : bool
        Replace ``out_path`` and the metadata file if they exist.
    metadata_path : str or Path, optional
        Where the metadata goes; ``metadata.json`` beside ``out_path`` by default.

    Returns
    -------
    Path
        The snapshot's path.

    Raises
    ------
    InvalidInputError
        If a target exists (without ``force``) or its folder does not.
    UnknownProjectError
        If the project is not in the store. Nothing is written on any error.
    """
    out = Path(out_path).expanduser().resolve()
    meta = (
        Path(metadata_path).expanduser().resolve()
        if metadata_path
        else out.parent / "metadata.json"
    )
    _check_targets(out, meta, force)
    project = get_project(db, project_name)
    with _temporary(out) as tmp_db, _temporary(meta) as tmp_meta:
        _write_snapshot(db, project, tmp_db)
        document = _metadata(project, out.stem, license, source, title)
        tmp_meta.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        tmp_db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        tmp_db.replace(out)
        tmp_meta.replace(meta)
    return out


def _check_targets(out: Path, meta: Path, force: bool) -> None:
    for path in (out, meta):
        if not path.parent.is_dir():
            raise InvalidInputError(f"cannot write {path}: its folder does not exist")
        if path.exists() and not force:
            raise InvalidInputError(f"{path} exists; pass --force (force=True) to replace it")
        if path.is_dir():
            raise InvalidInputError(f"{path} is a folder; give a file name")


@contextlib.contextmanager
def _temporary(target: Path) -> Iterator[Path]:
    """A temporary sibling of ``target``, removed unless it was renamed into place."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        yield tmp
    finally:
        for path in (tmp, tmp.with_name(tmp.name + "-journal")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _write_snapshot(db: Database, project: ProjectRecord, path: Path) -> None:
    source = DataSource(db, _SLOW_OK)
    try:
        with source.session() as session, contextlib.closing(sqlite3.connect(path)) as out:
            for table in SNAPSHOT:
                _copy_table(session, source, project, table, out)
            _write_project(out, project)
            out.execute("ANALYZE")
            out.commit()
    finally:
        source.dispose()


def _copy_table(
    session: Session,
    source: DataSource,
    project: ProjectRecord,
    table: SnapshotTable,
    out: sqlite3.Connection,
) -> None:
    spec = table_spec(table.source)
    types = [spec.column(c).type for c in table.columns]
    columns = ", ".join(
        f'"{c}" {_SQLITE_TYPES[t]}' + (" PRIMARY KEY" if c == table.key else "")
        for c, t in zip(table.columns, types, strict=True)
    )
    out.execute(f'CREATE TABLE "{table.name}" ({columns})')
    query = TableQuery((), table.columns, spec.pk, False, 0, None, (), 1, False)
    ctx = source.context(project.id)
    rows = stream_table(session, spec, ctx, query, source.limits)
    convert = row_converter(rows.types, source.dialect, "json")
    marks = ", ".join("?" * len(table.columns))
    for chunk in rows.chunks:
        out.executemany(f'INSERT INTO "{table.name}" VALUES ({marks})', map(convert, chunk))
    for column in table.indexes:
        out.execute(f'CREATE INDEX "ix_{table.name}_{column}" ON "{table.name}" ("{column}")')


def _write_project(out: sqlite3.Connection, project: ProjectRecord) -> None:
    settings = project.settings
    out.execute(
        "CREATE TABLE project (name TEXT, options TEXT, multilabel INTEGER, k INTEGER, "
        "published_at TEXT)"
    )
    out.execute(
        "INSERT INTO project VALUES (?, ?, ?, ?, ?)",
        (
            project.name,
            json.dumps(settings.options),
            int(settings.multilabel),
            settings.k,
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        ),
    )


def _metadata(
    project: ProjectRecord,
    database: str,
    license: str | None,
    source: str | None,
    title: str | None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "title": title or f"{project.name}: labels from labelloop",
        "description": f"A snapshot of the labelloop project {project.name!r}: items, "
        "labels, annotators and model runs.",
    }
    document |= _named_link("license", license) | _named_link("source", source)
    tables = {
        t.name: {"description": t.description, **({"facets": list(t.facets)} if t.facets else {})}
        for t in SNAPSHOT
    }
    tables["project"] = {"description": "The project's name, options and labels per item (k)."}
    document["databases"] = {database: {"tables": tables}}
    return document


def _named_link(key: str, value: str | None) -> dict[str, str]:
    if not value:
        return {}
    if value.startswith(("http://", "https://")):
        return {key: value, f"{key}_url": value}
    return {key: value}


@click.command("publish")
@click.argument("db", metavar="DB")
@click.argument("out", metavar="OUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--project", "-p", "project_name", required=True, help="Project to publish.")
@click.option("--license", "license_", help="License of the data (a name or a URL).")
@click.option("--source", help="Where the data comes from (a name or a URL).")
@click.option("--title", help="Title shown by Datasette (default: the project's name).")
@click.option("--force", is_flag=True, help="Replace OUT and metadata.json if they exist.")
def publish_command(
    db: str,
    out: Path,
    project_name: str,
    license_: str | None,
    source: str | None,
    title: str | None,
    force: bool,
) -> None:
    """Write an immutable SQLite snapshot of a project to OUT, plus metadata.json.

    Binary payloads are left out (their size is kept); Datasette serves the
    result: datasette serve -i OUT --metadata metadata.json
    """
    if "://" not in db and not Path(db).expanduser().exists():
        raise click.ClickException(f"no store at {db!r}: give an existing SQLite file or a URL")
    try:
        with Database(db) as store:
            path = publish(
                store, project_name, out, license=license_, source=source, title=title, force=force
            )
    except (LabelloopError, StoreUnavailableError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"published {project_name!r} to {path} (metadata in {path.parent / 'metadata.json'})"
    )
