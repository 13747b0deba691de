"""Limits of the data API: time limits, page and facet sizes, caps."""

from __future__ import annotations

from dataclasses import dataclass

from labelloop.store.query.cache import ResultCache

Indexes = dict[str, list[tuple[str, ...]]]


@dataclass(frozen=True)
class DataSettings:
    """Time limits and sizes of the data API (defaults follow Datasette's).

    Parameters
    ----------
    sql_time_limit_ms : float
        Time limit of a page query and of the SQL endpoint.
    facet_time_limit_ms : float
        Time limit of each facet; a facet past it is reported as timed out.
    count_time_limit_ms : float
        Time limit of an exact count; past it the count is an estimate.
    default_page_size, max_page_size : int
        Rows per page without ``_size``, and the most ``_size`` may ask for.
    default_facet_size, max_facet_size : int
        Values per facet without ``_facet_size``, and the most it may ask for.
    max_facets : int
        ``_facet`` columns one request may ask for.
    max_returned_rows : int
        Rows the SQL endpoint's JSON returns; a longer result says it was
        truncated (its CSV and NDJSON exports stream every row).
    exact_count_below : int
        Tables with at most this many rows in the project always get an
        exact count; larger ones are counted exactly only where an index
        serves the filters, else estimated.
    estimate_sample : int
        Rows sampled for an estimated count.
    label_these_limit : int
        Most items one "label these" may move to the front of the queue.
    export_chunk : int
        Rows fetched (and time-limited) at a time while streaming an export.
    """

    sql_time_limit_ms: float = 1000.0
    facet_time_limit_ms: float = 200.0
    count_time_limit_ms: float = 200.0
    default_page_size: int = 100
    max_page_size: int = 1000
    default_facet_size: int = 30
    max_facet_size: int = 100
    max_facets: int = 10
    max_returned_rows: int = 1000
    exact_count_below: int = 50_000
    estimate_sample: int = 10_000
    label_these_limit: int = 100_000
    export_chunk: int = 2000


@dataclass(frozen=True)
class Limits:
    """What running a query needs besides the query: limits, the store's indexes
    (see :mod:`indexes`) and the result cache."""

    settings: DataSettings
    indexes: Indexes
    cache: ResultCache
