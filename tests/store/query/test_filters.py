"""Every filter operator selects exactly the rows Python would, on both backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from labelloop.store.query import DataSource, parse_table_query, table_spec
from labelloop.store.query.values import row_converter
from tests.store.query.builders import SPECIAL, Built


def rows_of(
    source: DataSource, built: Built, table: str, pairs: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    spec = table_spec(table)
    query = parse_table_query(spec, [*pairs, ("_size", "max")], source.dialect, source.settings)
    with source.session() as session:
        page = source.table_view(session, spec, built.demo.id, query).page
    convert = row_converter(page.types, source.dialect, "json")
    return [dict(zip(page.columns, convert(r), strict=True)) for r in page.rows]


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


LABEL_CASES: list[tuple[list[tuple[str, str]], Callable[[dict[str, Any]], bool]]] = [
    ([("value", "cat")], lambda r: r["value"] == "cat"),
    ([("value__exact", "dog")], lambda r: r["value"] == "dog"),
    ([("value__not", "dog")], lambda r: r["value"] != "dog"),
    ([("value__contains", "ir")], lambda r: "ir" in r["value"]),
    ([("value__startswith", "d")], lambda r: r["value"].startswith("d")),
    ([("value__gt", "cat")], lambda r: r["value"] > "cat"),
    ([("value__in", "bird,dog")], lambda r: r["value"] in ("bird", "dog")),
    ([("id__gte", "5"), ("id__lt", "12")], lambda r: 5 <= r["id"] < 12),
    ([("id__lte", "3")], lambda r: r["id"] <= 3),
    ([("time_taken__isnull", "1")], lambda r: r["time_taken"] is None),
    ([("time_taken__isnull", "0")], lambda r: r["time_taken"] is not None),
    ([("time_taken__gt", "0.5")], lambda r: r["time_taken"] is not None and r["time_taken"] > 0.5),
    ([("current", "0")], lambda r: r["current"] is False),
    ([("current", "true")], lambda r: r["current"] is True),
    ([("undone_at__isnull", "0")], lambda r: r["undone_at"] is not None),
    ([("replaces__isnull", "false")], lambda r: r["replaces"] is not None),
    ([("annotator", "bob")], lambda r: r["annotator"] == "bob"),
    ([("annotator__not", "bob")], lambda r: r["annotator"] != "bob"),
    ([("annotator__in", "alice,carol")], lambda r: r["annotator"] in ("alice", "carol")),
    ([("annotator__contains", "aro")], lambda r: "aro" in r["annotator"]),
    ([("annotator__startswith", "al")], lambda r: r["annotator"].startswith("al")),
    ([("item_key__lt", "t05")], lambda r: r["item_key"] < "t05"),
    ([("item_key", "t03"), ("current", "1")], lambda r: r["item_key"] == "t03" and r["current"]),
]


@pytest.mark.parametrize(("pairs", "keep"), LABEL_CASES)
def test_label_filters_match_python(
    source: DataSource,
    built: Built,
    pairs: list[tuple[str, str]],
    keep: Callable[[dict[str, Any]], bool],
) -> None:
    everything = rows_of(source, built, "labels", [])
    expected = sorted(r["id"] for r in everything if keep(r))
    assert expected, "the case should select something"
    assert sorted(r["id"] for r in rows_of(source, built, "labels", pairs)) == expected


def test_time_filters_compare_as_times(source: DataSource, built: Built) -> None:
    everything = rows_of(source, built, "labels", [])
    middle = sorted(r["created_at"] for r in everything)[len(everything) // 2]
    chosen = rows_of(source, built, "labels", [("created_at__gte", middle)])
    assert sorted(r["id"] for r in chosen) == sorted(
        r["id"] for r in everything if when(r["created_at"]) >= when(middle)
    )
    assert all(r["created_at"].endswith("+00:00") and "T" in r["created_at"] for r in everything)


@pytest.mark.parametrize("text", SPECIAL)
def test_text_matching_takes_wildcard_characters_literally(
    source: DataSource, built: Built, text: str
) -> None:
    part = text[2:9]
    contains = rows_of(source, built, "items", [("content__contains", part)])
    assert [r["content"] for r in contains] == [text]
    starts = rows_of(source, built, "items", [("content__startswith", text[:6])])
    assert [r["content"] for r in starts] == [text]
    assert rows_of(source, built, "items", [("content__startswith", "100% _dX")]) == []


def test_contains_is_case_sensitive_on_both_backends(source: DataSource, built: Built) -> None:
    assert rows_of(source, built, "items", [("content__contains", "TEXT")]) == []
    assert rows_of(source, built, "items", [("content__contains", "text 1")])


def test_json_columns_are_text_to_filter_and_to_read(source: DataSource, built: Built) -> None:
    odd = rows_of(source, built, "items", [("meta__contains", '"odd"')])
    assert odd and all('"group": "odd"' in r["meta"] for r in odd)


def test_overview_filters_on_agreed_label_and_prediction(source: DataSource, built: Built) -> None:
    everything = rows_of(source, built, "items_overview", [])
    agreed = rows_of(source, built, "items_overview", [("label", "cat")])
    assert sorted(r["id"] for r in agreed) == sorted(
        r["id"] for r in everything if r["label"] == "cat"
    )
    mixed = [r for r in everything if r["label"] is None and r["labels"] != "[]"]
    assert mixed, "some items have disagreeing labels"
    confident = rows_of(source, built, "items_overview", [("confidence__gte", "0.6")])
    assert {r["id"] for r in confident} == {
        r["id"] for r in everything if r["confidence"] is not None and r["confidence"] >= 0.6
    }
