"""One annotator labelling one project: the Python side of the front-end.

The notebook widget and the web page's websocket both hand the front-end's
messages to :meth:`LabellingSession.handle` and send back what it returns
(see docs/ui-protocol.md); neither holds any labelling logic itself.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from labelloop.errors import InvalidInputError, LabelloopError
from labelloop.project import Project
from labelloop.store import label_values, queue, schema
from labelloop.store.queue import Lease
from labelloop.ui import display as displays

Reply = tuple[dict[str, Any], list[bytes]]
# commands use non-letter keys (arrows, Backspace, Enter), so every letter is free
OPTION_KEYS = [str(i) for i in range(1, 10)] + ["0"] + list("abcdefghijklmnopqrstuvwxyz")


def hotkeys(options: list[str]) -> list[str]:
    """A key per option: the option itself when every option is one distinct
    letter or digit (so "3" labels digit 3), else 1–9, 0, then a–z."""
    own = [o.lower() for o in options]
    if own and all(len(o) == 1 and o.isalnum() for o in own) and len(set(own)) == len(own):
        return own
    return [OPTION_KEYS[i] if i < len(OPTION_KEYS) else "" for i in range(len(options))]


@dataclass
class LabellingSession:
    """The state and actions of one annotator in one project.

    Parameters
    ----------
    project : Project
    annotator : str
        Must exist in the store.
    display : callable, optional
        Custom display function (see :func:`labelloop.ui.display.render`).
    prefetch : int
        Items the front-end keeps ready ahead of the one shown.
    media_root_only : bool
        Serve media files only from under the project's media root (the web
        app sets this; a notebook user may show any file they added).
    on_state : callable, optional
        Called with changed state keys (e.g. when a retrain finishes).
    """

    project: Project
    annotator: str
    display: displays.DisplayFunction | None = None
    prefetch: int = 3
    media_root_only: bool = False
    on_state: Callable[[dict[str, Any]], None] | None = None
    held: dict[str, Lease] = field(default_factory=dict)
    _training: bool = False

    # -- state ------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The full state the front-end starts from."""
        settings = self.project.settings
        options = [str(o) for o in settings.options]
        progress = self.progress()
        return {
            "config": {
                "project": self.project.name,
                "annotator": self.annotator,
                "options": options,
                "hotkeys": hotkeys(options),
                "multilabel": settings.multilabel,
                "allow_other": settings.allow_other,
                "free_text": not options,
                "has_model": self.has_model,
                "prefetch": self.prefetch,
            },
            "progress": progress,
            "status": "finished" if progress["remaining"] == 0 else "labelling",
            "error": "",
            "model_info": self.model_info(),
            "hint_enabled": True,
        }

    @property
    def has_model(self) -> bool:
        """Whether the project has a model to retrain and to give hints."""
        return bool(self.project._model or self.project.settings.extra.get("model"))

    def progress(self) -> dict[str, int]:
        """Project and personal progress counts."""
        p = self.project.progress_of(self.annotator)
        return {"total": p.total, "done": p.done, "mine": p.mine or 0, "remaining": p.remaining}

    def model_info(self) -> dict[str, Any] | None:
        """The learning curve and latest score, or None without runs."""
        runs = self.project.model_runs
        if runs.empty and not self._training:
            return None
        last = runs.iloc[-1] if not runs.empty else None
        return {
            "score": None if last is None else _float(last["score"]),
            "n_labels": None if last is None else int(last["n_labels"]),
            "settled": None if last is None else _float(last["settled"]),
            "curve": {
                "n_labels": [int(n) for n in runs["n_labels"]],
                "score": [_float(s) for s in runs["score"]],
            },
            "training": self._training,
        }

    # -- messages ----------------------------------------------------------------

    def handle(self, message: dict[str, Any]) -> list[Reply]:
        """Answer one message from the front-end; errors become ``error`` replies."""
        kind = message.get("type")
        handler = self._handlers().get(str(kind))
        if handler is None:
            return [({"type": "error", "message": f"unknown message type {kind!r}"}, [])]
        try:
            return handler(message)
        except LabelloopError as error:
            reply: dict[str, Any] = {"type": "error", "message": str(error)}
            if "lease" in message:
                reply["lease"] = message["lease"]
            return [(reply, [])]

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], list[Reply]]]:
        return {
            "more": self._more,
            "submit": self._submit,
            "skip": self._skip,
            "undo": self._undo,
            "history": self._history,
            "open": self._open,
            "relabel": self._relabel,
            "release": self._release,
            "retrain": self._retrain,
        }

    def _more(self, message: dict[str, Any]) -> list[Reply]:
        n = max(1, min(int(message.get("n", self.prefetch)), 50))
        leases = self.project.claim(self.annotator, n)
        for lease in leases:
            self.held[lease.id] = lease
        return [self._items_reply(leases)]

    def _submit(self, message: dict[str, Any]) -> list[Reply]:
        lease = str(message["lease"])
        taken = message.get("time_taken")
        label_id = self.project.submit(
            lease,
            message.get("value"),
            annotator=self.annotator,
            time_taken=None if taken is None else float(taken),
        )
        self.held.pop(lease, None)
        return [({"type": "ack", "lease": lease, "label_id": label_id}, [])]

    def _skip(self, message: dict[str, Any]) -> list[Reply]:
        lease = str(message["lease"])
        self.project.skip(lease, annotator=self.annotator)
        self.held.pop(lease, None)
        return [({"type": "ack", "lease": lease, "label_id": None}, [])]

    def _undo(self, message: dict[str, Any]) -> list[Reply]:
        lease = self.project.undo(self.annotator)
        self.held[lease.id] = lease
        content, buffers = self._items_reply([lease])
        return [({"type": "undone", "item": content["items"][0]}, buffers)]

    def _history(self, message: dict[str, Any]) -> list[Reply]:
        offset = max(0, int(message.get("offset", 0)))
        entries = self.project.history(self.annotator, limit=21, offset=offset)
        rows = [
            {
                "key": e.item_key,
                "value": self._value_out(e.value),
                "label_id": e.label_id,
                "created_at": str(e.created_at),
            }
            for e in entries[:20]
        ]
        return [
            ({"type": "history", "entries": rows, "offset": offset, "more": len(entries) > 20}, [])
        ]

    def _open(self, message: dict[str, Any]) -> list[Reply]:
        key = str(message["key"])
        current = queue.current_value(self.project.db, self.project.record, self.annotator, key)
        if current is None:
            raise InvalidInputError(f"you have no label on item {key!r} to change")
        content, buffers = self._item(key, lease=None)
        content.update(relabel=True, current=self._value_out(current))
        return [({"type": "items", "items": [content]}, buffers)]

    def _relabel(self, message: dict[str, Any]) -> list[Reply]:
        key = str(message["key"])
        label_id = self.project.relabel(self.annotator, key, message.get("value"))
        return [({"type": "ack", "key": key, "label_id": label_id}, [])]

    def _release(self, message: dict[str, Any]) -> list[Reply]:
        for lease in message.get("leases", list(self.held)):
            self.release_one(str(lease))
        return []

    def release_one(self, lease: str) -> None:
        """Hand one held lease back, ignoring leases that already ended."""
        with contextlib.suppress(LabelloopError):
            self.project.release(lease, annotator=self.annotator)
        self.held.pop(lease, None)

    def close(self) -> None:
        """Release every item still held (the page or widget went away)."""
        for lease in list(self.held):
            self.release_one(lease)

    def _retrain(self, message: dict[str, Any]) -> list[Reply]:
        if not self.has_model:
            raise InvalidInputError("this project has no model; call project.use_model(...) first")
        if not self._training:
            self._training = True
            threading.Thread(target=self._train, daemon=True).start()
        return []

    def _train(self) -> None:
        error = ""
        try:
            report = self.project.retrain()
            if report.run_id is None:
                error = report.message
        except LabelloopError as failure:
            error = str(failure)
        finally:
            self._training = False
        if self.on_state is not None:
            self.on_state({"model_info": self.model_info(), "error": error})

    # -- items -------------------------------------------------------------------

    def _items_reply(self, leases: list[Lease]) -> Reply:
        items: list[dict[str, Any]] = []
        buffers: list[bytes] = []
        for lease in leases:
            content, data = self._item(lease.item_key, lease)
            if data:
                content["display"]["buffer"] = len(buffers)
                buffers += data
            items.append(content)
        hints = self._hints([lease.item_id for lease in leases])
        for item, lease in zip(items, leases, strict=True):
            item["hint"] = hints.get(lease.item_id)
        return {"type": "items", "items": items}, buffers

    def display_of(self, key: str) -> displays.Display:
        """How item ``key`` is shown: a display dict and its buffers."""
        stored = self.project.items([key])
        if not stored:
            raise InvalidInputError(f"no item {key!r}")
        item = stored[0]
        if item.kind == "image_path" and self.media_root_only:
            _check_media(Path(item.value), self.project.settings.media_root)
        allow_html = bool(self.project.settings.extra.get("allow_html"))
        return displays.render(item.value, item.kind, self.display, allow_html)

    def _item(self, key: str, lease: Lease | None) -> Reply:
        shown, buffers = self.display_of(key)
        content: dict[str, Any] = {
            "lease": None if lease is None else lease.id,
            "key": key,
            "relabel": False,
            "current": None,
            "display": shown,
            "hint": None,
        }
        return content, buffers

    def _hints(self, item_ids: list[int]) -> dict[int, dict[str, Any]]:
        if not item_ids or not self.has_model:
            return {}
        table = schema.predictions
        query = sa.select(table.c.item_id, table.c.label, table.c.confidence).where(
            table.c.item_id.in_(item_ids)
        )
        with self.project.db.read() as conn:
            rows = conn.execute(query).all()
        return {
            r.item_id: {"label": self._value_out(r.label), "confidence": round(r.confidence, 3)}
            for r in rows
        }

    def _value_out(self, stored: str) -> Any:
        value = label_values.from_text(self.project.settings, stored)
        return [str(v) for v in value] if isinstance(value, list) else str(value)


def _check_media(path: Path, root: Path | None) -> None:
    if root is None:
        raise InvalidInputError(
            "this project has no media root, so the web app serves none of its files; "
            "create it with media_root=... (or --media-root)"
        )
    if not path.resolve().is_relative_to(root.resolve()):
        raise InvalidInputError(f"refusing to serve {path}: it is outside the media root")


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number
