"""Which indexes the store has, to tell when a filtered count is cheap.

A count is served by an index when the index starts with ``project_id``,
then holds every column compared for equality (``exact``, ``in``,
``isnull``, lookups by key), then at most one compared by range. The
indexes are read from the database itself, so an index added later (see
docs/data-api.md) is used without a code change.
"""

from __future__ import annotations

import sqlalchemy as sa

from labelloop.store.engine import Database
from labelloop.store.query.filters import RANGE_OPERATORS, Filter
from labelloop.store.query.settings import Indexes
from labelloop.store.query.tables import TABLES, TableSpec

EQUALITY_OPERATORS = frozenset({"exact", "in", "isnull"})


def read_indexes(db: Database) -> Indexes:
    """Column lists of every index on the served tables' base tables.

    On SQLite an index also orders by the rowid, so an INTEGER PRIMARY KEY
    is appended to each.
    """
    inspector = sa.inspect(db.engine)
    found: Indexes = {}
    for table in {spec.base for spec in TABLES.values()}:
        lists = [tuple(i["column_names"]) for i in inspector.get_indexes(table.name)]
        lists += [tuple(u["column_names"]) for u in inspector.get_unique_constraints(table.name)]
        rowid = _sqlite_rowid(db, table)
        found[table.name] = [
            (*(c for c in cols if c is not None), *rowid) for cols in lists if None not in cols
        ]
    return found


def _sqlite_rowid(db: Database, table: sa.Table) -> tuple[str, ...]:
    keys = list(table.primary_key.columns)
    if db.dialect == "sqlite" and len(keys) == 1 and keys[0].name == "id":
        return ("id",)
    return ()


def served_by_index(spec: TableSpec, filters: tuple[Filter, ...], indexes: Indexes) -> bool:
    """Whether an index of ``spec``'s base table answers a count of ``filters``."""
    equal: set[str] = set()
    ranged: set[str] = set()
    for f in filters:
        column = spec.column(f.column)
        lookup_key = spec.column(column.lookup.key).physical if column.lookup else None
        physical = lookup_key if f.op != "isnull" and lookup_key else column.physical
        if physical is None or f.op not in EQUALITY_OPERATORS | RANGE_OPERATORS:
            return False
        (equal if f.op in EQUALITY_OPERATORS else ranged).add(physical)
    ranged -= equal
    if len(ranged) > 1:
        return False
    return any(_fits(cols, equal, ranged) for cols in indexes.get(spec.base.name, []))


def _fits(columns: tuple[str, ...], equal: set[str], ranged: set[str]) -> bool:
    if not columns or columns[0] != "project_id":
        return False
    rest = columns[1:]
    if set(rest[: len(equal)]) != equal:
        return False
    return not ranged or (len(rest) > len(equal) and rest[len(equal)] in ranged)
