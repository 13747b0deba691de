"""The query-string grammar: what parses, and the 400s that name what is valid."""

from __future__ import annotations

import base64
import json

import pytest

from labelloop.store.query import DataSettings, parse_table_query, table_spec
from labelloop.store.query.errors import BadTokenError, QueryError
from labelloop.store.query.filters import OPERATORS, split_key
from labelloop.store.query.keyset import Token, decode, encode

LABELS = table_spec("labels")
SETTINGS = DataSettings()
DIALECTS = ["sqlite", "postgresql"]


def parse(pairs: list[tuple[str, str]], dialect: str = "sqlite") -> object:
    return parse_table_query(LABELS, pairs, dialect, SETTINGS)


def test_bare_column_means_exact_and_double_underscore_names_the_operator() -> None:
    assert split_key("value") == ("value", "exact")
    assert split_key("time_taken__gte") == ("time_taken", "gte")
    assert split_key("item_key__in") == ("item_key", "in")


def test_unknown_column_error_lists_every_valid_column() -> None:
    with pytest.raises(QueryError) as caught:
        parse([("colour", "red")])
    assert "colour" in str(caught.value)
    assert caught.value.details["valid_columns"] == LABELS.names
    for name in LABELS.names:
        assert name in str(caught.value)


def test_unknown_operator_error_lists_every_valid_operator() -> None:
    with pytest.raises(QueryError) as caught:
        parse([("value__like", "c%")])
    assert caught.value.details["valid_operators"] == list(OPERATORS)
    assert all(op in str(caught.value) for op in OPERATORS)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("id", "abc"),
        ("id__gt", "1.5"),
        ("id", "99999999999999999999"),
        ("time_taken", "nan"),
        ("current", "maybe"),
        ("created_at__gt", "yesterday"),
        ("id__in", ""),
        ("id__in", "[1, {}]"),
        ("value__isnull", "perhaps"),
        ("value", "nul\x00byte"),
        ("id__contains", "1"),
    ],
)
def test_values_that_do_not_fit_the_column_are_refused_before_any_query(
    dialect: str, key: str, text: str
) -> None:
    with pytest.raises(QueryError) as caught:
        parse([(key, text)], dialect)
    assert key in str(caught.value) or "NUL" in str(caught.value)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_values_are_typed_for_the_dialect(dialect: str) -> None:
    query = parse(
        [
            ("id__in", "3,1,2"),
            ("current", "true"),
            ("created_at__gte", "2024-05-01"),
            ("value__isnull", "0"),
            ("time_taken__lt", "2.5"),
        ],
        dialect,
    )
    values = {f.key: f.value for f in query.filters}  # type: ignore[attr-defined]
    assert values["id__in"] == (3, 1, 2)
    assert values["current__exact"] == (1 if dialect == "sqlite" else True)
    assert values["value__isnull"] is False
    assert values["time_taken__lt"] == 2.5
    when = values["created_at__gte"]
    assert (when == "2024-05-01 00:00:00.000000") if dialect == "sqlite" else when.year == 2024


def test_in_takes_a_json_array_too() -> None:
    query = parse([("value__in", '["cat", "a,b"]')])
    assert query.filters[0].value == ("cat", "a,b")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "pairs",
    [
        [("_size", "-1")],
        [("_size", "1001")],
        [("_size", "ten")],
        [("_facet_size", "0")],
        [("_sort", "nope")],
        [("_sort", "id"), ("_sort_desc", "value")],
        [("_col", "id,nope")],
        [("_nocol", ",".join(LABELS.names))],
        [("_facet", "nope")],
        [("_nocount", "sometimes")],
        [("_where", "1=1")],
    ],
)
def test_bad_reserved_parameters_are_400s(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(QueryError):
        parse(pairs)


def test_unknown_underscore_parameter_error_lists_the_valid_ones() -> None:
    with pytest.raises(QueryError) as caught:
        parse([("_search", "x")])
    assert "_sort" in caught.value.details["valid_parameters"]


def test_size_max_means_the_maximum_and_columns_keep_their_order() -> None:
    query = parse([("_size", "max"), ("_col", "value"), ("_col", "id,annotator"), ("_nocol", "id")])
    assert query.size == SETTINGS.max_page_size  # type: ignore[attr-defined]
    assert query.columns == ("value", "annotator")  # type: ignore[attr-defined]


def test_tokens_round_trip_and_are_url_safe() -> None:
    token = Token("value", True, "naïve/+?", 123)
    text = encode(token)
    assert all(ch.isalnum() or ch in "-_" for ch in text)
    assert decode(text) == token


@pytest.mark.parametrize(
    "text",
    [
        "!!!",
        "abc",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(json.dumps([2, "id", 0, 1, 1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"v": 1}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps([1, "id", 5, 1, 1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps([1, "id", 0, 1, None]).encode()).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_malformed_tokens_are_refused(text: str) -> None:
    with pytest.raises(BadTokenError):
        parse([("_next", text)])


def test_a_token_made_for_another_sort_is_refused() -> None:
    token = encode(Token("value", False, "cat", 5))
    with pytest.raises(BadTokenError, match="_sort=value"):
        parse([("_next", token), ("_sort", "annotator")])
    with pytest.raises(BadTokenError):
        parse([("_next", token), ("_sort_desc", "value")])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_token_whose_value_has_the_wrong_type_is_refused(dialect: str) -> None:
    from labelloop.store.query.values import from_token

    with pytest.raises(BadTokenError):
        from_token("int", "12", dialect)
    with pytest.raises(BadTokenError):
        from_token("int", True, dialect)
    with pytest.raises(BadTokenError):
        from_token("text", 3, dialect)
    if dialect == "postgresql":
        with pytest.raises(BadTokenError):
            from_token("datetime", "not a time", dialect)
