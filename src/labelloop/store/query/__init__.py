"""Read-only queries over the store, for the data API (Datasette's ideas).

Tables over the store (:mod:`tables`), the filter grammar (:mod:`filters`,
:mod:`grammar`), keyset pagination (:mod:`keyset`), counts and facets under
time limits (:mod:`counts`, :mod:`facets`), read-only connections
(:mod:`readonly`), checks on user SQL (:mod:`sqlguard`) and streaming
encoders (:mod:`export`). :class:`DataSource` ties them together.
"""

from labelloop.store.query.counts import Count
from labelloop.store.query.errors import (
    BadTokenError,
    QueryError,
    QueryTimeoutError,
    ReadOnlyError,
    UnknownTableError,
)
from labelloop.store.query.facets import Facet, FacetValue
from labelloop.store.query.filters import OPERATORS
from labelloop.store.query.grammar import PARAMETERS, TableQuery, parse_table_query
from labelloop.store.query.pages import Page, Rows
from labelloop.store.query.settings import DataSettings
from labelloop.store.query.source import DataSource, SqlRows, TableView
from labelloop.store.query.tables import TABLES, TableSpec, table_spec

__all__ = [
    "OPERATORS",
    "PARAMETERS",
    "TABLES",
    "BadTokenError",
    "Count",
    "DataSettings",
    "DataSource",
    "Facet",
    "FacetValue",
    "Page",
    "QueryError",
    "QueryTimeoutError",
    "ReadOnlyError",
    "Rows",
    "SqlRows",
    "TableQuery",
    "TableSpec",
    "TableView",
    "UnknownTableError",
    "parse_table_query",
    "table_spec",
]
