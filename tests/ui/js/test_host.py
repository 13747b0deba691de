"""host.js against a real WebSocket server: the wire format both ways, and
a page that reconnects after the connection drops."""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.ui.js.site import Connection, Site


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within the time limit")
        time.sleep(0.01)


@pytest.fixture
def host_page(page: Page, fresh_site: Site) -> Page:
    page.goto(f"{fresh_site.base_url}/pages/host.html")
    page.wait_for_function("window.pageReady === true")
    return page


def connect_wire(page: Page, site: Site) -> Connection:
    page.evaluate("async () => { window.model = await labeller.connect('/ws/wire') }")
    eventually(lambda: len(site.wire) == 1)
    return site.wire[0]


def test_connect_resolves_with_the_first_state_frame(host_page: Page, fresh_site: Site) -> None:
    connect_wire(host_page, fresh_site)
    values = host_page.evaluate("['a', 'b', 'c'].map(key => model.get(key))")
    assert values == [1, {"nested": [1, 2]}, "three"]


def test_server_update_fires_change_key_then_change_and_is_not_sent_back(
    host_page: Page, fresh_site: Site
) -> None:
    wire = connect_wire(host_page, fresh_site)
    host_page.evaluate(
        "window.events = [];"
        "for (const name of ['change:a', 'change:c', 'change'])"
        "  model.on(name, () => events.push(name));"
    )
    fresh_site.push(wire, json.dumps({"type": "update", "state": {"a": 5}}))
    host_page.wait_for_function("events.length === 2")
    assert host_page.evaluate("[events, model.get('a')]") == [["change:a", "change"], 5]
    host_page.evaluate(
        "model.set('c', 'four'); model.save_changes(); model.save_changes();"
        "model.send({marker: true})"
    )
    eventually(lambda: len(wire.received) == 2)
    assert wire.messages() == [
        {"type": "update", "state": {"c": "four"}},
        {"type": "custom", "content": {"marker": True}, "buffers": 0},
    ]
    assert host_page.evaluate("events") == ["change:a", "change", "change:c", "change"]


def test_save_changes_sends_every_dirty_key_and_only_those(
    host_page: Page, fresh_site: Site
) -> None:
    wire = connect_wire(host_page, fresh_site)
    host_page.evaluate(
        "model.set('a', 2); model.set('b', {nested: []}); model.set('a', 3); model.save_changes()"
    )
    eventually(lambda: len(wire.received) == 1)
    assert wire.messages() == [{"type": "update", "state": {"a": 3, "b": {"nested": []}}}]


def test_custom_message_with_binary_frames_reaches_handlers_as_dataviews(
    host_page: Page, fresh_site: Site
) -> None:
    wire = connect_wire(host_page, fresh_site)
    host_page.evaluate(
        """
        const floats = (v) => [...new Float32Array(v.buffer, v.byteOffset, v.byteLength / 4)];
        const bytes = (v) => [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)];
        window.got = [];
        model.on('msg:custom', (content, buffers) => got.push({
          content,
          kinds: buffers.map(b => b.constructor.name),
          floats: buffers[0] ? floats(buffers[0]) : [],
          bytes: buffers[1] ? bytes(buffers[1]) : [],
        }));
        """
    )
    fresh_site.push(
        wire,
        json.dumps({"type": "custom", "content": {"type": "items", "n": 2}, "buffers": 2}),
        struct.pack("<3f", 1.5, -2.0, 3.25),
        bytes(range(256)),
        json.dumps({"type": "custom", "content": {"type": "plain"}, "buffers": 0}),
    )
    host_page.wait_for_function("got.length === 2")
    first, second = host_page.evaluate("got")
    assert first == {
        "content": {"type": "items", "n": 2},
        "kinds": ["DataView", "DataView"],
        "floats": [1.5, -2.0, 3.25],
        "bytes": list(range(256)),
    }
    assert second["content"] == {"type": "plain"} and second["kinds"] == []


def test_send_with_buffers_goes_out_as_a_header_then_binary_frames(
    host_page: Page, fresh_site: Site
) -> None:
    wire = connect_wire(host_page, fresh_site)
    host_page.evaluate(
        "model.send({type: 'probe'}, undefined, ["
        "  new Float32Array([1.5, -2, 3.25]),"
        "  new Uint8Array([0, 1, 255]).buffer,"
        "  new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2),"
        "])"
    )
    eventually(lambda: len(wire.received) == 4)
    header, *frames = wire.received
    assert isinstance(header, str)
    assert json.loads(header) == {"type": "custom", "content": {"type": "probe"}, "buffers": 3}
    assert frames == [struct.pack("<3f", 1.5, -2.0, 3.25), bytes([0, 1, 255]), bytes([8, 7])]


def _contents(connection: Connection) -> list[dict[str, Any]]:
    return [m["content"] for m in connection.messages() if m["type"] == "custom"]


MOUNT = "labeller.mountPage(document.getElementById('app'), '/ws/session')"


def test_page_says_when_the_connection_drops_and_starts_afresh_on_reconnect(
    host_page: Page, fresh_site: Site
) -> None:
    site = fresh_site
    host_page.evaluate(f"async () => {{ window.stop = await {MOUNT} }}")
    display = host_page.locator(".ll-display")
    notice = host_page.locator(".labelloop-connection")
    expect(display).to_have_text("item c1-0")
    expect(notice).to_be_hidden()
    host_page.keyboard.press("1")
    expect(display).to_have_text("item c1-1")
    first = site.sessions[0]
    eventually(lambda: {"type": "more", "n": 1} in _contents(first))

    site.accepting_sessions = False
    site.drop(first)
    expect(notice).to_have_text("Connection lost, reconnecting…")
    # The server releases a dropped session's items: labelling pauses meanwhile.
    host_page.keyboard.press("2")
    expect(display).to_have_text("item c1-1")

    site.accepting_sessions = True
    eventually(lambda: len(site.sessions) == 2, timeout=15)
    expect(notice).to_be_hidden(timeout=10_000)
    expect(display).to_have_text("item c2-0")
    second = site.sessions[1]
    eventually(lambda: {"type": "more", "n": 3} in _contents(second))
    contents = _contents(second)
    # The old items go back first, then new ones are asked for.
    assert [c["type"] for c in contents[:2]] == ["release", "more"]
    assert {"lease-c1-1", "lease-c1-2"} <= set(contents[0]["leases"])
    assert not any(c["type"] == "submit" for c in _contents(second))
    host_page.keyboard.press("2")
    eventually(lambda: any(c["type"] == "submit" for c in _contents(second)))
    [submit] = [c for c in _contents(second) if c["type"] == "submit"]
    assert (submit["lease"], submit["value"]) == ("lease-c2-0", "dog")
    host_page.evaluate("stop()")
    expect(host_page.locator(".labelloop")).to_have_count(0)


def test_page_keeps_trying_until_the_server_answers(host_page: Page, fresh_site: Site) -> None:
    fresh_site.accepting_sessions = False
    host_page.evaluate(f"() => {{ window.mounted = {MOUNT} }}")
    notice = host_page.locator(".labelloop-connection")
    expect(notice).to_have_text("Cannot reach the server, retrying…")
    fresh_site.accepting_sessions = True
    expect(host_page.locator(".ll-display")).to_have_text("item c1-0", timeout=15_000)
    expect(notice).to_be_hidden()
