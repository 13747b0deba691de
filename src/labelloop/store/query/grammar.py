"""The query string of a table view, parsed once into a :class:`TableQuery`.

Datasette's grammar: filters (``column__op=value``), ``_sort`` or
``_sort_desc``, ``_size``, ``_col``/``_nocol``, ``_next``, ``_facet`` (several
allowed), ``_facet_size`` and ``_nocount``. Everything is checked before a
query runs; the error names what is valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from labelloop.store.query import keyset, values
from labelloop.store.query.errors import BadTokenError, QueryError
from labelloop.store.query.filters import Filter, parse_filter
from labelloop.store.query.settings import DataSettings
from labelloop.store.query.tables import TableSpec

PARAMETERS = (
    "_sort",
    "_sort_desc",
    "_size",
    "_col",
    "_nocol",
    "_next",
    "_facet",
    "_facet_size",
    "_nocount",
)


@dataclass(frozen=True)
class TableQuery:
    """What one request asks of a table."""

    filters: tuple[Filter, ...]
    columns: tuple[str, ...]
    sort: str
    desc: bool
    size: int
    after: keyset.Token | None
    facets: tuple[str, ...]
    facet_size: int
    count: bool


def parse_table_query(
    spec: TableSpec,
    pairs: Iterable[tuple[str, str]],
    dialect: str,
    settings: DataSettings,
    also_allowed: Iterable[str] = (),
) -> TableQuery:
    """Parse query-string pairs for ``spec``.

    Parameters
    ----------
    pairs : iterable of (key, value)
        The query string, repeated keys kept.
    also_allowed : iterable of str
        Underscore parameters the caller handles itself (e.g. ``_shape``).

    Raises
    ------
    QueryError
        For unknown parameters, columns or operators (naming the valid ones)
        and for values that do not fit.
    """
    options: dict[str, list[str]] = {}
    filters: list[Filter] = []
    allowed = set(PARAMETERS) | set(also_allowed)
    for key, text in pairs:
        if key.startswith("_"):
            _check_known(key, allowed)
            options.setdefault(key, []).append(text)
        else:
            filters.append(parse_filter(spec, key, text, dialect))
    sort, desc = _sort(spec, options)
    return TableQuery(
        filters=tuple(filters),
        columns=_columns(spec, options),
        sort=sort,
        desc=desc,
        size=_size(_last(options, "_size"), settings.default_page_size, settings.max_page_size),
        after=_after(options, sort, desc),
        facets=_facets(spec, options, settings.max_facets),
        facet_size=_size(
            _last(options, "_facet_size"),
            settings.default_facet_size,
            settings.max_facet_size,
            "_facet_size",
            minimum=1,
        ),
        count=not values.flag(_last(options, "_nocount") or "0", "_nocount"),
    )


def _check_known(key: str, allowed: set[str]) -> None:
    if key not in allowed:
        valid = sorted(allowed)
        raise QueryError(
            f"unknown parameter {key!r}; valid parameters: {', '.join(valid)} "
            "(filters are column__operator=value)",
            valid_parameters=valid,
        )


def _last(options: dict[str, list[str]], key: str) -> str | None:
    found = options.get(key)
    return found[-1] if found else None


def _listed(options: dict[str, list[str]], key: str) -> list[str]:
    return [
        part.strip() for text in options.get(key, []) for part in text.split(",") if part.strip()
    ]


def _columns(spec: TableSpec, options: dict[str, list[str]]) -> tuple[str, ...]:
    chosen = _listed(options, "_col") or spec.names
    dropped = set(_listed(options, "_nocol"))
    for name in [*chosen, *dropped]:
        spec.column(name)
    columns = tuple(dict.fromkeys(n for n in chosen if n not in dropped))
    if not columns:
        raise QueryError("_col/_nocol left no columns to show")
    return columns


def _sort(spec: TableSpec, options: dict[str, list[str]]) -> tuple[str, bool]:
    ascending, descending = _last(options, "_sort"), _last(options, "_sort_desc")
    if ascending and descending:
        raise QueryError("give _sort or _sort_desc, not both")
    name = descending or ascending or spec.pk
    spec.column(name)
    return name, bool(descending)


def _size(
    text: str | None, default: int, maximum: int, name: str = "_size", minimum: int = 0
) -> int:
    if text is None or text == "":
        return default
    if text == "max":
        return maximum
    if not text.isdigit() or not minimum <= int(text) <= maximum:
        raise QueryError(f"{name} must be a whole number from {minimum} to {maximum}, or 'max'")
    return int(text)


def _after(options: dict[str, list[str]], sort: str, desc: bool) -> keyset.Token | None:
    text = _last(options, "_next")
    if not text:
        return None
    token = keyset.decode(text)
    if token.sort != sort or token.desc != desc:
        made_for = f"_sort_desc={token.sort}" if token.desc else f"_sort={token.sort}"
        raise BadTokenError(
            f"this _next token was made for {made_for}; repeat the query it came from"
        )
    return token


def _facets(spec: TableSpec, options: dict[str, list[str]], maximum: int) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(_listed(options, "_facet")))
    for name in names:
        spec.column(name)
    if len(names) > maximum:
        raise QueryError(f"at most {maximum} _facet columns per request")
    return names
