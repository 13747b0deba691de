"""Drive the widget in a test page against the fake host (pages/fake_host.js)."""

from __future__ import annotations

import base64
import io
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.ui.js.site import Site

OPTIONS = ["cat", "dog", "bird"]
HOTKEYS = ["1", "2", "3"]


def config(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "project": "pets",
        "annotator": "ada",
        "options": OPTIONS,
        "hotkeys": HOTKEYS,
        "multilabel": False,
        "allow_other": False,
        "free_text": False,
        "has_model": False,
        "prefetch": 3,
    }
    return base | overrides


def text_items(count: int) -> list[dict[str, Any]]:
    return [{"key": str(i), "display": {"kind": "text", "text": f"item {i}"}} for i in range(count)]


def png_item(key: str, size: int = 8) -> dict[str, Any]:
    """An image item: a size×size checkerboard PNG, sent as a buffer."""
    from PIL import Image

    image = Image.new("L", (size, size))
    image.putdata([255 * ((x + y) % 2) for y in range(size) for x in range(size)])
    data = io.BytesIO()
    image.save(data, format="PNG")
    encoded = base64.b64encode(data.getvalue()).decode()
    display = {"kind": "image", "mime": "image/png", "width": size, "height": size, "data": encoded}
    return {"key": key, "display": display}


def scenario(
    items: list[dict[str, Any]], config_overrides: dict[str, Any] | None = None, **state: Any
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "config": config(**(config_overrides or {})),
        "progress": {"total": len(items), "done": 0, "mine": 0, "remaining": len(items)},
        "status": "labelling",
        "error": "",
        "model_info": None,
        "hint_enabled": False,
    }
    return {"state": base | state, "items": items}


class WidgetPage:
    """The widget running in a page, with the fake Python side at hand."""

    def __init__(self, page: Page, site: Site) -> None:
        self.page = page
        self.site = site

    def start(self, scenario: dict[str, Any]) -> None:
        self.page.goto(f"{self.site.base_url}/pages/widget.html")
        self.page.wait_for_function("window.pageReady === true")
        self.page.evaluate("scenario => window.startWidget(scenario)", scenario)

    @property
    def root(self) -> Locator:
        return self.page.locator(".labelloop")

    @property
    def display(self) -> Locator:
        return self.page.locator(".ll-display")

    def expect_shown(self, text: str) -> None:
        expect(self.display).to_have_text(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def fake(self, body: str, arg: Any = None) -> Any:
        """Run `body` with `fake` (the fake host) and `arg` in scope; return its value."""
        return self.page.evaluate(f"(arg) => {{ {body} }}", arg)

    def sent(self, kind: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.page.evaluate("t => fake.sentOfType(t)", kind)
        return result

    def wait_sent(self, kind: str, count: int = 1) -> list[dict[str, Any]]:
        self.page.wait_for_function("([t, n]) => fake.sentOfType(t).length >= n", arg=[kind, count])
        return self.sent(kind)
