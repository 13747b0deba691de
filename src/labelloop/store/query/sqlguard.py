"""Checks on SQL sent to the SQL endpoint, before the database sees it.

The database is what enforces read-only access (see :mod:`readonly`); these
checks give clear messages early and close the one gap a superuser
connection leaves on PostgreSQL: functions that change the current role or
run SQL text (``set_config``, ``query_to_xml``, …), session-level advisory
locks that would outlive the request, and ``pg_notify``.

Named parameters are written ``:name``; :func:`for_driver` rewrites them
for psycopg (``%(name)s``) and leaves them for sqlite3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labelloop.store.query.errors import QueryError, ReadOnlyError
from labelloop.store.query.readonly import READ_ONLY, Params

FIRST_WORDS = {
    "sqlite": ("select", "with", "values", "explain"),
    "postgresql": ("select", "with", "values"),
}
REFUSED_PREFIXES = (
    "set_config",
    "nextval",
    "setval",
    "query_to_xml",
    "ts_stat",
    "ts_rewrite",
    "pg_notify",
    "pg_advisory",
    "pg_try_advisory",
    "pg_read",
    "pg_ls_",
    "pg_stat_file",
    "pg_file",
    "pg_terminate",
    "pg_cancel",
    "pg_reload",
    "pg_rotate",
    "pg_promote",
    "pg_switch",
    "pg_create",
    "pg_drop",
    "pg_logical",
    "pg_replication",
    "pg_backup",
    "pg_stat_reset",
    "lo_",
    "dblink",
    "load_extension",
    "readfile",
    "writefile",
    "fts3_tokenizer",
)
WRITE_WORDS = frozenset(
    {
        "insert",
        "update",
        "delete",
        "merge",
        "truncate",
        "drop",
        "create",
        "alter",
        "grant",
        "revoke",
    }
)
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass(frozen=True)
class Piece:
    """A run of SQL text: ``code``, ``string``, ``ident`` (quoted) or ``comment``."""

    kind: str
    text: str


@dataclass(frozen=True)
class CheckedSql:
    """One read-only statement and the named parameters it uses."""

    pieces: tuple[Piece, ...]
    names: tuple[str, ...]

    @property
    def text(self) -> str:
        """The statement as sent (trailing semicolons removed)."""
        return "".join(p.text for p in self.pieces)


def check(sql: str, dialect: str) -> CheckedSql:
    """Accept one SELECT-like statement, or raise saying why not.

    Raises
    ------
    ReadOnlyError
        For anything but a single SELECT/WITH/VALUES statement (EXPLAIN too
        on SQLite), and for refused functions.
    QueryError
        For an empty query or an unterminated string or comment.
    """
    pieces = _trim(split(sql, dialect))
    code = [p for p in pieces if p.kind == "code"]
    if not "".join(p.text for p in code).strip(" \t\r\n();"):
        raise QueryError("the query is empty: pass a SELECT statement in ?sql=")
    _one_statement(pieces)
    _first_word(code, dialect)
    _write_words(code)
    _refused_calls(pieces)
    names = [m.group(1) for p in code for m in _PARAM.finditer(p.text)]
    return CheckedSql(tuple(pieces), tuple(dict.fromkeys(names)))


def for_driver(checked: CheckedSql, dialect: str, params: dict[str, str]) -> tuple[str, Params]:
    """SQL text and parameters in the driver's own style.

    Raises
    ------
    QueryError
        Naming parameters the query uses that ``params`` lacks.
    """
    missing = [n for n in checked.names if n not in params]
    if missing:
        raise QueryError(
            f"missing parameters: {', '.join(missing)}; add them to the query string "
            f"(e.g. &{missing[0]}=value)",
            missing_parameters=missing,
        )
    values = {n: params[n] for n in checked.names}
    if dialect == "sqlite":
        return checked.text, values
    if not values:
        return checked.text, {}
    return "".join(_psycopg_piece(p) for p in checked.pieces), values


def _psycopg_piece(piece: Piece) -> str:
    text = piece.text.replace("%", "%%")
    return _PARAM.sub(r"%(\1)s", text) if piece.kind == "code" else text


def split(sql: str, dialect: str) -> list[Piece]:
    """Cut SQL into code, strings, quoted identifiers and comments."""
    pieces: list[Piece] = []
    i, start = 0, 0
    while i < len(sql):
        end, kind = _quoted_at(sql, i, dialect)
        if kind is None:
            i += 1
            continue
        if i > start:
            pieces.append(Piece("code", sql[start:i]))
        pieces.append(Piece(kind, sql[i:end]))
        i = start = end
    if start < len(sql):
        pieces.append(Piece("code", sql[start:]))
    return pieces


def _quoted_at(sql: str, i: int, dialect: str) -> tuple[int, str | None]:
    ch, two = sql[i], sql[i : i + 2]
    if two == "--":
        end = sql.find("\n", i)
        return (len(sql) if end < 0 else end), "comment"
    if two == "/*":
        return _block_comment(sql, i), "comment"
    if ch == "'":
        escapes = dialect == "postgresql" and _e_string(sql, i)
        return _closing(sql, i, "'", escapes), "string"
    if ch == '"' or (dialect == "sqlite" and ch == "`"):
        return _closing(sql, i, ch, False), "ident"
    if ch == "[" and dialect == "sqlite":
        return _find_end(sql, i, "]"), "ident"
    if ch == "$" and dialect == "postgresql":
        match = _DOLLAR.match(sql, i)
        if match and not (i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_")):
            return _find_end(sql, match.end(), match.group(0), i), "string"
    return i, None


def _e_string(sql: str, i: int) -> bool:
    """Whether the quote at ``i`` opens a PostgreSQL E'…' string (backslash escapes)."""
    if i == 0 or sql[i - 1] not in "eE":
        return False
    return i == 1 or not (sql[i - 2].isalnum() or sql[i - 2] == "_")


def _closing(sql: str, i: int, quote: str, backslash: bool) -> int:
    j = i + 1
    while j < len(sql):
        if backslash and sql[j] == "\\":
            j += 2
            continue
        if sql[j] == quote:
            if sql[j + 1 : j + 2] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    raise QueryError("unterminated quoted string or identifier in the query")


def _find_end(sql: str, i: int, closer: str, start: int | None = None) -> int:
    end = sql.find(closer, i + (1 if start is None else 0))
    if end < 0:
        raise QueryError("unterminated quoted string or identifier in the query")
    return end + len(closer)


def _block_comment(sql: str, i: int) -> int:
    depth, j = 0, i
    while j < len(sql):
        two = sql[j : j + 2]
        if two == "/*":
            depth, j = depth + 1, j + 2
        elif two == "*/":
            depth, j = depth - 1, j + 2
            if depth == 0:
                return j
        else:
            j += 1
    raise QueryError("unterminated /* comment */ in the query")


def _trim(pieces: list[Piece]) -> list[Piece]:
    """Drop trailing semicolons, whitespace and comments."""
    out = list(pieces)
    while out and (out[-1].kind == "comment" or not out[-1].text.strip(" \t\r\n;")):
        out.pop()
    if out and out[-1].kind == "code":
        out[-1] = Piece("code", out[-1].text.rstrip(" \t\r\n;"))
    return out


def _one_statement(pieces: list[Piece]) -> None:
    if any(p.kind == "code" and ";" in p.text for p in pieces):
        raise ReadOnlyError(
            f"{READ_ONLY}: send one statement at a time (no ';' between statements)"
        )


def _first_word(code: list[Piece], dialect: str) -> None:
    text = " ".join(p.text for p in code)
    match = _WORD.search(text.lstrip(" \t\r\n("))
    word = match.group(0).lower() if match else ""
    if word not in FIRST_WORDS[dialect]:
        allowed = "/".join(w.upper() for w in FIRST_WORDS[dialect])
        shown = word.upper() or "something else"
        raise ReadOnlyError(f"{READ_ONLY}: only {allowed} queries run here, not {shown}")


def _write_words(code: list[Piece]) -> None:
    """Refuse statements that write inside a SELECT (``WITH x AS (DELETE …)``).

    A column literally named like one of :data:`WRITE_WORDS` must be quoted.
    """
    for piece in code:
        for match in _WORD.finditer(piece.text):
            word = match.group(0).lower()
            before = piece.text[: match.start()].rstrip()[-1:]
            after = piece.text[match.end() :].lstrip()[:1]
            if word in WRITE_WORDS and before != "." and after not in ("(", "."):
                raise ReadOnlyError(f"{READ_ONLY}: {word.upper()} is refused")


def _refused_calls(pieces: list[Piece]) -> None:
    for index, piece in enumerate(pieces):
        if piece.kind == "ident":
            _check_name(piece.text.strip('"`[]'), _next_code(pieces, index))
            if index and pieces[index - 1].text.rstrip().lower().endswith("u&"):
                raise ReadOnlyError(f"{READ_ONLY}: unicode-escaped identifiers are not accepted")
        elif piece.kind == "code":
            for match in _WORD.finditer(piece.text):
                rest = piece.text[match.end() :]
                _check_name(match.group(0), rest if rest.strip() else _next_code(pieces, index))


def _next_code(pieces: list[Piece], index: int) -> str:
    for piece in pieces[index + 1 :]:
        if piece.kind != "comment":
            return piece.text
    return ""


def _check_name(name: str, after: str) -> None:
    lowered = name.lower()
    if after.lstrip().startswith("(") and lowered.startswith(REFUSED_PREFIXES):
        raise ReadOnlyError(f"{READ_ONLY}: {lowered}() is not allowed in the SQL endpoint")
