"""Project: the object a data scientist holds in a notebook or a script.

It ties one project of a store to the queue, the items and the labels, and
speaks in item keys and label values rather than ids and stored text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labelloop.errors import InvalidInputError, UnknownProjectError, require
from labelloop.sources import DEFAULT_CHUNK, item_chunks, length_of
from labelloop.store import items as store_items
from labelloop.store import label_values, labels, projects, queue
from labelloop.store.engine import Database
from labelloop.store.projects import ProjectSettings
from labelloop.store.queue import HistoryEntry, Lease, Progress

if TYPE_CHECKING:
    import pandas as pd

    from labelloop.loop import RunReport

EXPORT_FORMATS = (".csv", ".jsonl", ".parquet")


class Project:
    """A labelling project in a store: items, a queue, labels.

    Opens the project if it exists; creates it when ``options`` is given and
    it does not.

    Parameters
    ----------
    store : str, Path or Database
        A SQLite file path (created if missing), a database URL
        (``sqlite:///…``, ``postgresql://…``) or an open :class:`Database`.
    name : str
        The project's name, unique in the store.
    options : sequence of str, int or bool, optional
        The classes. Required to create a project; ``[]`` for free text.
    multilabel, allow_other, k, lease_seconds, order, seed, media_root
        See :class:`labelloop.store.ProjectSettings`; used only on creation.
    allow_html : bool
        Show HTML from a custom display function as HTML (in a sandboxed
        frame without scripts); otherwise it is shown as text. Creation only.

    Examples
    --------
    >>> import numpy as np, labelloop, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "labels.db")
    >>> p = labelloop.Project(path, "toy", options=["cat", "dog"])
    >>> p.add_items(np.zeros((3, 4)), progress=False)
    3
    >>> p.add_annotator("alice")
    >>> lease = p.claim("alice")[0]
    >>> p.submit(lease, "cat") > 0
    True
    >>> p.progress.done
    1
    """

    def __init__(
        self,
        store: str | Path | Database,
        name: str,
        options: Sequence[Any] | None = None,
        *,
        multilabel: bool = False,
        allow_other: bool = False,
        k: int = 1,
        lease_seconds: float = 600.0,
        order: str = "insertion",
        seed: int = 0,
        media_root: str | Path | None = None,
        allow_html: bool = False,
    ) -> None:
        self._owns_db = not isinstance(store, Database)
        self._model: Any = None
        self._model_options: dict[str, Any] = {}
        self.db = store if isinstance(store, Database) else Database(store)
        settings = ProjectSettings(
            options=list(options or []),
            multilabel=multilabel,
            allow_other=allow_other,
            k=k,
            lease_seconds=lease_seconds,
            order=order,
            seed=seed,
            media_root=None if media_root is None else Path(media_root).expanduser().resolve(),
            extra={"allow_html": True} if allow_html else {},
        )
        try:
            self.record = self._open_or_create(name, options, settings)
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_record(cls, db: Database, record: projects.ProjectRecord) -> Project:
        """A Project over an already loaded record (no lookup); the caller owns ``db``."""
        project = cls.__new__(cls)
        project._owns_db = False
        project.db = db
        project._model = None
        project._model_options = {}
        project.record = record
        return project

    def _open_or_create(
        self, name: str, options: Sequence[Any] | None, settings: ProjectSettings
    ) -> projects.ProjectRecord:
        try:
            record = projects.get_project(self.db, name)
        except UnknownProjectError:
            if options is None:
                raise
            return projects.create_project(self.db, name, settings)
        if options is not None and [str(o) for o in options] != [
            str(o) for o in record.settings.options
        ]:
            raise InvalidInputError(
                f"project {name!r} exists with options {record.settings.options}, not "
                f"{list(options)}; open it without options, or use another name"
            )
        return record

    def __repr__(self) -> str:
        return f"Project({self.name!r}, {self.db!r})"

    def close(self) -> None:
        """Close the database connections, if this project opened them."""
        if self._owns_db:
            self.db.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def name(self) -> str:
        """The project's name."""
        return self.record.name

    @property
    def settings(self) -> ProjectSettings:
        """Options and queue rules (read-only)."""
        return self.record.settings

    @property
    def options(self) -> list[Any]:
        """The label options."""
        return list(self.settings.options)

    # -- items ---------------------------------------------------------------

    def add_items(
        self,
        features: Any,
        labels: Any = None,
        ids: Any = None,
        metadata: Any = None,
        *,
        on_duplicate: str = "error",
        chunk_size: int = DEFAULT_CHUNK,
        progress: bool = True,
    ) -> int:
        """Add items, streamed in chunks, in one transaction.

        Parameters
        ----------
        features : array, DataFrame or iterable
            One item per row/element: a 2-D+ NumPy array (each row an array
            item), a DataFrame (each row a table row), or an iterable of
            arrays, str (text), dicts, :class:`pathlib.Path` (media files),
            encoded image bytes or PIL images.
        labels : sequence, optional
            Known labels (None for unlabelled), stored as annotator ``import``.
        ids : sequence of str or int, optional
            Item keys; default: the item's number in the project, or the
            DataFrame's index when it is not a plain range.
        metadata : sequence of dict or DataFrame, optional
            JSON-able metadata per item.
        on_duplicate : {"error", "update", "ignore"}
            What an existing key does: fail, replace payload and metadata, or skip.
        chunk_size : int
            Items per chunk; bounds memory for large iterables.
        progress : bool
            Show a tqdm progress bar.

        Returns
        -------
        int
            The number of new items.

        Raises
        ------
        InvalidInputError
            Mismatched lengths, ragged arrays, labels outside the options,
            missing media files, duplicate keys; nothing is added.
        """
        from tqdm.auto import tqdm

        chunks = item_chunks(features, self.settings, labels, ids, metadata, chunk_size)
        total = length_of(features)
        bar = tqdm(total=total, unit="item", desc=f"adding to {self.name}", disable=not progress)
        with bar:

            def counted() -> Any:
                for chunk in chunks:
                    yield chunk
                    bar.update(len(chunk))

            return store_items.add_items(self.db, self.record, counted(), on_duplicate)

    def item(self, key: Any) -> Any:
        """The item stored under ``key``, decoded (array, text, image…)."""
        found = store_items.get_items(self.db, self.record, [str(key)])
        if not found:
            raise InvalidInputError(f"no item {key!r} in project {self.name!r}")
        return found[0].value

    def items(self, keys: Sequence[Any] | None = None) -> list[store_items.StoredItem]:
        """Items by key (all of them when ``keys`` is None), with id and metadata."""
        return store_items.get_items(
            self.db, self.record, None if keys is None else [str(k) for k in keys]
        )

    def __len__(self) -> int:
        return self.progress.total

    # -- annotators ----------------------------------------------------------

    def add_annotator(self, name: str) -> None:
        """Register an annotator (a no-op if they exist)."""
        projects.add_annotator(self.db, name)

    @property
    def annotators(self) -> list[str]:
        """Every annotator in the store."""
        return projects.list_annotators(self.db)

    # -- queue ---------------------------------------------------------------

    def claim(self, annotator: str, n: int = 1) -> list[Lease]:
        """Lease up to ``n`` items to ``annotator``, highest priority first."""
        return queue.claim(self.db, self.record, annotator, n)

    def submit(
        self,
        lease: Lease | str,
        value: Any,
        *,
        annotator: str | None = None,
        time_taken: float | None = None,
    ) -> int:
        """Label a leased item; idempotent per lease. Returns the label id.

        Raises
        ------
        InvalidInputError
            If ``value`` is not one of the options.
        LeaseError
            If the lease expired, is unknown or is someone else's.
        """
        lease_id, who = self._lease_parts(lease, annotator)
        text = label_values.to_text(self.settings, value)
        return queue.submit(self.db, self.record, lease_id, who, text, time_taken)

    def skip(self, lease: Lease | str, *, annotator: str | None = None) -> None:
        """Pass on an item: it goes back to the pool, never again to this annotator."""
        queue.skip(self.db, self.record, *self._lease_parts(lease, annotator))

    def release(self, lease: Lease | str, *, annotator: str | None = None) -> None:
        """Hand a leased item back unlabelled."""
        queue.release(self.db, self.record, *self._lease_parts(lease, annotator))

    def heartbeat(
        self, lease: Lease | str, *, annotator: str | None = None, seconds: float | None = None
    ) -> float:
        """Extend a live lease; returns its new expiry (epoch seconds)."""
        lease_id, who = self._lease_parts(lease, annotator)
        return queue.extend(self.db, self.record, lease_id, who, seconds)

    def undo(self, annotator: str) -> Lease:
        """Undo ``annotator``'s last label; returns a lease on that item to label it again."""
        return queue.undo(self.db, self.record, annotator)

    def relabel(self, annotator: str, key: Any, value: Any) -> int:
        """Change ``annotator``'s label on item ``key`` (the old label is kept in history)."""
        text = label_values.to_text(self.settings, value)
        return queue.relabel(self.db, self.record, annotator, str(key), text)

    def history(self, annotator: str, limit: int = 50, offset: int = 0) -> list[HistoryEntry]:
        """``annotator``'s current labels, newest first (values as stored text)."""
        return queue.history(self.db, self.record, annotator, limit, offset)

    def set_priorities(self, keys: Sequence[Any], priorities: Any) -> int:
        """Reorder the queue: items with higher priority are claimed first.

        Written in one bulk, atomic update. Returns the number of items updated.
        """
        ids = self._ids_for(keys)
        return queue.set_priorities(self.db, self.record, ids, np.asarray(priorities))

    @property
    def progress(self) -> Progress:
        """Counts of items done, labelled and in progress."""
        return queue.progress(self.db, self.record)

    def progress_of(self, annotator: str) -> Progress:
        """Progress including ``annotator``'s own label count (``mine``)."""
        return queue.progress(self.db, self.record, annotator)

    # -- the model -----------------------------------------------------------

    def use_model(
        self,
        model: Any,
        acquisition: Any = "entropy",
        *,
        shuffle_prop: float = 0.0,
        batch_size: int | None = None,
        diverse: bool = False,
        preprocess: Any = None,
        eval_method: Any = None,
    ) -> None:
        """Set the model and strategy that :meth:`retrain` and :meth:`orchestrate` use.

        Parameters
        ----------
        model : estimator, callable or str
            Anything with ``fit`` and ``predict_proba`` (cloned before each
            fit), a factory returning one, or ``"module:callable"``. A string
            is saved with the project, so other processes (the web app, the
            ``labelloop orchestrate`` command) use the same model.
        acquisition : str or callable
            ``"entropy"``, ``"margin"``, ``"certainty"``, ``"random"``,
            ``"vote_entropy"`` or ``"bald"`` (committee measures, for bagging
            ensembles), or a callable on the probability array.
        shuffle_prop : float
            Share of queue positions given to random items.
        batch_size, diverse
            With ``diverse=True``, the next ``batch_size`` items are chosen to
            be uncertain and spread out rather than near-duplicates.
        preprocess : callable, optional
            ``model_preprocess(x, y) -> (x, y)``; ``y`` is None for the pool.
        eval_method : callable, optional
            ``eval_method(model, x, y) -> score``; default: stratified
            cross-validated accuracy with folds adapted to the smallest class.
        """
        from labelloop.loop import Strategy, resolve_model

        strategy = Strategy(acquisition, shuffle_prop, batch_size, diverse)
        strategy.validate()
        resolve_model(model)  # fail now, not at the first retrain
        self._model = model
        self._model_options = {
            "strategy": strategy,
            "preprocess": preprocess,
            "eval_method": eval_method,
        }
        if isinstance(model, str) and isinstance(acquisition, str):
            extra = dict(self.settings.extra)
            extra["model"] = {
                "factory": model,
                "acquisition": acquisition,
                "shuffle_prop": shuffle_prop,
                "batch_size": batch_size,
                "diverse": diverse,
            }
            projects.update_extra(self.db, self.record, extra)
            self.record = projects.get_project(self.db, self.name)

    def retrain(self, model: Any = None, **strategy: Any) -> RunReport:
        """Fit on the labels, score, predict every item and reorder the queue.

        Labellers keep working meanwhile; only the final bulk write (priorities,
        predictions, the run record and the model, in one transaction) makes
        them wait briefly. With too few labels it returns a report saying what
        is missing instead of failing; priorities are then left as they were.

        Parameters
        ----------
        model : optional
            Overrides the model set by :meth:`use_model` for this run.
        **strategy
            Overrides of :meth:`use_model`'s strategy (``acquisition``,
            ``shuffle_prop``, ``batch_size``, ``diverse``).

        Returns
        -------
        RunReport
            ``run_id``, ``n_labels``, ``score``, ``message``, ``finished``,
            ``settled`` (the stop signal) and ``details``.
        """
        from labelloop.loop import retrain

        chosen, options = self._model_setup(model, strategy)
        return retrain(
            self, chosen, options["strategy"], options["preprocess"], options["eval_method"]
        )

    def orchestrate(
        self,
        model: Any = None,
        *,
        interval_seconds: float | None = 60.0,
        interval_n_labels: int | None = None,
        max_runs: int | None = None,
        on_run: Any = None,
        **strategy: Any,
    ) -> list[RunReport]:
        """Retrain whenever ``interval_n_labels`` new labels or ``interval_seconds`` pass.

        Blocks until ``max_runs`` runs are recorded or nothing is left to
        label; see :func:`labelloop.orchestrator.orchestrate`. ``on_run`` is
        called with each :class:`RunReport`. For a separate process use
        ``labelloop orchestrate``.
        """
        from labelloop.orchestrator import orchestrate

        chosen, options = self._model_setup(model, strategy)
        return orchestrate(
            self,
            chosen,
            options["strategy"],
            interval_seconds=interval_seconds,
            interval_n_labels=interval_n_labels,
            max_runs=max_runs,
            preprocess=options["preprocess"],
            eval_method=options["eval_method"],
            on_run=on_run,
        )

    @property
    def model_runs(self) -> pd.DataFrame:
        """One row per retrain: time, labels used, score, and details (a learning curve)."""
        import pandas as pd

        from labelloop.store import runs

        rows = runs.list_runs(self.db, self.record)
        frame = pd.DataFrame(rows, columns=["id", "created_at", "n_labels", "score", "details"])
        frame["settled"] = [r["details"].get("stop", {}).get("settled") for r in rows]
        return frame

    @property
    def stop_signal(self) -> dict[str, Any] | None:
        """The latest run's stop signal: ``settled`` in [0, 1], ``should_stop``, ``reason``."""
        from labelloop.store import runs

        history = runs.list_runs(self.db, self.record)
        return None if not history else history[-1]["details"].get("stop")

    def load_model(self, run_id: int | None = None) -> Any:
        """The fitted model of a run (the latest by default); the last 3 are kept."""
        import joblib

        from labelloop.store import runs

        data = runs.model_bytes(self.db, self.record, run_id)
        if data is None:
            raise InvalidInputError(
                f"project {self.name!r} has no stored model"
                + (f" for run {run_id}" if run_id is not None else "; call retrain() first")
            )
        import io

        return joblib.load(io.BytesIO(data))

    def suspect_labels(self, top: int = 20, model: Any = None) -> pd.DataFrame:
        """Labelled items whose label is most likely wrong, most suspect first.

        Out-of-fold probabilities from the model (confident-learning style):
        each item is scored by a model that never saw its label.

        Returns
        -------
        DataFrame
            ``key``, ``label`` (the agreed label), ``suggested`` (the model's
            pick), ``p_label`` (probability of the given label), ``score``
            (higher is more suspect).
        """
        import pandas as pd

        from labelloop import learn
        from labelloop.loop import FeatureCache, resolve_model, training_data

        if self.settings.multilabel:
            raise InvalidInputError("suspect_labels works on single-label projects")
        chosen, options = self._model_setup(model, {})
        cache = FeatureCache()
        ids, x, y, _ = training_data(self, cache)
        if options["preprocess"] is not None:
            x, y = options["preprocess"](x, y)
        learn.check_training_data(y)
        proba = learn.out_of_fold_proba(resolve_model(chosen), x, y)
        classes = np.unique(y)
        order = learn.find_label_issues(y, proba, top=top, classes=classes)
        scores = learn.label_issue_scores(y, proba, classes=classes)
        keys = dict(zip(cache.ids.tolist(), cache.keys, strict=True))
        column = {c: i for i, c in enumerate(classes.tolist())}
        return pd.DataFrame(
            {
                "key": [keys[int(ids[i])] for i in order],
                "label": [y[i] for i in order],
                "suggested": [classes[proba[i].argmax()] for i in order],
                "p_label": [float(proba[i, column[y[i]]]) for i in order],
                "score": [float(scores[i]) for i in order],
            }
        )

    def requeue(self, keys: Sequence[Any]) -> int:
        """Ask for one more label on each item, from an annotator who has not labelled it."""
        return queue.requeue(self.db, self.record, self._ids_for(keys).tolist())

    def _model_setup(self, model: Any, overrides: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        from dataclasses import replace

        from labelloop.loop import Strategy

        saved = self.settings.extra.get("model") or {}
        chosen = model if model is not None else self._model or saved.get("factory")
        if chosen is None:
            raise InvalidInputError(
                "no model: call project.use_model(model, acquisition=...) or pass model=..."
            )
        options = dict(self._model_options) or {
            "strategy": Strategy(
                saved.get("acquisition", "entropy"),
                saved.get("shuffle_prop", 0.0),
                saved.get("batch_size"),
                saved.get("diverse", False),
            ),
            "preprocess": None,
            "eval_method": None,
        }
        if overrides:
            options["strategy"] = replace(options["strategy"], **overrides)
        return chosen, options

    # -- results -------------------------------------------------------------

    @property
    def labels(self) -> pd.DataFrame:
        """Current labels, one row per annotator per item."""
        return self.label_history(current_only=True)

    def label_history(self, current_only: bool = False) -> pd.DataFrame:
        """Every label ever given, including changed and undone ones."""
        import pandas as pd

        rows = list(labels.label_rows(self.db, self.record, history=not current_only))
        frame = pd.DataFrame(rows, columns=list(labels.LABEL_COLUMNS))
        values = [label_values.from_text(self.settings, v) for v in frame["value"]]
        frame["value"] = pd.Series(values, dtype=object)
        frame["replaces"] = frame["replaces"].astype("Int64")
        return frame

    def to_pandas(self) -> pd.DataFrame:
        """One row per item: key, kind, agreed label, label count, agreement, metadata.

        The agreed label is the majority of the current labels; a tie is
        left as None.
        """
        from labelloop._tables import items_frame

        current = labels.label_rows(self.db, self.record)
        return items_frame(labels.item_rows(self.db, self.record), current, self.settings)

    def export(self, path: str | Path, what: str = "items") -> Path:
        """Write items with their labels (or every label row) to CSV, JSONL or Parquet.

        Parameters
        ----------
        path : str or Path
            Output file; the suffix picks the format (``.csv``, ``.jsonl``, ``.parquet``).
        what : {"items", "labels"}
            One row per item (:meth:`to_pandas`) or per label (:attr:`labels`).
        """
        out = Path(path)
        if out.suffix not in EXPORT_FORMATS:
            raise InvalidInputError(f"cannot export to {out.name}: use one of {EXPORT_FORMATS}")
        if what not in ("items", "labels"):
            raise InvalidInputError(f"what must be 'items' or 'labels', not {what!r}")
        frame = self.to_pandas() if what == "items" else self.labels
        if out.suffix == ".csv":
            frame.to_csv(out, index=False)
        elif out.suffix == ".jsonl":
            frame.to_json(out, orient="records", lines=True, date_format="iso")
        else:
            require("pyarrow", "parquet")
            frame.to_parquet(out, index=False)
        return out

    # -- internals -----------------------------------------------------------

    def _lease_parts(self, lease: Lease | str, annotator: str | None) -> tuple[str, str]:
        if isinstance(lease, Lease):
            return lease.id, annotator or lease.annotator
        if annotator is None:
            raise InvalidInputError("pass annotator=... with a lease id, or pass the Lease")
        return lease, annotator

    def _ids_for(self, keys: Sequence[Any]) -> np.ndarray:
        wanted = [str(k) for k in keys]
        found = store_items.item_ids(self.db, self.record, wanted)
        missing = [k for k in wanted if k not in found]
        if missing:
            raise InvalidInputError(f"no items {missing[:5]} in project {self.name!r}")
        return np.fromiter((found[k] for k in wanted), dtype=np.int64, count=len(wanted))
