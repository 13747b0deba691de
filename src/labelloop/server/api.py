"""The labelling HTTP API: claim, submit, skip, release, undo, progress.

Documented at ``/docs`` (OpenAPI), so other tools can label through it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from labelloop.errors import (
    InvalidInputError,
    LeaseError,
    NothingToUndoError,
    UnknownAnnotatorError,
)
from labelloop.project import Project
from labelloop.server.auth import open_project, require_user
from labelloop.store import accounts
from labelloop.store.accounts import User
from labelloop.store.projects import list_projects
from labelloop.ui import display as displays
from labelloop.ui.session import LabellingSession

router = APIRouter(prefix="/api", tags=["labelling"])
CurrentUser = Annotated[User, Depends(require_user)]


class LoginRequest(BaseModel):
    """A one-time login token, as printed by ``labelloop user add``."""

    token: str


class ClaimRequest(BaseModel):
    """How many items to lease."""

    n: int = Field(1, ge=1, le=50, description="items to lease (1-50)")


class SubmitRequest(BaseModel):
    """A label for a leased item."""

    lease: str
    value: Any = Field(description="an option, a list of options (multi-label) or free text")
    time_taken: float | None = Field(None, ge=0, description="seconds spent on the item")


class LeaseRequest(BaseModel):
    """A lease to skip or release."""

    lease: str


@router.post("/login", summary="Exchange a one-time login token for a session token")
def login(body: LoginRequest, request: Request) -> dict[str, str]:
    """Returns ``{"session": …}``; send it as ``Authorization: Bearer …``."""
    db = request.app.state.db
    user = accounts.redeem_login_token(db, body.token)
    if user is None:
        raise HTTPException(401, "login token unknown, already used or expired; ask for a new one")
    return {"session": accounts.create_session(db, user), "user": user.name, "role": user.role}


@router.get("/projects", summary="Projects you can work on, with progress")
def projects(request: Request, user: CurrentUser) -> list[dict[str, Any]]:
    db = request.app.state.db
    allowed = accounts.project_ids_of(db, user)
    result = []
    for record in list_projects(db):
        if allowed is None or record.id in allowed:
            progress = Project.from_record(db, record).progress
            result.append(
                {
                    "name": record.name,
                    "options": record.settings.options,
                    "total": progress.total,
                    "done": progress.done,
                }
            )
    return result


@router.post("/projects/{project}/claim", summary="Lease up to n items to label")
async def claim(
    project: str, body: ClaimRequest, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """Items come with a ``display`` description; images as a ``url`` to fetch."""
    p = open_project(request.app.state.db, user, project)
    leases = await _call(p.claim, user.name, body.n)
    stored = {i.key: i for i in await run_in_threadpool(p.items, [x.item_key for x in leases])}
    return {
        "items": [
            {
                "lease": lease.id,
                "key": lease.item_key,
                "expires_at": lease.expires_at,
                "display": _api_display(stored[lease.item_key], project, request),
            }
            for lease in leases
        ]
    }


@router.post("/projects/{project}/submit", summary="Label a leased item")
async def submit(
    project: str, body: SubmitRequest, request: Request, user: CurrentUser
) -> dict[str, Any]:
    """422 names the valid options; 409 means the lease expired or is not yours."""
    p = open_project(request.app.state.db, user, project)
    label_id = await _call(
        p.submit, body.lease, body.value, annotator=user.name, time_taken=body.time_taken
    )
    return {"label_id": label_id}


@router.post("/projects/{project}/skip", summary="Pass on a leased item")
async def skip(
    project: str, body: LeaseRequest, request: Request, user: CurrentUser
) -> dict[str, str]:
    p = open_project(request.app.state.db, user, project)
    await _call(p.skip, body.lease, annotator=user.name)
    return {"status": "skipped"}


@router.post("/projects/{project}/release", summary="Hand a leased item back unlabelled")
async def release(
    project: str, body: LeaseRequest, request: Request, user: CurrentUser
) -> dict[str, str]:
    p = open_project(request.app.state.db, user, project)
    await _call(p.release, body.lease, annotator=user.name)
    return {"status": "released"}


@router.post("/projects/{project}/undo", summary="Undo your last label; its item is leased back")
async def undo(project: str, request: Request, user: CurrentUser) -> dict[str, Any]:
    session = _session(request, user, project)
    content, _ = (await run_in_threadpool(session.handle, {"type": "undo"}))[0]
    if content["type"] == "error":
        raise HTTPException(409, content["message"])
    _image_url(content["item"], project)
    return {"item": content["item"]}


@router.get("/projects/{project}/progress", summary="Project progress and your own count")
async def progress(project: str, request: Request, user: CurrentUser) -> dict[str, int]:
    session = _session(request, user, project)
    return await run_in_threadpool(session.progress)


@router.get(
    "/projects/{project}/items/{key}/media", summary="An item's image, as shown to labellers"
)
async def media(project: str, key: str, request: Request, user: CurrentUser) -> Response:
    session = _session(request, user, project)
    try:
        shown, buffers = await run_in_threadpool(session.display_of, key)
    except InvalidInputError as error:
        raise HTTPException(404, str(error)) from None
    if shown["kind"] != "image":
        raise HTTPException(404, f"item {key!r} is not an image")
    return Response(
        buffers[0], media_type=shown["mime"], headers={"Cache-Control": "private, max-age=3600"}
    )


def _session(request: Request, user: User, project: str) -> LabellingSession:
    p = open_project(request.app.state.db, user, project)
    return LabellingSession(p, user.name, display=request.app.state.display, media_root_only=True)


async def _call(function: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await run_in_threadpool(function, *args, **kwargs)
    except LeaseError as error:
        raise HTTPException(409, str(error)) from None
    except NothingToUndoError as error:
        raise HTTPException(409, str(error)) from None
    except UnknownAnnotatorError as error:
        raise HTTPException(403, str(error)) from None
    except InvalidInputError as error:
        raise HTTPException(422, str(error)) from None


def _api_display(item: Any, project: str, request: Request) -> dict[str, Any]:
    """How the API describes an item: images by URL (fetched only if wanted), the rest inline."""
    url = f"/api/projects/{project}/items/{item.key}/media"
    if item.kind in ("image", "pil", "image_path"):
        return {"kind": "image", "url": url}
    if item.kind == "ndarray" and displays.is_image(item.value):
        return {"kind": "image", "url": url}
    shown, _ = displays.render(item.value, item.kind, request.app.state.display)
    return shown


def _image_url(item: dict[str, Any], project: str) -> None:
    shown = item["display"]
    if shown.get("kind") == "image":
        shown.pop("buffer", None)
        shown["url"] = f"/api/projects/{project}/items/{item['key']}/media"
