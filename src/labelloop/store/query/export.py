"""Rows to CSV, newline-delimited JSON and Parquet, chunk by chunk.

The encoders take rows as they stream from the database and yield bytes,
so an export of any size holds one chunk in memory (Parquet, whose footer
comes last, is written to a spooled temporary file first). Nothing is
capped: every row the query selects is written.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from labelloop.errors import require
from labelloop.store.query import values

Row = tuple[Any, ...]
RowConverter = Callable[[Row], Row | list[Any]]
_ARROW_TYPES = {
    "int": "int64",
    "float": "float64",
    "bool": "bool_",
    "text": "string",
    "json": "string",
}
_ROW_GROUP = 65_536


def sql_converter(fmt: str) -> RowConverter:
    """Converter for rows of unknown types (SQL results): every cell made plain."""

    def convert(row: Row) -> list[Any]:
        return [values.plain(v, fmt) for v in row]

    return convert


def csv_chunks(
    columns: list[str], chunks: Iterable[list[Row]], convert: RowConverter
) -> Iterator[bytes]:
    """A header line, then the rows of each chunk, as UTF-8 CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield _drain(buffer)
    for rows in chunks:
        writer.writerows(map(convert, rows))
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


def ndjson_chunks(
    columns: list[str], chunks: Iterable[list[Row]], convert: RowConverter
) -> Iterator[bytes]:
    """One JSON object per row, one row per line."""
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    for rows in chunks:
        lines = [dumps(dict(zip(columns, convert(row), strict=True))) for row in rows]
        if lines:
            yield ("\n".join(lines) + "\n").encode()


def parquet_file(
    columns: list[str], types: list[str], chunks: Iterable[list[Row]], dialect: str
) -> IO[bytes]:
    """Write the rows as Parquet to a temporary file and return it, rewound.

    Raises
    ------
    MissingExtraError
        If pyarrow is not installed (``pip install 'labelloop[parquet]'``).
    """
    require("pyarrow", "parquet")
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(n, _arrow_type(pa, t)) for n, t in zip(columns, types, strict=True)])
    sink: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    with pq.ParquetWriter(sink, schema) as writer:
        for rows in _grouped(chunks, _ROW_GROUP):
            writer.write_table(_arrow_table(pa, schema, types, rows, dialect))
    sink.seek(0)
    return sink


def file_chunks(source: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """The file's bytes in chunks; the file is closed at the end."""
    with source:
        while block := source.read(size):
            yield block


def _arrow_type(pa: Any, column_type: str) -> Any:
    if column_type == "datetime":
        return pa.timestamp("us", tz="UTC")
    return getattr(pa, _ARROW_TYPES[column_type])()


def _grouped(chunks: Iterable[list[Row]], size: int) -> Iterator[list[Row]]:
    group: list[Row] = []
    for rows in chunks:
        group.extend(rows)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


def _arrow_table(pa: Any, schema: Any, types: list[str], rows: list[Row], dialect: str) -> Any:
    arrays = []
    for i, (field, column_type) in enumerate(zip(schema, types, strict=True)):
        cells = [row[i] for row in rows]
        if column_type == "datetime" and dialect == "sqlite":
            arrays.append(pa.array(cells, pa.string()).cast(pa.timestamp("us")).cast(field.type))
        elif column_type == "bool":
            arrays.append(pa.array([None if c is None else bool(c) for c in cells], field.type))
        else:
            arrays.append(pa.array(cells, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)
