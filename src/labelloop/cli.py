"""The ``labelloop`` command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from labelloop.errors import LabelloopError

F = TypeVar("F", bound=Callable[..., Any])

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")
DEMO_PROJECT = "digits"


def friendly_errors(command: F) -> F:
    """Show labelloop's own errors as one clear line, without a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LabelloopError as error:
            raise click.ClickException(str(error)) from None

    return wrapper  # type: ignore[return-value]


db_argument = click.argument("db", metavar="DB")
project_option = click.option(
    "--project", "-p", "project_name", required=True, help="Project name within the store."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="labelloop")
def main() -> None:
    """labelloop: label data with people and a model in the loop.

    DB is a SQLite file path (created if missing) or a database URL such as
    postgresql://user@host/dbname.
    """


@main.command()
@db_argument
@project_option
@click.option("--options", "-o", required=True, help="Comma-separated classes, e.g. cat,dog.")
@click.option("--multilabel", is_flag=True, help="Allow several classes per item.")
@click.option("--allow-other", is_flag=True, help="Accept free text beside the classes.")
@click.option("--k", default=1, show_default=True, help="Labels wanted per item.")
@click.option("--lease-seconds", default=600.0, show_default=True, help="Lease length.")
@click.option(
    "--order",
    type=click.Choice(["insertion", "random"]),
    default="insertion",
    show_default=True,
    help="Queue order before a model sets priorities.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the random order.")
@click.option(
    "--media-root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder that media file paths are stored relative to.",
)
@friendly_errors
def init(db: str, project_name: str, options: str, **settings: Any) -> None:
    """Create a project in DB."""
    from labelloop.project import Project

    classes = [o.strip() for o in options.split(",") if o.strip()]
    with Project(db, project_name, options=classes, **settings) as project:
        click.echo(f"created project {project.name!r} with options {project.options}")


@main.command()
@db_argument
@project_option
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--id-column", help="CSV/JSONL column holding item keys.")
@click.option("--label-column", help="CSV/JSONL column holding known labels.")
@click.option("--text-column", help="CSV/JSONL column holding text; other columns become metadata.")
@click.option(
    "--on-duplicate",
    type=click.Choice(["error", "update", "ignore"]),
    default="error",
    show_default=True,
    help="What an item key that already exists does.",
)
@friendly_errors
def add(
    db: str,
    project_name: str,
    source: Path,
    id_column: str | None,
    label_column: str | None,
    text_column: str | None,
    on_duplicate: str,
) -> None:
    """Add items from SOURCE: a .csv, .jsonl or .npy file, or a folder of images.

    CSV and JSONL rows become table-row items (or text items with
    --text-column); each row of a .npy array becomes an array item; every
    image under a folder becomes a media item (the folder is a good
    --media-root for the project).
    """
    from labelloop.project import Project

    features, extra = _read_source(source, id_column, label_column, text_column)
    with Project(db, project_name) as project:
        added = project.add_items(features, on_duplicate=on_duplicate, **extra)
        click.echo(f"added {added} items to {project.name!r} (now {len(project)})")


def _read_source(
    source: Path, id_column: str | None, label_column: str | None, text_column: str | None
) -> tuple[Any, dict[str, Any]]:
    from labelloop.errors import InvalidInputError

    if source.is_dir():
        from labelloop.sources import paths_in

        return paths_in(source, IMAGE_SUFFIXES), {}
    if source.suffix == ".npy":
        import numpy as np

        return np.load(source, mmap_mode="r", allow_pickle=False), {}
    if source.suffix in (".csv", ".jsonl"):
        return _table_items(source, id_column, label_column, text_column)
    raise InvalidInputError(
        f"cannot read {source.name}: give a .csv, .jsonl or .npy file, or a folder of images"
    )


def _table_items(
    source: Path, id_column: str | None, label_column: str | None, text_column: str | None
) -> tuple[Any, dict[str, Any]]:
    import pandas as pd

    from labelloop.errors import InvalidInputError

    if source.suffix == ".csv":
        frame = pd.read_csv(source)
    else:
        lines = source.read_text().splitlines()
        frame = pd.DataFrame([json.loads(line) for line in lines if line.strip()])
    named = {"--id-column": id_column, "--label-column": label_column, "--text-column": text_column}
    for flag, column in named.items():
        if column is not None and column not in frame.columns:
            raise InvalidInputError(
                f"{flag} {column!r} is not a column of {source.name}; "
                f"columns: {list(frame.columns)}"
            )
    extra: dict[str, Any] = {}
    if id_column:
        extra["ids"] = frame.pop(id_column).astype(str).tolist()
    if label_column:
        labels = frame.pop(label_column)
        extra["labels"] = labels.astype(object).where(labels.notna(), None).tolist()
    if text_column:
        texts = frame.pop(text_column).astype(str).tolist()
        if len(frame.columns):
            extra["metadata"] = frame
        return texts, extra
    return frame.reset_index(drop=True), extra


@main.command()
@db_argument
@click.option("--project", "-p", "project_name", help="Only this project.")
@friendly_errors
def status(db: str, project_name: str | None) -> None:
    """Show each project's progress and label counts."""
    from labelloop.project import Project
    from labelloop.store import Database
    from labelloop.store.projects import list_projects

    with Database(db) as database:
        names = [project_name] if project_name else [r.name for r in list_projects(database)]
        if not names:
            click.echo(f"no projects in {db}; create one with `labelloop init`")
            return
        header = f"{'project':<24} {'items':>9} {'done':>9} {'labels':>9} {'leased':>7}  options"
        click.echo(header)
        for name in names:
            project = Project(database, name)
            p = project.progress
            options = ",".join(str(o) for o in project.options) or "(free text)"
            click.echo(
                f"{name:<24} {p.total:>9} {p.done:>9} {p.labels:>9} {p.in_progress:>7}  {options}"
            )


@main.command()
@db_argument
@project_option
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--what",
    type=click.Choice(["items", "labels"]),
    default="items",
    show_default=True,
    help="One row per item (agreed label) or one row per label.",
)
@friendly_errors
def export(db: str, project_name: str, out: Path, what: str) -> None:
    """Write a project's labels to OUT (.csv, .jsonl or .parquet)."""
    from labelloop.project import Project

    with Project(db, project_name) as project:
        click.echo(f"wrote {project.export(out, what=what)}")


@main.command("orchestrate")
@db_argument
@project_option
@click.option(
    "--model",
    "-m",
    help="module:callable returning an estimator (default: the model saved with the project).",
)
@click.option(
    "--acquisition",
    "-a",
    help="entropy, margin, certainty, random, vote_entropy or bald (default: the saved one).",
)
@click.option("--shuffle-prop", type=float, help="Share of queue positions given to random items.")
@click.option("--batch-size", type=int, help="Items picked together by --diverse.")
@click.option(
    "--diverse", is_flag=True, default=None, help="Pick uncertain and spread-out batches."
)
@click.option(
    "--interval-seconds", type=float, default=60.0, show_default=True, help="Retrain this often."
)
@click.option("--interval-labels", type=int, help="Retrain after this many new labels.")
@click.option("--max-runs", type=int, help="Stop after this many recorded runs.")
@click.option("--once", is_flag=True, help="Try one run now, then exit (for cron).")
@friendly_errors
def orchestrate_command(
    db: str,
    project_name: str,
    model: str | None,
    interval_seconds: float,
    interval_labels: int | None,
    max_runs: int | None,
    once: bool,
    **strategy: Any,
) -> None:
    """Retrain the project's model whenever new labels come, and reorder its queue.

    Runs until stopped (Ctrl-C), until --max-runs runs, or until nothing is
    left to label. It needs only the database, so it can run on another
    machine (a GPU box) against PostgreSQL.
    """
    from labelloop.project import Project

    overrides = {k: v for k, v in strategy.items() if v is not None}
    with Project(db, project_name) as project:
        if once:
            report = project.retrain(model, **overrides)
            click.echo(f"run {report.run_id}: {report.message}")
            return
        reports = project.orchestrate(
            model,
            interval_seconds=interval_seconds,
            interval_n_labels=interval_labels,
            max_runs=max_runs,
            on_run=lambda report: click.echo(f"run {report.run_id}: {report.message}"),
            **overrides,
        )
    if reports and reports[-1].finished:
        click.echo("nothing left to label")


@main.group()
def annotator() -> None:
    """Manage annotators."""


@annotator.command("add")
@db_argument
@click.argument("name")
@friendly_errors
def annotator_add(db: str, name: str) -> None:
    """Add annotator NAME to DB."""
    from labelloop.store import Database
    from labelloop.store.projects import add_annotator

    with Database(db) as database:
        add_annotator(database, name)
    click.echo(f"annotator {name!r} ready")


@annotator.command("list")
@db_argument
@friendly_errors
def annotator_list(db: str) -> None:
    """List the annotators in DB."""
    from labelloop.store import Database
    from labelloop.store.projects import list_annotators

    with Database(db) as database:
        for name in list_annotators(database):
            click.echo(name)


@main.command()
@click.option(
    "--db",
    default="labelloop-demo.db",
    show_default=True,
    help="Where to build the demo store.",
)
@friendly_errors
def demo(db: str) -> None:
    """Build a project of scikit-learn's handwritten digits and show its status."""
    from labelloop.demo import build_digits

    with build_digits(db, DEMO_PROJECT) as project:
        click.echo(f"demo store: {Path(db).resolve()}  project: {project.name!r}\n")
    click.get_current_context().invoke(status, db=db, project_name=None)
