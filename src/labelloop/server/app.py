"""The web app: labelling pages and API, accounts, the data API, live progress.

``create_app`` builds it for one store. ``labelloop serve`` runs it on
uvicorn, with several worker processes on PostgreSQL (each builds its own app
from the ``LABELLOOP_DB`` environment variable through :func:`app_from_env`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from labelloop.server import api, pages, ws
from labelloop.server.auth import CSRFMiddleware
from labelloop.store import Database
from labelloop.ui.display import DisplayFunction

STATIC = Path(__file__).parents[1] / "ui" / "static"


def create_app(
    store: str | Path | Database,
    *,
    public_data: bool = False,
    secure_cookies: bool = False,
    display: DisplayFunction | None = None,
) -> FastAPI:
    """Build the web app for a store.

    Parameters
    ----------
    store : str, Path or Database
        The store (SQLite path or database URL).
    public_data : bool
        Make the read-only data API public (no sign-in needed to read).
    secure_cookies : bool
        Mark cookies ``Secure`` even when the app sees plain HTTP (behind a
        TLS-terminating proxy).
    display : callable, optional
        Custom display function for items (see :mod:`labelloop.ui.display`).
    """
    db = store if isinstance(store, Database) else Database(store)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.watcher.start()
        yield
        await app.state.watcher.stop()
        app.state.watcher.wait_cleanups()

    app = FastAPI(
        title="labelloop",
        summary="Label data with people and a model in the loop.",
        version=_version(),
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.display = display
    app.state.secure_cookies = secure_cookies
    app.state.watcher = ws.ChangeWatcher(db)
    app.add_middleware(CSRFMiddleware)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(ws.router)
    _mount_data_api(app, db, public_data)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    return app


def app_from_env() -> FastAPI:
    """The app for ``$LABELLOOP_DB`` (uvicorn's factory for worker processes)."""
    return create_app(
        os.environ["LABELLOOP_DB"],
        public_data=os.environ.get("LABELLOOP_PUBLIC_DATA") == "1",
        secure_cookies=os.environ.get("LABELLOOP_SECURE_COOKIES") == "1",
    )


def _mount_data_api(app: FastAPI, db: Database, public: bool) -> None:
    import importlib.util

    if importlib.util.find_spec("labelloop.server.data") is None:
        return  # installed without the data API
    from labelloop.server.access import RoleAccess
    from labelloop.server.data import make_data_router

    access: Any = RoleAccess(db)
    if public:
        from labelloop.server.data.access import PublicReadAccess

        access = PublicReadAccess()
    app.include_router(make_data_router(db, access), prefix="/data")


def _version() -> str:
    from labelloop import __version__

    return __version__
