"""A loopback web site for the front-end tests: the bundle, the test pages,
and two WebSocket endpoints that speak the page host's wire format.

``/ws/wire`` records every frame it receives and lets the test push frames,
to check the wire format itself. ``/ws/session`` is a minimal labelling
session (text items, acks), to check that a page reconnects.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response, WebSocket, WebSocketDisconnect
from fastapi.staticfiles import StaticFiles

Frame = str | bytes

WIRE_STATE: dict[str, Any] = {"a": 1, "b": {"nested": [1, 2]}, "c": "three"}
SESSION_CONFIG: dict[str, Any] = {
    "project": "reconnect",
    "annotator": "tester",
    "options": ["cat", "dog"],
    "hotkeys": ["1", "2"],
    "multilabel": False,
    "allow_other": False,
    "free_text": False,
    "has_model": False,
    "prefetch": 2,
}


@dataclass
class Connection:
    """One WebSocket the site accepted, and everything it received."""

    websocket: WebSocket
    received: list[Frame] = field(default_factory=list)

    def messages(self) -> list[dict[str, Any]]:
        """The JSON frames received, decoded."""
        return [json.loads(frame) for frame in self.received if isinstance(frame, str)]


class Site:
    """The app, its event loop, and what the tests need to steer it."""

    def __init__(self, static_dir: Path, pages_dir: Path) -> None:
        self.requested_paths: list[str] = []
        self.wire: list[Connection] = []
        self.sessions: list[Connection] = []
        self.accepting_sessions = True
        self.loop: asyncio.AbstractEventLoop | None = None
        self.base_url = ""
        self.app = self._build(static_dir, pages_dir)

    def _build(self, static_dir: Path, pages_dir: Path) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def remember_path(request: Request, call_next: Any) -> Response:
            self.requested_paths.append(request.url.path)
            response: Response = await call_next(request)
            return response

        app.mount("/static", StaticFiles(directory=static_dir), name="static")
        app.mount("/pages", StaticFiles(directory=pages_dir), name="pages")
        app.add_api_websocket_route("/ws/wire", self._wire)
        app.add_api_websocket_route("/ws/session", self._session)
        return app

    async def _wire(self, websocket: WebSocket) -> None:
        self.loop = asyncio.get_running_loop()
        await websocket.accept()
        connection = Connection(websocket)
        self.wire.append(connection)
        await websocket.send_text(json.dumps({"type": "state", "state": WIRE_STATE}))
        await _record(connection)

    async def _session(self, websocket: WebSocket) -> None:
        self.loop = asyncio.get_running_loop()
        if not self.accepting_sessions:
            await websocket.close()
            return
        await websocket.accept()
        connection = Connection(websocket)
        self.sessions.append(connection)
        state = {
            "config": SESSION_CONFIG,
            "progress": {"total": 100, "done": 0, "mine": 0, "remaining": 100},
            "status": "labelling",
            "error": "",
            "model_info": None,
            "hint_enabled": False,
        }
        await websocket.send_text(json.dumps({"type": "state", "state": state}))
        await _play_session(connection, len(self.sessions))

    def push(self, connection: Connection, *frames: Frame) -> None:
        """Send frames to the page from the server's side, in order."""
        self._run(_send_all(connection.websocket, frames))

    def drop(self, connection: Connection) -> None:
        """Close a connection from the server's side, as a restarting server would."""
        self._run(connection.websocket.close(code=1012))

    def _run(self, coroutine: Any) -> None:
        assert self.loop is not None, "no connection yet"
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=5)


async def _send_all(websocket: WebSocket, frames: tuple[Frame, ...]) -> None:
    for frame in frames:
        if isinstance(frame, bytes):
            await websocket.send_bytes(frame)
        else:
            await websocket.send_text(frame)


async def _receive(connection: Connection) -> Frame | None:
    try:
        message = await connection.websocket.receive()
    except (WebSocketDisconnect, RuntimeError):
        return None
    if message["type"] == "websocket.disconnect":
        return None
    frame: Frame = message["text"] if message.get("text") is not None else message["bytes"]
    connection.received.append(frame)
    return frame


async def _record(connection: Connection) -> None:
    while await _receive(connection) is not None:
        pass


async def _play_session(connection: Connection, number: int) -> None:
    """Answer `more` with text items and `submit` with acks; record the rest."""
    keys = itertools.count()
    while (frame := await _receive(connection)) is not None:
        if not isinstance(frame, str):
            continue
        message = json.loads(frame)
        content = message.get("content", {}) if message.get("type") == "custom" else {}
        reply: dict[str, Any] | None = None
        if content.get("type") == "more":
            items = [_text_item(number, next(keys)) for _ in range(int(content["n"]))]
            reply = {"type": "items", "items": items}
        elif content.get("type") == "submit":
            reply = {"type": "ack", "lease": content["lease"], "label_id": 1}
        if reply is not None:
            await connection.websocket.send_text(
                json.dumps({"type": "custom", "content": reply, "buffers": 0})
            )


def _text_item(connection_number: int, index: int) -> dict[str, Any]:
    key = f"c{connection_number}-{index}"
    return {
        "lease": f"lease-{key}",
        "key": key,
        "relabel": False,
        "current": None,
        "display": {"kind": "text", "text": f"item {key}"},
        "hint": None,
    }


def free_loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(site: Site) -> Iterator[Site]:
    """Run the site with uvicorn on a free loopback port, in a thread."""
    sock = free_loopback_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        site.app, log_level="warning", lifespan="off", ws_per_message_deflate=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        else:
            raise RuntimeError("the test site did not start within 5 s")
        site.base_url = f"http://127.0.0.1:{port}"
        yield site
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
