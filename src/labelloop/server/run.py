"""Running the web app on uvicorn."""

from __future__ import annotations

import os
import sys

from labelloop.errors import require
from labelloop.store import Database, normalize_url


def serve(
    db: str,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    *,
    public_data: bool = False,
    secure_cookies: bool = False,
) -> None:
    """Serve the app for ``db`` until interrupted.

    Each worker process builds its own app from the environment, so several
    workers behave as one server: all state is in the database.
    """
    require("uvicorn", "server")
    import uvicorn

    url = normalize_url(db)
    Database(url).dispose()  # fail here, clearly, if the store cannot be opened
    if workers > 1 and url.startswith("sqlite"):
        print(
            "note: several workers on SQLite share one write lock; use PostgreSQL to scale",
            file=sys.stderr,
        )
    os.environ["LABELLOOP_DB"] = url
    os.environ["LABELLOOP_PUBLIC_DATA"] = "1" if public_data else "0"
    os.environ["LABELLOOP_SECURE_COOKIES"] = "1" if secure_cookies else "0"
    uvicorn.run(
        "labelloop.server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ws_per_message_deflate=False,  # compressing item buffers costs more than it saves
        log_level="warning",
    )
