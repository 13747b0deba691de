"""The data API's routes, mounted by the app under ``/data``.

Every route turns labelloop's errors into JSON: a bad query is 400 (naming
what is valid), a refusal 403, an unknown project or table 404, a missing
optional dependency 501 and an unreachable database 503.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from labelloop.errors import (
    InvalidInputError,
    LabelloopError,
    MissingExtraError,
    StoreUnavailableError,
    UnknownProjectError,
)
from labelloop.server.data import browse, responses, sql, tables
from labelloop.server.data.access import DataAccess
from labelloop.server.data.label import LabelThese, label_these
from labelloop.server.data.service import AccessDenied, DataService
from labelloop.store.engine import Database
from labelloop.store.projects import list_projects
from labelloop.store.query import OPERATORS, PARAMETERS, TABLES, DataSettings
from labelloop.store.query.errors import QueryError, UnknownTableError

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class DataRoute(APIRoute):
    """A route whose labelloop errors become JSON error responses."""

    def get_route_handler(self) -> Handler:
        """The endpoint, wrapped to answer labelloop errors as JSON."""
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except (AccessDenied, LabelloopError) as error:
                return _error_response(error)

        return route


def _error_response(error: Exception) -> Response:
    if isinstance(error, AccessDenied):
        return responses.error(403, str(error))
    if isinstance(error, QueryError):
        return responses.error(400, str(error), **error.details)
    if isinstance(error, UnknownTableError | UnknownProjectError):
        return responses.error(404, str(error))
    if isinstance(error, InvalidInputError):
        return responses.error(400, str(error))
    if isinstance(error, MissingExtraError):
        return responses.error(501, str(error))
    if isinstance(error, StoreUnavailableError):
        return responses.error(503, str(error))
    return responses.error(400, str(error))


def make_data_router(
    db: Database, access: DataAccess, settings: DataSettings | None = None
) -> APIRouter:
    """The read-only data API over ``db``, to mount with ``prefix="/data"``.

    Parameters
    ----------
    db : Database
        The store.
    access : DataAccess
        Who may read, run SQL and administer (see :mod:`.access`).
    settings : DataSettings, optional
        Time limits and sizes.
    """
    service = DataService.open(db, access, settings)
    router = APIRouter(route_class=DataRoute, tags=["data"])
    _meta_routes(router, service)
    _project_routes(router, service)
    return router


def _meta_routes(router: APIRouter, service: DataService) -> None:
    @router.get("/", summary="Projects and tables of the data API")
    def index(request: Request) -> Response:
        """List the projects the caller may read, their tables and the SQL endpoint."""
        readable = [p.name for p in list_projects(service.db)]
        names = [n for n in readable if service.access.can_read(request, n)]
        body = {
            "ok": True,
            "projects": [_project_entry(request, n) for n in names],
            "sql": str(request.url_for("data_sql", name="sql.json"))
            if service.access.can_sql(request)
            else None,
        }
        return responses.json_response(body, responses.cache_headers(service.public))

    @router.get("/-/static/{name}", summary="Static files of the browse page")
    def static(request: Request, name: str) -> Response:
        """The browse page's script and stylesheet."""
        return browse.static(request, name)

    @router.get("/-/{name}", name="data_sql", summary="Read-only SQL")
    def run_sql(request: Request, name: str) -> Response:
        """Run one read-only SQL statement: ``/-/sql.json|.csv|.ndjson?sql=…&param=…``.

        Named parameters (``:name``) come from the query string. JSON returns
        at most ``max_returned_rows`` rows and says when it truncated; CSV
        and NDJSON stream every row. Writes, ATTACH, PRAGMA, extension
        loading and several statements at once are refused.
        """
        return sql.sql(service, request, name)


def _project_entry(request: Request, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "url": str(request.url_for("data_project", project=name)),
        "browse_url": str(request.url_for("data_browse", project=name)),
        "tables": list(TABLES),
    }


def _project_routes(router: APIRouter, service: DataService) -> None:
    @router.get("/{project}", name="data_project", summary="A project's tables and columns")
    def project(request: Request, project: str) -> Response:
        """The tables of a project, each with its columns, types and documentation."""
        with service.source.session() as session:
            service.project_id(session, project)
        service.require_read(request, project)
        body = {"ok": True, "project": project, **_schema(request, project)}
        return responses.json_response(body, responses.cache_headers(service.public))

    @router.get("/{project}/browse", name="data_browse", summary="Browse page (HTML)")
    def browse_page(request: Request, project: str) -> Response:
        """A page to browse the project's tables with filters, facets and paging."""
        return browse.browse(service, request, project)

    @router.post("/{project}/label-these", summary="Send filtered items to the queue's front")
    def label(request: Request, project: str, body: LabelThese) -> dict[str, object]:
        """Give the items a filtered view selects priorities above the current maximum.

        Admins only. The body is ``{"table": …, "query": …}`` with the same
        query string the table view uses; returns how many items moved.
        """
        return label_these(service, request, project, body)

    @router.get(
        "/{project}/{table_fmt}", name="data_table", summary="A table: page (JSON/CSV) or export"
    )
    def table(request: Request, project: str, table_fmt: str) -> Response:
        """``/{project}/{table}.json|.csv|.ndjson|.parquet`` with Datasette's grammar.

        Filters ``column__op=value`` (ops: exact, not, contains, startswith,
        gt, gte, lt, lte, in, isnull), ``_sort``/``_sort_desc``, ``_size``,
        ``_col``/``_nocol``, ``_next`` (keyset token), ``_facet``,
        ``_facet_size``, ``_nocount``, ``_shape=objects|arrays|array`` and
        ``_stream=1`` (CSV of every row).
        """
        return tables.table(service, request, project, table_fmt)


def _schema(request: Request, project: str) -> dict[str, Any]:
    return {
        "tables": [
            {
                "name": spec.name,
                "description": spec.doc,
                "primary_key": spec.pk,
                "url": str(
                    request.url_for("data_table", project=project, table_fmt=f"{spec.name}.json")
                ),
                "columns": [
                    {"name": c.name, "type": c.type, "description": c.doc} for c in spec.columns
                ],
            }
            for spec in TABLES.values()
        ],
        "operators": list(OPERATORS),
        "parameters": [*PARAMETERS, "_shape", "_stream"],
    }
