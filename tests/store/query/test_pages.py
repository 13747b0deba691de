"""Keyset pages: a full walk returns every row once, in order, for any sort."""

from __future__ import annotations

from typing import Any

import pytest

from labelloop.store.query import DataSource, TableQuery, parse_table_query, table_spec
from labelloop.store.query.errors import BadTokenError
from tests.store.query.builders import Built


def page(
    source: DataSource, built: Built, table: str, pairs: list[tuple[str, str]]
) -> tuple[TableQuery, Any]:
    spec = table_spec(table)
    query = parse_table_query(spec, pairs, source.dialect, source.settings)
    with source.session() as session:
        return query, source.table_view(session, spec, built.demo.id, query)


def walk(
    source: DataSource, built: Built, table: str, pairs: list[tuple[str, str]]
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    token: str | None = None
    for _ in range(1000):
        extra = [("_next", token)] if token else []
        _, view = page(source, built, table, pairs + extra)
        rows.extend(view.page.rows)
        token = view.page.next
        if token is None:
            return rows
    raise AssertionError("the walk did not end")


def everything(source: DataSource, built: Built, table: str, sort: str) -> list[tuple[Any, ...]]:
    """All rows of the table in one page, sorted in Python like the database sorts."""
    _, view = page(source, built, table, [("_size", "max"), ("_col", f"id,{sort}")])
    return [tuple(r) for r in view.page.rows]


@pytest.mark.parametrize("size", ["1", "2", "7"])
@pytest.mark.parametrize(
    ("sort", "desc"),
    [
        ("id", False),
        ("id", True),
        ("value", False),
        ("value", True),
        ("annotator", False),
        ("time_taken", False),
        ("time_taken", True),
        ("current", True),
        ("created_at", False),
    ],
)
def test_a_full_walk_loses_and_repeats_no_row_even_with_repeated_sort_values(
    source: DataSource, built: Built, size: str, sort: str, desc: bool
) -> None:
    key = "_sort_desc" if desc else "_sort"
    rows = walk(source, built, "labels", [(key, sort), ("_size", size), ("_col", f"id,{sort}")])
    rows = [(r[0], r[-1]) for r in rows]
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(r[0] for r in everything(source, built, "labels", sort))
    assert_ordered(rows, desc, nulls_first=(source.dialect == "sqlite") != desc)


def assert_ordered(rows: list[tuple[Any, ...]], desc: bool, nulls_first: bool) -> None:
    """Rows (id, sort value) are ordered by value then id, NULLs where the database puts them."""

    def rank(row: tuple[Any, ...]) -> tuple[Any, ...]:
        value = row[1]
        missing = value is None
        null_rank = (0 if missing else 1) if nulls_first != desc else (1 if missing else 0)
        return (null_rank, value if not missing else 0, row[0])

    expected = sorted(rows, key=rank, reverse=desc)
    assert rows == expected


@pytest.mark.parametrize("table", ["items", "items_overview", "predictions", "annotators"])
def test_walks_of_every_table_return_each_row_once(
    source: DataSource, built: Built, table: str
) -> None:
    spec = table_spec(table)
    sort = {"items": "kind", "items_overview": "label", "predictions": "confidence"}.get(
        table, "name"
    )
    rows = walk(source, built, table, [("_sort", sort), ("_size", "4"), ("_col", spec.pk)])
    _, whole = page(source, built, table, [("_size", "max"), ("_col", spec.pk)])
    assert sorted(r[0] for r in rows) == sorted(r[0] for r in whole.page.rows)
    assert len(rows) == len({r[0] for r in rows})


def test_walking_with_a_filter_keeps_the_filter(source: DataSource, built: Built) -> None:
    rows = walk(
        source,
        built,
        "labels",
        [("value", "cat"), ("_sort", "annotator"), ("_size", "2"), ("_col", "id,value")],
    )
    assert rows and {r[1] for r in rows} == {"cat"}
    _, whole = page(source, built, "labels", [("value", "cat"), ("_size", "max")])
    assert len(rows) == len(whole.page.rows)


def test_pages_are_scoped_to_their_project(source: DataSource, built: Built) -> None:
    _, view = page(source, built, "labels", [("_size", "max"), ("_col", "annotator")])
    assert "dave" not in {r[0] for r in view.page.rows}


def test_the_last_page_has_no_token_and_size_zero_returns_no_rows(
    source: DataSource, built: Built
) -> None:
    _, view = page(source, built, "annotators", [("_size", "max")])
    assert view.page.next is None
    _, empty = page(source, built, "labels", [("_size", "0")])
    assert empty.page.rows == [] and empty.page.next is None
    assert empty.count is not None and empty.count.value and empty.count.value > 0


def test_a_token_that_says_the_sort_value_is_null_for_a_not_null_column_is_refused(
    source: DataSource, built: Built
) -> None:
    from labelloop.store.query.keyset import Token, encode

    token = encode(Token("value", False, None, 3))
    with pytest.raises(BadTokenError):
        page(source, built, "labels", [("_sort", "value"), ("_next", token)])


def test_binary_payloads_are_served_as_their_size(source: DataSource, built: Built) -> None:
    _, view = page(source, built, "items", [("kind", "ndarray"), ("_col", "key,data_size")])
    assert sorted(view.page.rows) == [("arr0", 16), ("arr1", 16), ("arr2", 16)]
    assert "data" not in table_spec("items").names
