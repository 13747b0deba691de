"""Bulk writes, with each dialect's fastest safe path.

PostgreSQL gets ``COPY`` (an order of magnitude faster than row inserts);
SQLite gets ``executemany`` on one prepared statement. Priorities go through
a temporary table and one ``UPDATE … FROM``, so a million of them is one
statement, not a million.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

ITEM_COLUMNS = (
    "project_id",
    "key",
    "position",
    "priority",
    "kind",
    "dtype",
    "shape",
    "data",
    "content",
    "meta",
    "n_labels",
    "n_leases",
    "claimable",
    "created_at",
)


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows: COPY on PostgreSQL, one prepared executemany on SQLite."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, list(rows[0]), [tuple(r.values()) for r in rows], table)
    else:
        _sqlite_executemany(conn, table, rows)


def insert_tuples(
    conn: Connection, table_name: str, columns: list[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Insert plain tuples (values already in their database form) as fast as the driver can."""
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table_name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({marks})"
    conn.connection.driver_connection.cursor().executemany(sql, rows)  # type: ignore[union-attr]


def _sqlite_executemany(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    # Straight to sqlite3: SQLAlchemy's per-row processing costs more than
    # the insert. Values are converted the way its column types would.
    columns = list(rows[0])
    convert = [_sqlite_converter(table.c[name].type) for name in columns]
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    tuples = (
        tuple(
            v if f is None or v is None else f(v) for f, v in zip(convert, r.values(), strict=True)
        )
        for r in rows
    )
    conn.connection.driver_connection.cursor().executemany(sql, tuples)  # type: ignore[union-attr]


def _sqlite_converter(column_type: Any) -> Any:
    import datetime as dt
    import json

    if isinstance(column_type, sa.JSON):
        return json.dumps
    if isinstance(column_type, sa.DateTime):
        return lambda v: (
            v.replace(tzinfo=None).isoformat(" ", "microseconds")
            if isinstance(v, dt.datetime)
            else v
        )
    if isinstance(column_type, sa.Boolean):
        return int
    return None


def _copy(
    conn: Connection,
    table_name: str,
    columns: list[str],
    tuples: list[tuple[Any, ...]],
    table: sa.Table | None = None,
) -> None:
    import json

    json_columns = (
        {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
        if table is not None
        else set()
    )
    positions = [i for i, name in enumerate(columns) if name in json_columns]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(columns)
    with cursor.copy(f"COPY {table_name} ({names}) FROM STDIN") as copy:
        for row in tuples:
            if positions:
                row = tuple(
                    json.dumps(v) if i in positions and v is not None else v
                    for i, v in enumerate(row)
                )
            copy.write_row(row)


def update_priorities(
    conn: Connection, project_id: int, ids: np.ndarray, values: np.ndarray
) -> int:
    """Set ``priority`` of items ``ids`` to ``values``; return rows updated."""
    pairs = list(zip(ids.tolist(), values.tolist(), strict=True))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS labelloop_priorities "
            "(id bigint PRIMARY KEY, p double precision) ON COMMIT DELETE ROWS"
        )
        _copy(conn, "labelloop_priorities", ["id", "p"], pairs)
    else:
        conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS labelloop_priorities "
            "(id INTEGER PRIMARY KEY, p REAL NOT NULL)"
        )
        conn.exec_driver_sql("DELETE FROM labelloop_priorities")
        conn.exec_driver_sql("INSERT OR REPLACE INTO labelloop_priorities VALUES (?, ?)", pairs)
    result = conn.exec_driver_sql(
        "UPDATE items SET priority = labelloop_priorities.p FROM labelloop_priorities "
        f"WHERE items.id = labelloop_priorities.id AND items.project_id = {int(project_id)}"
    )
    updated = int(result.rowcount)
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql("DELETE FROM labelloop_priorities")
    return updated
