"""A store holding one project: queries leave out the project condition where that lets
the planner walk the key or an index, and still return exactly the project's rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from labelloop.store.query import DataSource, parse_table_query, table_spec
from labelloop.store.query.scope import alone, ordered_by_index
from tests.conftest import BACKENDS
from tests.store.query.builders import Built, built_store, store_urls
from tests.store.query.test_filters import LABEL_CASES
from tests.store.query.test_pages import assert_ordered


@pytest.fixture(scope="module", params=BACKENDS)
def single(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Built, DataSource]]:
    pg = request.getfixturevalue("pg_database") if request.param == "postgresql" else None
    url = store_urls(request.param, tmp_path_factory.mktemp("single"), pg)
    for built in built_store(url, other_project=False):
        source = DataSource(built.db)
        yield built, source
        source.dispose()


def view(single: tuple[Built, DataSource], table: str, pairs: list[tuple[str, str]]) -> Any:
    built, source = single
    spec = table_spec(table)
    query = parse_table_query(spec, pairs, source.dialect, source.settings)
    with source.session() as session:
        return source.table_view(session, spec, built.demo.id, query)


def test_the_store_is_seen_as_holding_one_project(single: tuple[Built, DataSource]) -> None:
    built, source = single
    ctx = source.context(built.demo.id)
    with source.session() as session:
        assert alone(session, table_spec("labels"), ctx, source.limits.cache)
        assert not alone(session, table_spec("annotators"), ctx, source.limits.cache)


@pytest.mark.parametrize(("sort", "desc"), [("id", False), ("value", True), ("time_taken", False)])
def test_walks_return_every_row_once_in_order(
    single: tuple[Built, DataSource], sort: str, desc: bool
) -> None:
    rows: list[tuple[Any, ...]] = []
    token = None
    key = "_sort_desc" if desc else "_sort"
    for _ in range(100):
        pairs = [(key, sort), ("_size", "3"), ("_col", f"id,{sort}")]
        page = view(single, "labels", pairs + ([("_next", token)] if token else [])).page
        rows += [(r[0], r[-1]) for r in page.rows]
        token = page.next
        if token is None:
            break
    assert len(rows) == len({r[0] for r in rows}) == 42
    assert_ordered(rows, desc, nulls_first=(single[1].dialect == "sqlite") != desc)


@pytest.mark.parametrize(("pairs", "keep"), LABEL_CASES)
def test_filters_select_what_python_selects(
    single: tuple[Built, DataSource], pairs: list[tuple[str, str]], keep: Any
) -> None:
    everything = view(single, "labels", [("_size", "max")]).page
    objects = [dict(zip(everything.columns, r, strict=True)) for r in everything.rows]
    for row in objects:
        row["current"] = bool(row["current"])
    expected = sorted(r["id"] for r in objects if keep(r))
    found = view(single, "labels", [*pairs, ("_size", "max"), ("_col", "id")])
    assert sorted(r[0] for r in found.page.rows) == expected
    assert found.count.value == len(expected) and found.count.exact


def test_facets_and_counts_match_the_rows(single: tuple[Built, DataSource]) -> None:
    result = view(
        single, "labels", [("_facet", "annotator"), ("_facet", "value"), ("_size", "max")]
    )
    rows = result.page.rows
    names = result.page.columns
    for f in result.facets:
        counted = Counter(r[names.index(f.column)] for r in rows)
        assert {v.value: v.count for v in f.values} == counted
    assert result.count.value == len(rows) == 42


def test_an_index_serves_an_order_only_after_project_id_and_the_equalities() -> None:
    indexes = {"labels": [("project_id", "value", "id"), ("annotator_id", "project_id")]}
    assert ordered_by_index(indexes, "labels", set(), "value")
    assert ordered_by_index(indexes, "labels", {"value"}, "id")
    assert not ordered_by_index(indexes, "labels", set(), "annotator_id")
    assert not ordered_by_index(indexes, "labels", {"annotator_id"}, "id")
    assert not ordered_by_index(indexes, "labels", set(), None)
