"""The browse page: a table with facets and filters over the JSON API.

The page is plain HTML plus one script and one stylesheet served by this
router (nothing from elsewhere; a Content-Security-Policy says so). The
server decides whether the "label these" button exists: only admins get it.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from labelloop.server.data.service import DataService
from labelloop.store.query import OPERATORS, TABLES

STATIC = Path(__file__).parent / "static"
ASSETS = {"browse.js": "text/javascript; charset=utf-8", "browse.css": "text/css; charset=utf-8"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · data · labelloop</title>
<link rel="stylesheet" href="../-/static/browse.css?v={css}">
<script type="application/json" id="browse-config">{config}</script>
<script src="../-/static/browse.js?v={js}" defer></script>
</head>
<body>
<header>
<h1>{title}</h1>
<label>Table <select id="table"></select></label>
<span id="table-doc"></span>
<span id="count"></span>
</header>
<main>
<aside>
<section><h2>Filters</h2>
<ul id="filters"></ul>
<form id="filter-form">
<select id="filter-column" aria-label="column"></select>
<select id="filter-op" aria-label="operator"></select>
<input id="filter-value" aria-label="value" placeholder="value">
<button type="submit">Add filter</button>
</form></section>
<section><h2>Facets</h2>
<form id="facet-form"><select id="facet-column" aria-label="facet column"></select>
<button type="submit">Facet</button></form>
<div id="facets"></div></section>
</aside>
<section>
<div id="actions">{actions}<span id="action-result"></span></div>
<p id="status"></p>
<table id="rows"></table>
<div id="pager"></div>
<div id="exports"></div>
</section>
</main>
</body>
</html>
"""
ADMIN_ACTIONS = (
    '<button type="button" id="label-these" '
    'title="give the filtered items the highest queue priority">Label these</button> '
)


@dataclass(frozen=True)
class Asset:
    """A static file's bytes, type and content hash."""

    body: bytes
    media_type: str
    digest: str


@cache
def asset(name: str) -> Asset | None:
    """One of the page's static files, or None for any other name."""
    if name not in ASSETS:
        return None
    body = (STATIC / name).read_bytes()
    return Asset(body, ASSETS[name], hashlib.sha256(body).hexdigest()[:12])


def static(request: Request, name: str) -> Response:
    """Serve a static file; a request naming its current hash may be cached for a year."""
    found = asset(name)
    if found is None:
        return Response(b"not found", 404, headers={"Cache-Control": "no-store"})
    versioned = request.query_params.get("v") == found.digest
    lifetime = "public, max-age=31536000, immutable" if versioned else "public, max-age=300"
    headers = {"ETag": f'"{found.digest}"', "Cache-Control": lifetime}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(found.body, headers=headers, media_type=found.media_type)


def browse(service: DataService, request: Request, project: str) -> Response:
    """The browse page of a project (the admin's page has "label these")."""
    with service.source.session() as session:
        service.project_id(session, project)
    service.require_read(request, project)
    admin = service.access.can_admin(request)
    page = PAGE.format(
        title=html.escape(project),
        config=_script_json(_config(project, admin)),
        actions=ADMIN_ACTIONS if admin else "",
        css=_digest("browse.css"),
        js=_digest("browse.js"),
    )
    headers = {
        "Content-Security-Policy": CSP,
        "Cache-Control": "private, no-cache",
        "Vary": "Cookie, Authorization",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(page.encode(), headers=headers, media_type="text/html; charset=utf-8")


def _digest(name: str) -> str:
    found = asset(name)
    assert found is not None
    return found.digest


def _config(project: str, admin: bool) -> dict[str, object]:
    tables = [
        {
            "name": spec.name,
            "doc": spec.doc,
            "columns": [{"name": c.name, "type": c.type, "doc": c.doc} for c in spec.columns],
        }
        for spec in TABLES.values()
    ]
    return {"project": project, "tables": tables, "operators": list(OPERATORS), "admin": admin}


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' that could end it."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
