"""The tables the data API serves: their columns, types, keys and sources.

Every table is scoped to one project and built from SQLAlchemy expressions
over the store's own tables; nothing is created in the database (no views).
A *lookup* column (an annotator's name, an item's key) is a scalar subquery
on a primary key: a filter on it becomes ``key IN (SELECT id …)`` and a facet
on it groups by the key column, so both can use the store's indexes.

``items_overview`` is the view of items with their current labels and the
latest model prediction: ``labels`` is a JSON array of the current label
values and ``label`` the value they agree on (None while they disagree or
there is none).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from labelloop.store import schema
from labelloop.store.query.errors import QueryError, UnknownTableError

items, labels, annotators = schema.items, schema.labels, schema.annotators
runs, predictions = schema.model_runs, schema.predictions

Expr = sa.ColumnElement[Any]
AnySelect = sa.Select[*tuple[Any, ...]]


class Binder:
    """Names every value a statement carries (``v0``, ``v1``, … in the order bound).

    Two statements built the same way bind their values under the same names,
    so the SQL compiled for the first serves the second with new values (see
    :func:`readonly.compile_query`).
    """

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def bind(self, value: Any, type_: Any = None) -> sa.BindParameter[Any]:
        """A parameter holding ``value``."""
        name = f"v{len(self.values)}"
        self.values[name] = value
        return sa.bindparam(name, value, type_=type_, unique=False)


@dataclass(frozen=True)
class Context:
    """What a statement's expressions depend on: project, dialect and its parameters.

    ``whole`` says the table holds only this project's rows in the session's
    snapshot, so the project condition may be left out (letting the planner
    walk the primary key or any index); see :mod:`scope`.
    """

    project_id: int
    dialect: str
    whole: bool = False
    binder: Binder = field(default_factory=Binder, compare=False, repr=False)

    def bind(self, value: Any, type_: Any = None) -> sa.BindParameter[Any]:
        """``value`` as a named parameter of the statement being built."""
        return self.binder.bind(value, type_)

    def project(self) -> sa.BindParameter[Any]:
        """The project's id as a parameter."""
        return self.bind(self.project_id, sa.Integer())

    def fresh(self, whole: bool = False) -> Context:
        """The same project and dialect, for a new statement."""
        return dataclasses.replace(self, whole=whole, binder=Binder())


@dataclass(frozen=True)
class Lookup:
    """A column shown through a key: ``table.value`` where ``table.id`` = ``key``."""

    key: str
    table: sa.Table
    value: str
    scoped: bool = False  # the looked-up table has a project_id to match


@dataclass(frozen=True)
class Column:
    """One column of a served table.

    ``physical`` names the column of the base table it reads (for matching
    filters to indexes); None for computed or joined columns.
    """

    name: str
    type: str
    expr: Callable[[Context], Expr]
    doc: str
    nullable: bool = True
    physical: str | None = None
    lookup: Lookup | None = None


@dataclass(frozen=True)
class TableSpec:
    """A served table: base table, primary key, columns and project scope."""

    name: str
    doc: str
    base: sa.Table
    pk: str
    columns: tuple[Column, ...]
    scope: Callable[[Context], sa.ColumnElement[bool]]
    source: Callable[[Context], sa.FromClause] | None = None
    item_column: str | None = None  # the column holding item ids ("label these")
    scoped: bool = True  # the base table has a project_id column
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    @property
    def names(self) -> list[str]:
        """Column names in display order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name``, or QueryError listing the valid ones."""
        found = self.by_name.get(name)
        if found is not None:
            return found
        raise QueryError(
            f"table {self.name!r} has no column {name!r}; valid columns: {', '.join(self.names)}",
            valid_columns=self.names,
        )

    def from_clause(self, ctx: Context) -> sa.FromClause:
        """The FROM of every query on this table."""
        return self.source(ctx) if self.source is not None else self.base

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})


def _plain(
    table: sa.Table, name: str, kind: str, doc: str, nullable: bool = True, shown: str = ""
) -> Column:
    column = table.c[name]
    return Column(shown or name, kind, lambda _ctx: column, doc, nullable, physical=name)


def _json_text(table: sa.Table, name: str, doc: str, nullable: bool = True) -> Column:
    column = table.c[name]

    def expr(ctx: Context) -> Expr:
        if ctx.dialect == "postgresql":
            return sa.cast(column, sa.Text)
        return sa.type_coerce(column, sa.Text)

    return Column(name, "json", expr, doc, nullable, physical=name)


def _data_size(ctx: Context) -> Expr:
    length = sa.func.octet_length if ctx.dialect == "postgresql" else sa.func.length
    return length(items.c.data, type_=sa.Integer)


def _lookup(name: str, source: sa.Column[Any], lookup: Lookup, doc: str) -> Column:
    target = lookup.table

    def expr(_ctx: Context) -> Expr:
        query = sa.select(target.c[lookup.value]).where(target.c.id == source)
        return query.scalar_subquery()

    return Column(name, "text", expr, doc, nullable=False, physical=None, lookup=lookup)


def _project(table: sa.Table) -> Callable[[Context], sa.ColumnElement[bool]]:
    return lambda ctx: table.c.project_id == ctx.project()


_ITEM_KEY = Lookup("item_id", items, "key", scoped=True)
_ANNOTATOR = Lookup("annotator_id", annotators, "name")

ITEMS = TableSpec(
    "items",
    "One row per item: its payload (never binary bytes), metadata and queue state.",
    items,
    "id",
    (
        _plain(items, "id", "int", "item id, unique in the store", False),
        _plain(items, "key", "text", "item key, unique in the project", False),
        _plain(items, "position", "int", "insertion (or seeded random) rank", False),
        _plain(items, "priority", "float", "queue priority; higher is labelled sooner", False),
        _plain(items, "kind", "text", "ndarray, text, json, row, image_path, image or pil", False),
        _plain(items, "dtype", "text", "NumPy dtype of an ndarray item"),
        _plain(items, "shape", "text", "shape of an ndarray item"),
        Column(
            "data_size", "int", _data_size, "bytes of binary payload (the bytes are not served)"
        ),
        _plain(items, "content", "text", "text, JSON, media path or image MIME type"),
        _json_text(items, "meta", "item metadata as a JSON document"),
        _plain(items, "n_labels", "int", "annotators with a current label", False),
        _plain(items, "n_leases", "int", "live leases on the item", False),
        _plain(items, "extra_labels", "int", "labels asked for beyond k", False),
        _plain(items, "claimable", "bool", "whether the queue can hand it out", False),
        _plain(items, "created_at", "datetime", "when it was added (UTC)", False),
    ),
    _project(items),
    item_column="id",
)

LABELS = TableSpec(
    "labels",
    "Every label ever given (append-only): current ones have current = true.",
    labels,
    "id",
    (
        _plain(labels, "id", "int", "label id", False),
        _plain(labels, "item_id", "int", "the labelled item's id", False),
        _lookup("item_key", labels.c.item_id, _ITEM_KEY, "the labelled item's key"),
        _plain(labels, "annotator_id", "int", "the annotator's id", False),
        _lookup("annotator", labels.c.annotator_id, _ANNOTATOR, "the annotator's name"),
        _plain(labels, "value", "text", "the label: option text, or a JSON array", False),
        _plain(labels, "time_taken", "float", "seconds the annotator took"),
        _plain(labels, "created_at", "datetime", "when it was given (UTC)", False),
        _plain(labels, "current", "bool", "not replaced and not undone", False),
        _plain(labels, "replaces", "int", "id of the label this one changed"),
        _plain(labels, "undone_at", "datetime", "when it was undone (UTC)"),
    ),
    _project(labels),
    item_column="item_id",
)


def _annotator_labels(ctx: Context) -> Expr:
    query = sa.select(sa.func.count()).where(
        labels.c.annotator_id == annotators.c.id,
        labels.c.project_id == ctx.project(),
        labels.c.current == sa.true(),
    )
    return query.scalar_subquery()


def _has_labels(ctx: Context) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        labels.c.annotator_id == annotators.c.id, labels.c.project_id == ctx.project()
    )


ANNOTATORS = TableSpec(
    "annotators",
    "Annotators who have labelled in the project, with their current label counts.",
    annotators,
    "id",
    (
        _plain(annotators, "id", "int", "annotator id", False),
        _plain(annotators, "name", "text", "annotator name", False),
        _plain(annotators, "created_at", "datetime", "when the annotator was added (UTC)", False),
        Column("n_labels", "int", _annotator_labels, "current labels in the project", False),
    ),
    _has_labels,
    scoped=False,
)

MODEL_RUNS = TableSpec(
    "model_runs",
    "One row per retrain: labels used, score and details.",
    runs,
    "id",
    (
        _plain(runs, "id", "int", "run id", False),
        _plain(runs, "created_at", "datetime", "when the run finished (UTC)", False),
        _plain(runs, "n_labels", "int", "labels the model was trained on", False),
        _plain(runs, "score", "float", "cross-validated score"),
        _json_text(runs, "details", "timings and settings as a JSON document", False),
    ),
    _project(runs),
)

PREDICTIONS = TableSpec(
    "predictions",
    "The latest model run's predicted label and its probability, per item.",
    predictions,
    "item_id",
    (
        _plain(predictions, "item_id", "int", "the item's id", False),
        _lookup("item_key", predictions.c.item_id, _ITEM_KEY, "the item's key"),
        _plain(predictions, "run_id", "int", "the model run that predicted it", False),
        _plain(predictions, "label", "text", "predicted label (stored text)", False),
        _plain(predictions, "confidence", "float", "probability of the predicted label", False),
    ),
    _project(predictions),
    item_column="item_id",
)


def _current(ctx: Context) -> tuple[Any, sa.ColumnElement[bool]]:
    current = labels.alias("current_labels")
    where = sa.and_(current.c.item_id == items.c.id, current.c.current == sa.true())
    return current, where


def _current_values(ctx: Context) -> Expr:
    current, where = _current(ctx)
    if ctx.dialect == "postgresql":
        ordered = sa.func.array_agg(aggregate_order_by(current.c.value, current.c.annotator_id))
        listed = sa.func.coalesce(sa.cast(sa.func.array_to_json(ordered), sa.Text), "[]")
        return sa.select(listed).where(where).scalar_subquery()
    return sa.select(sa.func.json_group_array(current.c.value)).where(where).scalar_subquery()


def _agreed(ctx: Context) -> Expr:
    current, where = _current(ctx)
    low, high = sa.func.min(current.c.value), sa.func.max(current.c.value)
    return sa.select(sa.case((low == high, low))).where(where).scalar_subquery()


def _overview_source(_ctx: Context) -> sa.FromClause:
    return items.outerjoin(predictions, predictions.c.item_id == items.c.id)


def _joined(table: sa.Table, name: str, kind: str, doc: str, shown: str) -> Column:
    column = table.c[name]
    return Column(shown, kind, lambda _ctx: column, doc)


ITEMS_OVERVIEW = TableSpec(
    "items_overview",
    "Items with their current labels and the latest model prediction.",
    items,
    "id",
    (
        _plain(items, "id", "int", "item id", False),
        _plain(items, "key", "text", "item key", False),
        _plain(items, "kind", "text", "item kind", False),
        _plain(items, "content", "text", "text, JSON, media path or image MIME type"),
        _plain(items, "dtype", "text", "NumPy dtype of an ndarray item"),
        _plain(items, "shape", "text", "shape of an ndarray item"),
        Column("data_size", "int", _data_size, "size of the binary payload (never served)"),
        _json_text(items, "meta", "item metadata as a JSON document"),
        _plain(items, "priority", "float", "queue priority", False),
        _plain(items, "n_labels", "int", "annotators with a current label", False),
        Column("labels", "json", _current_values, "current label values, a JSON array", False),
        Column("label", "text", _agreed, "the value every current label agrees on"),
        _joined(predictions, "label", "text", "the latest run's predicted label", "predicted"),
        _joined(predictions, "confidence", "float", "probability of the prediction", "confidence"),
        _joined(predictions, "run_id", "int", "the run that predicted it", "run_id"),
        _plain(items, "created_at", "datetime", "when it was added (UTC)", False),
    ),
    _project(items),
    _overview_source,
    item_column="id",
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec for spec in (ITEMS, LABELS, ANNOTATORS, MODEL_RUNS, PREDICTIONS, ITEMS_OVERVIEW)
}


def table_spec(name: str) -> TableSpec:
    """The served table called ``name``, or UnknownTableError listing the tables."""
    try:
        return TABLES[name]
    except KeyError:
        raise UnknownTableError(
            f"no table {name!r} in the data API; tables: {', '.join(TABLES)}"
        ) from None
