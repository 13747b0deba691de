"""Who is asking: sessions, roles and CSRF protection.

Browsers log in through a one-time link (``/login?token=…``) that sets two
cookies: ``labelloop_session`` (HttpOnly) and ``labelloop_csrf`` (readable by
the page's JS). A state-changing request authenticated by the cookie must
carry an ``X-CSRF-Token`` header equal to the CSRF cookie, which another site
cannot read. API clients exchange the login token for a session token
(``POST /api/login``) and send ``Authorization: Bearer <token>``, which no
browser adds on its own, so those requests need no CSRF header.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from fastapi import HTTPException, Request, WebSocket
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from labelloop.errors import UnknownProjectError
from labelloop.project import Project
from labelloop.store import Database, accounts
from labelloop.store.accounts import User
from labelloop.store.projects import get_project

SESSION_COOKIE = "labelloop_session"
CSRF_COOKIE = "labelloop_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class CSRFMiddleware:
    """Refuse cookie-authenticated state changes without the matching CSRF header.

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware costs more per
    request than a claim does.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            request = Request(scope)
            if not _bearer(request) and SESSION_COOKIE in request.cookies:
                cookie = request.cookies.get(CSRF_COOKIE, "")
                header = request.headers.get(CSRF_HEADER, "")
                if not cookie or not hmac.compare_digest(cookie, header):
                    refusal = JSONResponse(
                        {"detail": f"missing or wrong {CSRF_HEADER} header (CSRF protection)"},
                        status_code=403,
                    )
                    await refusal(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class _Recent:
    """Answers remembered for one second: sessions, roles and projects change rarely,
    and a second's staleness saves several queries on every request."""

    def __init__(self, seconds: float = 1.0) -> None:
        self.seconds = seconds
        self.answers: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any, compute: Any) -> Any:
        now = time.monotonic()
        hit = self.answers.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = compute()
        if len(self.answers) > 10_000:
            self.answers.clear()
        self.answers[key] = (now + self.seconds, value)
        return value


_recent = _Recent()


def set_login_cookies(response: Response, session_token: str, secure: bool) -> None:
    """Set the session cookie and a fresh CSRF cookie."""
    age = int(accounts.SESSION_TTL)
    response.set_cookie(
        SESSION_COOKIE, session_token, max_age=age, httponly=True, secure=secure, samesite="lax"
    )
    response.set_cookie(
        CSRF_COOKIE, secrets.token_urlsafe(24), max_age=age, secure=secure, samesite="strict"
    )


def user_from(db: Database, request: Request | WebSocket) -> User | None:
    """The user behind a request's bearer token or session cookie, if any."""
    token = _bearer(request) or request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return _recent.get(("session", db.url, token), lambda: accounts.session_user(db, token))  # type: ignore[no-any-return]


def require_user(request: Request) -> User:
    """FastAPI dependency: the signed-in user, or 401."""
    user = user_from(request.app.state.db, request)
    if user is None:
        raise HTTPException(401, "not signed in: open your login link, or send a bearer token")
    return user


def require_admin(request: Request) -> User:
    """FastAPI dependency: an admin, or 403."""
    user = require_user(request)
    if not user.is_admin:
        raise HTTPException(403, "admins only")
    return user


def open_project(db: Database, user: User, name: str) -> Project:
    """The project ``name`` if ``user`` may work on it: 404 if unknown, 403 if not theirs."""
    try:
        record = _recent.get(("project", db.url, name), lambda: get_project(db, name))
    except UnknownProjectError:
        raise HTTPException(404, f"no project {name!r}") from None
    allowed = _recent.get(("member", db.url, user.id), lambda: accounts.project_ids_of(db, user))
    if allowed is not None and record.id not in allowed:
        raise HTTPException(403, f"you are not a member of project {name!r}")
    return Project.from_record(db, record)


def same_origin(websocket: WebSocket) -> bool:
    """Whether a websocket comes from a page of this server (no cross-site hijacking)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    host = websocket.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def _bearer(request: Any) -> str | None:
    header: str = request.headers.get("authorization", "")
    return header[7:].strip() or None if header.lower().startswith("bearer ") else None
