"""The labelling websocket: the front-end's protocol over real frames."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.server.conftest import DIGITS, Site


def custom(ws: WebSocketTestSession, content: dict[str, Any]) -> None:
    ws.send_json({"type": "custom", "content": content, "buffers": 0})


def receive_custom(ws: WebSocketTestSession) -> tuple[dict[str, Any], list[bytes]]:
    while True:
        frame = ws.receive_json()
        if frame["type"] == "custom":
            return frame["content"], [ws.receive_bytes() for _ in range(frame["buffers"])]


def test_state_then_items_then_labels(site: Site) -> None:
    client = site.client("ann")
    with client.websocket_connect("/ws/projects/digits/label") as ws:
        first = ws.receive_json()
        assert first["type"] == "state"
        assert first["state"]["config"]["options"] == [str(i) for i in range(10)]
        assert first["state"]["config"]["hotkeys"][:3] == ["0", "1", "2"]  # digits are their keys
        custom(ws, {"type": "more", "n": 3})
        content, buffers = receive_custom(ws)
        assert content["type"] == "items" and len(content["items"]) == 3
        assert len(buffers) == 3 and all(b.startswith(b"\x89PNG") for b in buffers)
        assert [i["display"]["buffer"] for i in content["items"]] == [0, 1, 2]
        lease = content["items"][0]["lease"]
        custom(
            ws,
            {"type": "submit", "lease": lease, "value": str(DIGITS.target[0]), "time_taken": 0.8},
        )
        ack, _ = receive_custom(ws)
        assert ack == {"type": "ack", "lease": lease, "label_id": ack["label_id"]}
    assert site.project.labels["annotator"].tolist() == ["ann"]


def test_closing_the_page_releases_its_items(site: Site) -> None:
    with site.client("ann").websocket_connect("/ws/projects/digits/label") as ws:
        ws.receive_json()
        custom(ws, {"type": "more", "n": 3})
        receive_custom(ws)
        assert site.project.progress.in_progress == 3
    deadline = time.monotonic() + 5  # the server releases after the socket closes
    while site.project.progress.in_progress and time.monotonic() < deadline:
        time.sleep(0.02)
    assert site.project.progress.in_progress == 0


def test_errors_come_back_as_messages(site: Site) -> None:
    with site.client("ann").websocket_connect("/ws/projects/digits/label") as ws:
        ws.receive_json()
        custom(ws, {"type": "submit", "lease": "nope", "value": "1"})
        error, _ = receive_custom(ws)
        assert error["type"] == "error" and error["lease"] == "nope"
        custom(ws, {"type": "undo"})
        assert "no label" in receive_custom(ws)[0]["message"]


def test_progress_is_pushed_when_someone_else_labels(site: Site) -> None:
    with site.client("ann").websocket_connect("/ws/projects/digits/label") as ws:
        assert ws.receive_json()["state"]["progress"]["done"] == 0
        lease = site.project.claim("bob")[0]
        site.project.submit(lease, 1)
        frame = ws.receive_json()
        assert frame["type"] == "update" and frame["state"]["progress"]["done"] == 1


def test_anonymous_and_cross_site_sockets_are_refused(site: Site) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as anonymous,
        site.client(None).websocket_connect("/ws/projects/digits/label") as ws,
    ):
        ws.receive_json()
    assert anonymous.value.code == 4401
    with pytest.raises(WebSocketDisconnect) as cross:
        headers = {"origin": "http://evil.example"}
        with site.client("ann").websocket_connect(
            "/ws/projects/digits/label", headers=headers
        ) as ws:
            ws.receive_json()
    assert cross.value.code == 4403
    with (
        pytest.raises(WebSocketDisconnect) as foreign,
        site.client("ann").websocket_connect("/ws/projects/secret/label") as ws,
    ):
        ws.receive_json()
    assert foreign.value.code == 4403
