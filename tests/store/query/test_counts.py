"""Counts: exact where an index serves them (or the table is small), otherwise estimated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from labelloop.store import Database, schema
from labelloop.store.query import DataSettings, DataSource, parse_table_query, table_spec
from labelloop.store.query.counts import Count
from labelloop.store.query.indexes import read_indexes, served_by_index
from tests.store.query.builders import Built, add_many_labels, populate

LABELS = table_spec("labels")


def count(source: DataSource, built: Built, table: str, pairs: list[tuple[str, str]]) -> Count:
    spec = table_spec(table)
    query = parse_table_query(spec, pairs, source.dialect, source.settings)
    with source.session() as session:
        view = source.table_view(session, spec, built.demo.id, query)
    assert view.count is not None
    return view.count


def rows(source: DataSource, built: Built, table: str, pairs: list[tuple[str, str]]) -> int:
    spec = table_spec(table)
    query = parse_table_query(
        spec, [*pairs, ("_size", "max"), ("_col", spec.pk)], source.dialect, source.settings
    )
    with source.session() as session:
        return len(source.table_view(session, spec, built.demo.id, query).page.rows)


@pytest.mark.parametrize(
    ("table", "pairs"),
    [
        ("labels", []),
        ("labels", [("current", "1")]),
        ("labels", [("value__contains", "a")]),
        ("items", []),
        ("items", [("kind", "text"), ("n_labels__gte", "1")]),
        ("annotators", []),
        ("predictions", [("label", "dog")]),
        ("items_overview", [("label__isnull", "1")]),
    ],
)
def test_small_tables_get_exact_counts_scoped_to_the_project(
    source: DataSource, built: Built, table: str, pairs: list[tuple[str, str]]
) -> None:
    found = count(source, built, table, pairs)
    assert found == Count(rows(source, built, table, pairs), True)


def test_nocount_skips_the_count(source: DataSource, built: Built) -> None:
    spec = table_spec("labels")
    query = parse_table_query(spec, [("_nocount", "1")], source.dialect, source.settings)
    with source.session() as session:
        assert source.table_view(session, spec, built.demo.id, query).count is None


@pytest.fixture
def large(db: Database) -> Iterator[tuple[Built, DataSource]]:
    built = populate(db)
    add_many_labels(db, built.demo, 20_000)
    source = DataSource(db, DataSettings(exact_count_below=1000, estimate_sample=2000))
    yield built, source
    source.dispose()


def store_count(built: Built, *where: Any) -> int:
    labels = schema.labels
    query = sa.select(sa.func.count()).where(labels.c.project_id == built.demo.id, *where)
    with built.db.read() as conn:
        return int(conn.execute(query).scalar() or 0)


def test_index_served_filters_are_counted_exactly_on_a_large_table(
    large: tuple[Built, DataSource],
) -> None:
    built, source = large
    assert served_by_index(LABELS, parse(source, [("current", "1")]), source.limits.indexes)
    found = count(source, built, "labels", [("current", "1")])
    assert found == Count(store_count(built, schema.labels.c.current == sa.true()), True)
    assert count(source, built, "labels", []) == Count(store_count(built), True)


def test_other_filters_on_a_large_table_are_estimates_marked_as_such(
    large: tuple[Built, DataSource],
) -> None:
    built, source = large
    pairs = [("value__contains", "o")]
    assert not served_by_index(LABELS, parse(source, pairs), source.limits.indexes)
    found = count(source, built, "labels", pairs)
    exact = store_count(built, schema.labels.c.value.contains("o"))
    assert not found.exact
    assert found.value is not None and abs(found.value - exact) <= 0.2 * exact


def parse(source: DataSource, pairs: list[tuple[str, str]]) -> tuple:  # type: ignore[type-arg]
    return parse_table_query(LABELS, pairs, source.dialect, source.settings).filters


def test_index_matching_needs_project_id_first_then_equalities_then_one_range(
    source: DataSource,
) -> None:
    indexes = {"labels": [("project_id", "current", "item_id"), ("annotator_id", "project_id")]}
    assert served_by_index(LABELS, parse(source, [("current", "1")]), indexes)
    assert served_by_index(LABELS, parse(source, [("current", "1"), ("item_id__gt", "3")]), indexes)
    assert not served_by_index(LABELS, parse(source, [("item_id__gt", "3")]), indexes)
    assert not served_by_index(LABELS, parse(source, [("annotator", "bob")]), indexes)
    assert not served_by_index(LABELS, parse(source, [("current__not", "1")]), indexes)


def test_indexes_are_read_from_the_database(built: Built) -> None:
    indexes = read_indexes(built.db)
    assert (
        "project_id",
        "current",
        "item_id",
        *(["id"] if built.db.dialect == "sqlite" else []),
    ) in (indexes["labels"])
