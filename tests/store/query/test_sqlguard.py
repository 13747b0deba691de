"""Checks on SQL from users: one SELECT-like statement, no role or lock games, named params."""

from __future__ import annotations

import pytest

from labelloop.store.query.errors import QueryError, ReadOnlyError
from labelloop.store.query.sqlguard import check, for_driver, split

DIALECTS = ["sqlite", "postgresql"]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "sql",
    [
        "select 1",
        "SELECT 1;",
        "  -- a comment\n select 1 ; ; -- trailing",
        "/* lead */ WITH x AS (SELECT 1) SELECT * FROM x",
        "values (1), (2)",
        "(select 1)",
        "select 'a;b' as semicolon_in_string",
        'select "set_config" from (select 1 as "set_config") t',
        "select 'set_config(''role'', ''x'', true)' as text_only",
        "select 1 -- ; drop table labels",
    ],
)
def test_single_read_statements_pass(dialect: str, sql: str) -> None:
    check(sql, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "sql",
    [
        "insert into labels (value) values ('x')",
        "update items set priority = 1",
        "delete from labels",
        "drop table labels",
        "create table x (a int)",
        "alter table items add column x int",
        "attach database 'x.db' as y",
        "pragma query_only = 0",
        "begin",
        "set role postgres",
        "copy labels to stdout",
        "select 1; delete from labels",
        "select 1; select 2",
        "select set_config('role', 'postgres', true)",
        "select pg_catalog.set_config('role', 'postgres', true)",
        "select \"set_config\"('role', 'postgres', true)",
        "select set_config /* sneaky */ ('role', 'postgres', true)",
        "select pg_advisory_lock(1)",
        "select pg_try_advisory_lock(1)",
        "select pg_notify('changes', 'fake')",
        "select query_to_xml('select 1', true, true, '')",
        "select load_extension('evil')",
        "select pg_read_file('/etc/passwd')",
        "select lo_import('/etc/passwd')",
        "select U&\"\\0073et_config\"('role', 'x', true)",
    ],
)
def test_writes_stacks_and_escapes_are_refused_as_read_only(dialect: str, sql: str) -> None:
    with pytest.raises(ReadOnlyError, match="read-only"):
        check(sql, dialect)


@pytest.mark.parametrize("sql", ["", "   ", "-- only a comment", ";", "/* */"])
def test_empty_queries_are_refused(sql: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        check(sql, "sqlite")


@pytest.mark.parametrize("sql", ["select 'open", 'select "open', "select /* open", "select $$x"])
def test_unterminated_quotes_are_refused(sql: str) -> None:
    with pytest.raises(QueryError):
        check(sql, "postgresql")


def test_named_parameters_skip_casts_strings_and_comments() -> None:
    checked = check(
        "select :a::int, ':b', \"c:d\", x::text /* :e */ from t where y = :f and z = :a",
        "postgresql",
    )
    assert checked.names == ("a", "f")


def test_postgres_gets_pyformat_and_doubled_percent_only_with_parameters() -> None:
    checked = check("select '100%' as p, :n::int as n, x % 2 from t", "postgresql")
    sql, params = for_driver(checked, "postgresql", {"n": "5", "unused": "1"})
    assert sql == "select '100%%' as p, %(n)s::int as n, x %% 2 from t"
    assert params == {"n": "5"}
    plain = check("select '100%' as p", "postgresql")
    assert for_driver(plain, "postgresql", {}) == ("select '100%' as p", {})


def test_sqlite_keeps_named_parameters_as_they_are() -> None:
    checked = check("select :n as n;", "sqlite")
    assert for_driver(checked, "sqlite", {"n": "5"}) == ("select :n as n", {"n": "5"})


def test_missing_parameters_are_named() -> None:
    with pytest.raises(QueryError, match="missing parameters: who") as caught:
        for_driver(check("select :who, :n", "sqlite"), "sqlite", {"n": "1"})
    assert caught.value.details["missing_parameters"] == ["who"]


def test_split_recognises_dollar_quotes_and_escape_strings() -> None:
    pieces = split("select $tag$ a ; b $tag$, E'it\\'s' from t", "postgresql")
    assert [p.kind for p in pieces] == ["code", "string", "code", "string", "code"]
    assert pieces[1].text == "$tag$ a ; b $tag$"
    assert pieces[3].text == "E'it\\'s'"[1:]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_writes_inside_a_select_are_refused_but_quoted_names_and_functions_pass(
    dialect: str,
) -> None:
    with pytest.raises(ReadOnlyError, match="DELETE"):
        check("WITH gone AS (DELETE FROM labels RETURNING id) SELECT * FROM gone", dialect)
    with pytest.raises(ReadOnlyError, match="INSERT"):
        check("with x as (insert into t values (1) returning *) select * from x", dialect)
    check("select \"update\", t.delete from t where action = 'drop'", dialect)
    check("select replace(value, 'a', 'b') from labels", dialect)
