"""The labelling page's websocket: the front-end's model, carried over frames.

Wire format (see docs/ui-protocol.md): the server sends
``{"type": "state", "state": {...}}`` first, then ``{"type": "update",
"state": {...}}`` for changed keys and ``{"type": "custom", "content": {...},
"buffers": N}`` followed by N binary frames. The client sends ``update``
(for ``save_changes``) and ``custom`` frames the same way.

Live progress: one :class:`ChangeWatcher` per worker process polls the
store's change counter (one cheap query per interval whatever the number of
sockets) and wakes every socket when anything was written, by any worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool

from labelloop.server.auth import open_project, same_origin, user_from
from labelloop.store import Database
from labelloop.ui.session import LabellingSession, Reply

router = APIRouter()


class ChangeWatcher:
    """Polls the store's change counter and wakes subscribers when it moves."""

    def __init__(self, db: Database, interval: float = 0.5) -> None:
        self.db = db
        self.interval = interval
        # each subscriber's event is set on its own loop (call_soon_threadsafe)
        self.subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self.cleanups: list[threading.Thread] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin polling (call from the running event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._poll())

    async def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _poll(self) -> None:
        seen = await run_in_threadpool(self.db.changes)
        while True:
            await asyncio.sleep(self.interval)
            now = await run_in_threadpool(self.db.changes)
            if now != seen:
                seen = now
                for loop, event in list(self.subscribers):
                    loop.call_soon_threadsafe(event.set)

    def run_cleanup(self, work: Callable[[], None]) -> None:
        """Run ``work`` in a thread that outlives a cancelled task; see :meth:`wait_cleanups`."""
        thread = threading.Thread(target=work, daemon=True)
        self.cleanups = [t for t in self.cleanups if t.is_alive()] + [thread]
        thread.start()

    def wait_cleanups(self, timeout: float = 10.0) -> None:
        """Wait for pending cleanups (at shutdown)."""
        for thread in self.cleanups:
            thread.join(timeout)


@router.websocket("/ws/projects/{name}/label")
async def label_socket(websocket: WebSocket, name: str) -> None:
    """Label project ``name`` as the signed-in user."""
    app = websocket.app
    if not same_origin(websocket):
        await websocket.close(code=4403, reason="cross-site websocket refused")
        return
    user = await run_in_threadpool(user_from, app.state.db, websocket)
    if user is None:
        await websocket.close(code=4401, reason="not signed in")
        return
    try:
        project = await run_in_threadpool(open_project, app.state.db, user, name)
    except HTTPException as error:
        await websocket.close(code=4000 + error.status_code, reason=str(error.detail))
        return
    await websocket.accept()
    await Connection(websocket, project, user.name).run()


class Connection:
    """One open labelling page."""

    def __init__(self, websocket: WebSocket, project: Any, annotator: str) -> None:
        self.websocket = websocket
        self.loop = asyncio.get_running_loop()
        self.outbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.changed = asyncio.Event()
        self.session = LabellingSession(
            project,
            annotator,
            display=websocket.app.state.display,
            media_root_only=True,
            on_state=self._state_from_thread,
        )

    def _state_from_thread(self, changes: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self.outbox.put_nowait, ("update", changes))

    async def run(self) -> None:
        """Serve the page until it disconnects; then release the items it held."""
        watcher: ChangeWatcher = self.websocket.app.state.watcher
        subscription = (self.loop, self.changed)
        watcher.subscribers.add(subscription)
        state = await run_in_threadpool(self.session.state)
        await self.websocket.send_json({"type": "state", "state": state})
        tasks = [asyncio.create_task(t) for t in (self._receive(), self._send(), self._live())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            watcher.subscribers.discard(subscription)
            # Not awaited: this task may itself be cancelled by the disconnect,
            # and the held items must go back to the pool all the same.
            watcher.run_cleanup(self.session.close)

    async def _receive(self) -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                frame = await self.websocket.receive_json()
                for _ in range(int(frame.get("buffers", 0))):
                    await self.websocket.receive_bytes()  # the protocol sends none; drain them
                if frame.get("type") == "custom":
                    replies = await run_in_threadpool(self.session.handle, frame.get("content", {}))
                    for reply in replies:
                        self.outbox.put_nowait(("custom", reply))

    async def _send(self) -> None:
        while True:
            kind, payload = await self.outbox.get()
            if kind == "update":
                await self.websocket.send_json({"type": "update", "state": payload})
            else:
                await self._send_custom(payload)

    async def _send_custom(self, reply: Reply) -> None:
        content, buffers = reply
        await self.websocket.send_json(
            {"type": "custom", "content": content, "buffers": len(buffers)}
        )
        for buffer in buffers:
            await self.websocket.send_bytes(buffer)

    async def _live(self) -> None:
        while True:
            await self.changed.wait()
            self.changed.clear()
            progress = await run_in_threadpool(self.session.progress)
            status = "finished" if progress["remaining"] == 0 else "labelling"
            self.outbox.put_nowait(("update", {"progress": progress, "status": status}))
