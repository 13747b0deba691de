""" "Label these": send the items a filtered table view selects to the front of the queue.

The body names a table and the same query string its view uses; the
matched items (deduplicated, in the view's order) get priorities above the
project's current maximum, the first highest, through the store's bulk
``set_priorities``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import numpy as np
from pydantic import BaseModel, Field
from starlette.requests import Request

from labelloop.server.data.service import DataService
from labelloop.store.projects import get_project
from labelloop.store.query import parse_table_query, table_spec
from labelloop.store.query.errors import QueryError
from labelloop.store.queue import set_priorities


class LabelThese(BaseModel):
    """Which rows to label: a table and its view's query string (filters and sort)."""

    table: str = Field(description="items, labels, predictions or items_overview")
    query: str = Field("", description="the table view's query string, e.g. value=cat&current=1")


def label_these(
    service: DataService, request: Request, project: str, body: LabelThese
) -> dict[str, object]:
    """Move the matched items to the front of the queue; report how many."""
    spec = table_spec(body.table)
    pairs = parse_qsl(body.query.lstrip("?"), keep_blank_values=True)
    ignored = ("_next", "_size", "_col", "_nocol", "_facet", "_facet_size", "_nocount")
    pairs = [(k, v) for k, v in pairs if k not in ignored]
    query = parse_table_query(
        spec, pairs, service.source.dialect, service.settings, ("_shape", "_stream")
    )
    if not query.filters:
        raise QueryError("give at least one filter: 'label these' never moves a whole table")
    with service.source.session() as session:
        project_id = service.project_id(session, project)
        service.require_admin(request)
        ids = service.source.item_ids(session, spec, project_id, query)
        top = service.source.max_priority(session, project_id)
    if len(ids):
        priorities = top + np.arange(len(ids), 0, -1, dtype=np.float64)
        set_priorities(service.db, get_project(service.db, project), ids, priorities)
    return {"ok": True, "items": len(ids), "priority_above": top}
