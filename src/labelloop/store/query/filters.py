"""Datasette's filter grammar, as SQL conditions on a served table.

A filter is ``column__operator=value`` in the query string (``column=value``
means ``__exact``). Values are parsed by the column's type before any query
runs, so a bad value is a clear 400, never a database error. Text matching
(``contains``, ``startswith``) is case-sensitive on both backends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from labelloop.store.query import values
from labelloop.store.query.errors import QueryError
from labelloop.store.query.tables import Column, Context, Expr, TableSpec

OPERATORS = ("exact", "not", "contains", "startswith", "gt", "gte", "lt", "lte", "in", "isnull")
TEXT_OPERATORS = frozenset({"contains", "startswith"})
RANGE_OPERATORS = frozenset({"gt", "gte", "lt", "lte"})
_GLOB_SPECIAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


@dataclass(frozen=True)
class Filter:
    """One parsed filter: column, operator and the value as a parameter.

    ``value`` is a tuple for ``in`` and a bool for ``isnull``.
    """

    column: str
    op: str
    value: Any
    text: str

    @property
    def key(self) -> str:
        """The query-string key it came from, in canonical form."""
        return f"{self.column}__{self.op}"


def split_key(key: str) -> tuple[str, str]:
    """``"value__gte"`` → ``("value", "gte")``; a bare column means exact."""
    column, sep, op = key.rpartition("__")
    if not sep:
        return key, "exact"
    return column, op


def parse_filter(spec: TableSpec, key: str, text: str, dialect: str) -> Filter:
    """Parse one ``key=text`` pair of the query string into a Filter.

    Raises
    ------
    QueryError
        Naming the valid columns or operators, or saying why the value does
        not fit the column.
    """
    name, op = split_key(key)
    column = spec.column(name)
    if op not in OPERATORS:
        raise QueryError(
            f"unknown operator {op!r} in {key!r}; valid operators: {', '.join(OPERATORS)}",
            valid_operators=list(OPERATORS),
        )
    if op in TEXT_OPERATORS and column.type not in ("text", "json"):
        raise QueryError(f"{key}: {op} applies to text columns; {name} is {column.type}")
    try:
        value = _parse_value(column, op, text, dialect)
    except QueryError as error:
        raise QueryError(f"{key}: {error}") from None
    return Filter(name, op, value, text)


def _parse_value(column: Column, op: str, text: str, dialect: str) -> Any:
    if op == "isnull":
        return values.flag(text, "isnull")
    if op == "in":
        parts = _in_values(text)
        return tuple(values.parse(column.type, part, dialect) for part in parts)
    return values.parse(column.type, text, dialect)


def _in_values(text: str) -> list[str]:
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise QueryError("__in takes a JSON array or comma-separated values") from None
        if not isinstance(parsed, list) or not all(isinstance(v, str | int) for v in parsed):
            raise QueryError("__in takes a JSON array of strings or numbers")
        parts = [str(v) for v in parsed]
    else:
        parts = text.split(",")
    if not parts or parts == [""]:
        raise QueryError("__in needs at least one value")
    return parts


def condition(spec: TableSpec, ctx: Context, f: Filter) -> sa.ColumnElement[bool]:
    """The SQL condition of a filter (through the key index for lookup columns)."""
    column = spec.column(f.column)
    if column.lookup is not None and f.op != "isnull":
        return _lookup_condition(spec, ctx, column, f)
    return compare(column.expr(ctx), f.op, f.value, ctx)


def compare(expr: Expr, op: str, value: Any, ctx: Context) -> sa.ColumnElement[bool]:
    """``expr <op> value`` for one of :data:`OPERATORS`, values bound as parameters."""
    if op == "isnull":
        return expr.is_(None) if value else expr.is_not(None)
    if op == "in":
        return expr.in_([ctx.bind(v, expr.type) for v in value])
    if op == "contains":
        find = sa.func.strpos if ctx.dialect == "postgresql" else sa.func.instr
        return find(expr, ctx.bind(value, sa.Text())) > 0
    if op == "startswith":
        if ctx.dialect == "postgresql":
            return sa.func.starts_with(expr, ctx.bind(value, sa.Text()), type_=sa.Boolean)
        return expr.op("GLOB")(ctx.bind(_glob_prefix(value), sa.Text()))
    value = ctx.bind(value, expr.type)
    operations = {
        "exact": expr.__eq__,
        "not": expr.__ne__,
        "gt": expr.__gt__,
        "gte": expr.__ge__,
        "lt": expr.__lt__,
        "lte": expr.__le__,
    }
    result: sa.ColumnElement[bool] = operations[op](value)
    return result


def _glob_prefix(prefix: str) -> str:
    return "".join(_GLOB_SPECIAL.get(ch, ch) for ch in prefix) + "*"


def _lookup_condition(
    spec: TableSpec, ctx: Context, column: Column, f: Filter
) -> sa.ColumnElement[bool]:
    lookup = column.lookup
    assert lookup is not None
    target = lookup.table
    positive = "exact" if f.op == "not" else f.op
    keys = sa.select(target.c.id).where(compare(target.c[lookup.value], positive, f.value, ctx))
    if lookup.scoped:
        keys = keys.where(target.c.project_id == ctx.project())
    key = spec.column(lookup.key).expr(ctx)
    return key.not_in(keys) if f.op == "not" else key.in_(keys)


def shape(filters: tuple[Filter, ...]) -> tuple[Any, ...]:
    """What of the filters decides the SQL text: columns, operators, list lengths."""
    return tuple(
        (f.column, f.op, len(f.value) if f.op == "in" else bool(f.value) if f.op == "isnull" else 0)
        for f in filters
    )


def conditions(spec: TableSpec, ctx: Context, filters: tuple[Filter, ...]) -> list[Any]:
    """The project scope (unless the table is the project's alone) and every filter."""
    scope = [] if ctx.whole else [spec.scope(ctx)]
    return [*scope, *(condition(spec, ctx, f) for f in filters)]
