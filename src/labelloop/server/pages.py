"""The web app's pages: sign-in, projects, labelling, admin overview.

Pages are small server-rendered HTML; every value from the store goes through
``html.escape``. The labelling page is a shell that mounts the front-end
bundle and talks to ``/ws/projects/{name}/label``.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelloop.project import Project
from labelloop.server.auth import SESSION_COOKIE, open_project, set_login_cookies, user_from
from labelloop.store import accounts, stats
from labelloop.store.accounts import User
from labelloop.store.projects import list_projects

router = APIRouter(include_in_schema=False)

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
nav{display:flex;gap:1rem;align-items:center;padding:.6rem 1.2rem;background:#1d2430;color:#fff}
nav a{color:#cfe3ff;text-decoration:none} nav .who{margin-left:auto;opacity:.8}
main{max-width:1000px;margin:1.5rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%;background:#fff}
td,th{padding:.4rem .6rem;border-bottom:1px solid #e3e6ea;text-align:left}
th{font-weight:600;background:#eef1f4} .num{text-align:right;font-variant-numeric:tabular-nums}
.bar{height:.5rem;background:#e3e6ea;border-radius:.25rem;overflow:hidden;min-width:8rem}
.bar span{display:block;height:100%;background:#2f7de1}
.muted{color:#667} h2{margin-top:2rem}
"""


def page(title: str, body: str, user: User | None = None, status: int = 200) -> HTMLResponse:
    """A full HTML page around ``body`` (already escaped HTML)."""
    links = '<a href="/">Projects</a>'
    if user is not None and user.is_admin:
        links += ' <a href="/admin">Admin</a> <a href="/docs">API</a>'
    who = f'<span class="who">{escape(user.name)} ({escape(user.role)})</span>' if user else ""
    html = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)} · labelloop</title><style>{STYLE}</style></head>"
        f"<body><nav><strong>labelloop</strong> {links}{who}</nav><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def sign_in_page() -> HTMLResponse:
    """What someone without a session sees."""
    body = (
        "<h1>Sign in</h1><p>Open the login link you were given. An admin creates one with "
        "<code>labelloop user add DB NAME</code>.</p>"
    )
    return page("Sign in", body, status=401)


@router.get("/login")
def login(token: str, request: Request) -> Response:
    """Redeem a one-time login link and start a session."""
    db = request.app.state.db
    user = accounts.redeem_login_token(db, token)
    if user is None:
        body = (
            "<h1>Link not valid</h1>"
            "<p>This login link is unknown, used or expired. Ask for a new one.</p>"
        )
        return page("Sign in", body, status=401)
    response = RedirectResponse("/", status_code=303)
    secure = request.app.state.secure_cookies or request.url.scheme == "https"
    set_login_cookies(response, accounts.create_session(db, user), secure)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(request.app.state.db, token)
    response = RedirectResponse("/login-ended", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/login-ended")
def logged_out() -> HTMLResponse:
    """After logout."""
    return page("Signed out", "<h1>Signed out</h1>")


@router.get("/")
async def projects(request: Request) -> HTMLResponse:
    """The projects the user can work on."""
    db = request.app.state.db
    user = user_from(db, request)
    if user is None:
        return sign_in_page()
    rows = await run_in_threadpool(_project_rows, request, user)
    body = "<h1>Projects</h1>" + (
        "<table><tr><th>Project</th><th>Progress</th>"
        "<th class=num>Done</th><th class=num>Items</th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p class=muted>No projects yet, or none you are a member of.</p>"
    )
    return page("Projects", body, user)


def _project_rows(request: Request, user: User) -> list[str]:
    db = request.app.state.db
    allowed = accounts.project_ids_of(db, user)
    rows = []
    for record in list_projects(db):
        if allowed is not None and record.id not in allowed:
            continue
        p = Project.from_record(db, record).progress
        rows.append(
            f"<tr><td><a href='/projects/{quote(record.name, safe='')}/label'>"
            f"{escape(record.name)}</a></td>"
            f"<td><div class=bar><span style='width:{100 * p.fraction:.1f}%'></span></div></td>"
            f"<td class=num>{p.done}</td><td class=num>{p.total}</td></tr>"
        )
    return rows


@router.get("/projects/{name}/label")
async def label_page(name: str, request: Request) -> HTMLResponse:
    """The labelling page: the front-end bundle over a websocket."""
    db = request.app.state.db
    user = user_from(db, request)
    if user is None:
        return sign_in_page()
    await run_in_threadpool(open_project, db, user, name)
    socket = f"/ws/projects/{quote(name, safe='')}/label"
    body = (
        f"<h1>{escape(name)}</h1><div id=labeller data-socket='{escape(socket)}'></div>"
        "<script type=module>"
        "import {mountPage} from '/static/labeller.js';"
        "const el=document.getElementById('labeller');"
        "const scheme=location.protocol==='https:'?'wss':'ws';"
        "mountPage(el, scheme+'://'+location.host+el.dataset.socket);"
        "</script>"
    )
    return page(name, body, user)


@router.get("/admin")
async def admin(request: Request) -> HTMLResponse:
    """Progress, labels per annotator and per hour, time per label."""
    db = request.app.state.db
    user = user_from(db, request)
    if user is None:
        return sign_in_page()
    if not user.is_admin:
        return page("Admin", "<h1>Admins only</h1>", user, status=403)
    sections = await run_in_threadpool(_admin_sections, request)
    return page("Admin", "<h1>Overview</h1>" + "".join(sections), user)


def _admin_sections(request: Request) -> list[str]:
    db = request.app.state.db
    sections = []
    for record in list_projects(db):
        p = Project.from_record(db, record).progress
        people = "".join(
            f"<tr><td>{escape(a.name)}</td><td class=num>{a.labels}</td>"
            f"<td class=num>{'' if a.median_seconds is None else f'{a.median_seconds:.1f} s'}</td>"
            f"<td>{escape(str(a.last_label_at)[:19])}</td></tr>"
            for a in stats.per_annotator(db, record)
        )
        hours = " ".join(
            f"<span title='{escape(h)}'>{n}</span>" for h, n in stats.per_hour(db, record)
        )
        sections.append(
            f"<h2>{escape(record.name)}</h2>"
            f"<p>{p.done} of {p.total} items done · {p.labels} labels · "
            f"{p.in_progress} in progress</p>"
            "<table><tr><th>Annotator</th><th class=num>Labels</th><th class=num>Median time</th>"
            f"<th>Last label (UTC)</th></tr>{people}</table>"
            f"<p class=muted>Labels per hour, last 24 h: {hours}</p>"
        )
    return sections
