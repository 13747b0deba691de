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


@main.command()
@db_argument
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--workers", default=1, show_default=True, help="Worker processes (use PostgreSQL for >1)."
)
@click.option("--public-data", is_flag=True, help="Let anyone read the data API (read-only).")
@click.option(
    "--secure-cookies", is_flag=True, help="Mark cookies Secure (behind a TLS-terminating proxy)."
)
@friendly_errors
def serve(
    db: str, host: str, port: int, workers: int, public_data: bool, secure_cookies: bool
) -> None:
    """Run the web app: labelling pages, the labelling API (/docs) and the data API."""
    from labelloop.server.run import serve as run_server

    run_server(db, host, port, workers, public_data=public_data, secure_cookies=secure_cookies)


@main.group()
def user() -> None:
    """Manage web app users (annotators with a role) and their login links."""


@user.command("add")
@db_argument
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["annotator", "reviewer", "admin"]),
    default="annotator",
    show_default=True,
    help="annotator: labels; reviewer: also reads the data API; admin: everything.",
)
@click.option("--project", "-p", "project_names", multiple=True, help="Project to join (repeat).")
@click.option(
    "--url", default="http://127.0.0.1:8000", show_default=True, help="Where the app is served."
)
@friendly_errors
def user_add(db: str, name: str, role: str, project_names: tuple[str, ...], url: str) -> None:
    """Create (or update) user NAME and print a one-time login link."""
    from labelloop.store import Database, accounts
    from labelloop.store.projects import get_project

    with Database(db) as database:
        accounts.add_user(database, name, role)
        for project_name in project_names:
            accounts.grant(database, get_project(database, project_name), name)
        token = accounts.issue_login_token(database, name)
    click.echo(f"{name} ({role}): {url.rstrip('/')}/login?token={token}")


@user.command("link")
@db_argument
@click.argument("name")
@click.option(
    "--url", default="http://127.0.0.1:8000", show_default=True, help="Where the app is served."
)
@friendly_errors
def user_link(db: str, name: str, url: str) -> None:
    """Print a new one-time login link for existing user NAME."""
    from labelloop.store import Database, accounts

    with Database(db) as database:
        token = accounts.issue_login_token(database, name)
    click.echo(f"{url.rstrip('/')}/login?token={token}")


def _register_publish() -> None:
    from labelloop.store.publish import publish_command

    main.add_command(publish_command)


_register_publish()


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
@click.option("--port", default=8000, show_default=True, help="Port for the labelling page.")
@click.option("--no-serve", is_flag=True, help="Only build the project and show its status.")
@friendly_errors
def demo(db: str, port: int, no_serve: bool) -> None:
    """Label scikit-learn's handwritten digits in the browser, with a model in the loop.

    Builds a SQLite project of the 1,797 digits with a logistic-regression
    model and entropy sampling, prints an admin login link, and serves the
    labelling page until Ctrl-C.
    """
    from labelloop.demo import build_digits
    from labelloop.store import accounts

    with build_digits(db, DEMO_PROJECT) as project:
        click.echo(f"demo store: {Path(db).resolve()}  project: {project.name!r}\n")
        accounts.add_user(project.db, "admin", "admin")
        token = accounts.issue_login_token(project.db, "admin")
    click.get_current_context().invoke(status, db=db, project_name=None)
    if no_serve:
        return
    click.echo(
        f"\nopen http://127.0.0.1:{port}/login?token={token}\n"
        f"then label at http://127.0.0.1:{port}/projects/{DEMO_PROJECT}/label  (Ctrl-C stops)"
    )
    from labelloop.server.run import serve as run_server

    run_server(db, "127.0.0.1", port, 1)
