"""Keyset pagination: opaque ``_next`` tokens and the queries that resume from them.

A page is ordered by the sort column, then by the primary key as the
tie-breaker, and the next page starts strictly after the last row's
``(sort value, key)``. There is no OFFSET, so a page 900,000 rows deep costs
what the first page costs whenever an index serves the order.

Resuming after ``(v, k)`` is a UNION ALL of at most three ordered, limited
range scans, merged by an outer ORDER BY: rows whose sort value equals ``v``
with a key after ``k``; rows whose sort value comes after ``v``; and the
NULLs, when they sort after ``v`` (NULLs come first ascending on SQLite and
last on PostgreSQL, and the queries follow each database's own order). Each
part is one index seek, where a plain ``OR`` would make both databases scan.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from labelloop.store.query.errors import BadTokenError
from labelloop.store.query.tables import AnySelect, Column, Context, Expr, TableSpec

_VERSION = 1


@dataclass(frozen=True)
class Token:
    """Where the next page starts: after the row with this sort value and key."""

    sort: str
    desc: bool
    value: Any
    key: Any


def encode(token: Token) -> str:
    """The token as URL-safe text (opaque to clients)."""
    payload = [_VERSION, token.sort, int(token.desc), token.value, token.key]
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str) -> Token:
    """Read a token back; BadTokenError if it is not one this API made."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        payload = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadTokenError(
            "malformed _next token: pass back exactly the token a page gave"
        ) from None
    if not (isinstance(payload, list) and len(payload) == 5 and payload[0] == _VERSION):
        raise BadTokenError("malformed _next token: pass back exactly the token a page gave")
    _, sort, desc, value, key = payload
    if not isinstance(sort, str) or desc not in (0, 1) or not isinstance(key, int | str):
        raise BadTokenError("malformed _next token: pass back exactly the token a page gave")
    return Token(sort, bool(desc), value, key)


def order(sort: Expr, key: Expr, desc: bool, same: bool) -> list[Any]:
    """ORDER BY sort then key, both in the sort's direction."""
    terms = [key] if same else [sort, key]
    return [t.desc() if desc else t.asc() for t in terms]


def resume_parts(
    sort: Expr, key: Expr, after: tuple[Any, Any], desc: bool, nullable: bool, ctx: Context
) -> list[list[Any]]:
    """Conditions of each range that together hold every row after ``after``.

    Parameters
    ----------
    sort, key : SQL expressions
        The sort column and the primary key (the same expression when the
        page is sorted by its key).
    after : (sort value, key value)
        The last row of the previous page.
    """
    value, last = after
    last = ctx.bind(last, key.type)
    key_after = key < last if desc else key > last
    if sort is key:
        return [[key_after]]
    nulls_first = (ctx.dialect == "sqlite") != desc
    if value is None:
        parts = [[sort.is_(None), key_after]]
        return [*parts, [sort.is_not(None)]] if nulls_first else parts
    value = ctx.bind(value, sort.type)
    beyond = sort < value if desc else sort > value
    parts = [[sort == value, key_after], [beyond]]
    return [*parts, [sort.is_(None)]] if nullable and not nulls_first else parts


def page_query(
    spec: TableSpec,
    ctx: Context,
    wanted: list[Column],
    where: list[Any],
    sort: Column,
    desc: bool,
    after: tuple[Any, Any] | None,
    limit: int | None,
) -> AnySelect:
    """The SELECT of one page: ``wanted`` columns, in order, ``limit`` rows."""
    pk = spec.column(spec.pk)
    same = sort.name == pk.name
    exprs = {c.name: c.expr(ctx) for c in wanted}
    sort_expr, key_expr = exprs[sort.name], exprs[pk.name]
    labelled = {name: expr.label(name) for name, expr in exprs.items()}
    ordering = order(labelled[sort.name], labelled[pk.name], desc, same)

    def part(extra: list[Any]) -> AnySelect:
        query = sa.select(*labelled.values()).select_from(spec.from_clause(ctx))
        query = query.where(*where, *extra).order_by(*ordering)
        return query if limit is None else query.limit(ctx.bind(limit, sa.Integer()))

    if after is None:
        return part([])
    parts = resume_parts(sort_expr, key_expr, after, desc, sort.nullable, ctx)
    if len(parts) == 1:
        return part(parts[0])
    pieces = [part(extra).subquery(f"part{i}") for i, extra in enumerate(parts)]
    union = sa.union_all(*(sa.select(*p.c) for p in pieces)).subquery("page")
    ordered = order(union.c[sort.name], union.c[pk.name], desc, same)
    merged = sa.select(*union.c).order_by(*ordered)
    return merged if limit is None else merged.limit(ctx.bind(limit, sa.Integer()))
