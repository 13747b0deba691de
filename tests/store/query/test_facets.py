"""Facets count what the filters select, say when they are cut, and never vanish on timeout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from labelloop.store import Database
from labelloop.store.query import DataSettings, DataSource, parse_table_query, table_spec
from labelloop.store.query.facets import Facet
from tests.store.query.builders import Built, add_many_labels, populate


def facets(
    source: DataSource, built: Built, table: str, pairs: list[tuple[str, str]]
) -> dict[str, Facet]:
    spec = table_spec(table)
    query = parse_table_query(spec, pairs, source.dialect, source.settings)
    with source.session() as session:
        view = source.table_view(session, spec, built.demo.id, query)
    return {f.column: f for f in view.facets}


def column(source: DataSource, built: Built, table: str, name: str, pairs: Any = ()) -> list[Any]:
    spec = table_spec(table)
    query = parse_table_query(
        spec, [*pairs, ("_col", name), ("_size", "max")], source.dialect, source.settings
    )
    with source.session() as session:
        rows = source.table_view(session, spec, built.demo.id, query).page.rows
    return [r[0] for r in rows]


def as_counts(facet: Facet) -> dict[Any, int]:
    return {v.value: v.count for v in facet.values}


def test_several_facets_at_once_count_like_python(source: DataSource, built: Built) -> None:
    found = facets(
        source,
        built,
        "labels",
        [("_facet", "value"), ("_facet", "annotator"), ("_facet", "current")],
    )
    assert list(found) == ["value", "annotator", "current"]
    for name in ("value", "annotator"):
        assert as_counts(found[name]) == Counter(column(source, built, "labels", name))
    assert as_counts(found["current"]) == {True: 40, False: 2}
    values = found["value"].values
    assert [v.count for v in values] == sorted((v.count for v in values), reverse=True)


def test_facets_count_only_the_filtered_rows(source: DataSource, built: Built) -> None:
    found = facets(source, built, "labels", [("annotator", "bob"), ("_facet", "value")])
    expected = Counter(column(source, built, "labels", "value", [("annotator", "bob")]))
    assert as_counts(found["value"]) == expected


def test_selected_values_are_marked(source: DataSource, built: Built) -> None:
    found = facets(
        source, built, "labels", [("annotator__in", "bob,carol"), ("_facet", "annotator")]
    )
    marked = {v.value: v.selected for v in found["annotator"].values}
    assert marked == {"bob": True, "carol": True}
    nulls = facets(source, built, "labels", [("time_taken__isnull", "1"), ("_facet", "time_taken")])
    assert [(v.value, v.selected) for v in nulls["time_taken"].values] == [(None, True)]


def test_a_facet_with_more_values_than_its_size_says_it_is_truncated(
    source: DataSource, built: Built
) -> None:
    found = facets(source, built, "labels", [("_facet", "item_id"), ("_facet_size", "3")])
    assert len(found["item_id"].values) == 3
    assert found["item_id"].truncated
    whole = facets(source, built, "labels", [("_facet", "value")])
    assert not whole["value"].truncated


def test_facets_on_the_overview_include_items_without_a_label(
    source: DataSource, built: Built
) -> None:
    found = facets(source, built, "items_overview", [("_facet", "label"), ("_facet", "predicted")])
    assert as_counts(found["label"]) == Counter(column(source, built, "items_overview", "label"))
    assert None in as_counts(found["label"])
    assert sum(as_counts(found["predicted"]).values()) == 30


@pytest.fixture
def big(db: Database) -> Iterator[Built]:
    built = populate(db)
    add_many_labels(db, built.demo, 60_000)
    yield built


def test_a_facet_past_its_time_limit_is_reported_as_timed_out_and_the_page_still_comes(
    big: Built,
) -> None:
    source = DataSource(big.db, DataSettings(facet_time_limit_ms=1))
    try:
        found = facets(source, big, "labels", [("_facet", "value"), ("_facet", "time_taken")])
        assert found["value"].timed_out and found["value"].values == ()
        assert found["time_taken"].timed_out
        spec = table_spec("labels")
        query = parse_table_query(spec, [("_facet", "value")], source.dialect, source.settings)
        with source.session() as session:
            view = source.table_view(session, spec, big.demo.id, query)
        assert len(view.page.rows) == 100
    finally:
        source.dispose()


def test_cached_facets_are_recomputed_after_a_write(db: Database) -> None:
    built = populate(db)
    source = DataSource(db)
    try:
        before = as_counts(facets(source, built, "labels", [("_facet", "value")])["value"])
        add_many_labels(db, built.demo, 9)
        after = as_counts(facets(source, built, "labels", [("_facet", "value")])["value"])
        assert sum(after.values()) == sum(before.values()) + 9
    finally:
        source.dispose()
