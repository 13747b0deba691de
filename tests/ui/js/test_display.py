"""How items are shown: item data never becomes markup in the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ui.js.conftest import Guard
from tests.ui.js.site import Site
from tests.ui.js.widget_page import WidgetPage, png_item, scenario

HOSTILE = '<script>alert(1)</script><img src=x onerror="window.__xss=1;alert(2)">'


def _settle(widget: WidgetPage) -> None:
    """Give a script or an onerror handler the time to run, if one could."""
    widget.page.wait_for_timeout(300)


def test_markup_in_a_text_item_is_shown_as_text(widget: WidgetPage, guard: Guard) -> None:
    item = {"key": "x", "display": {"kind": "text", "text": HOSTILE}}
    widget.start(scenario([item]))
    expect(widget.page.locator(".ll-text")).to_have_text(HOSTILE)
    _settle(widget)
    assert widget.root.locator("img, script").count() == 0
    assert widget.page.evaluate("window.__xss") is None
    assert guard.dialogs == []


def test_markup_in_table_rows_is_shown_as_text(widget: WidgetPage) -> None:
    rows = [["<b>name</b>", HOSTILE], ["size", "3"]]
    widget.start(scenario([{"key": "t", "display": {"kind": "table", "rows": rows}}]))
    cells = widget.page.locator(".ll-table th, .ll-table td")
    expect(cells).to_have_text(["<b>name</b>", HOSTILE, "size", "3"])
    _settle(widget)
    assert widget.root.locator("img, script, b").count() == 0
    assert widget.page.evaluate("window.__xss") is None


def test_a_long_text_scrolls_inside_its_box(widget: WidgetPage) -> None:
    text = "\n".join(f"line {i}" for i in range(300))
    widget.start(scenario([{"key": "long", "display": {"kind": "text", "text": text}}]))
    box = widget.page.locator(".ll-text")
    expect(box).to_contain_text("line 299")
    height, scroll = box.evaluate("e => [e.clientHeight, e.scrollHeight]")
    assert height <= 320 < scroll


def test_html_is_shown_only_in_a_frame_without_scripts_or_network(
    widget: WidgetPage, site: Site, guard: Guard
) -> None:
    # Playwright does not see requests from a sandbox="" frame here (Chromium
    # isolates it), so the tracker points at the test site, which logs paths.
    html = (
        '<b id="bold">bold</b>'
        "<script>document.body.dataset.ran = 'yes'; alert(1)</script>"
        f'<img src="{site.base_url}/tracker.png">'
    )
    widget.start(scenario([{"key": "h", "display": {"kind": "html", "html": html}}]))
    frame = widget.page.locator("iframe.ll-html")
    expect(frame).to_have_count(1)
    assert frame.get_attribute("sandbox") == ""
    inner = widget.page.frame_locator("iframe.ll-html")
    expect(inner.locator("#bold")).to_have_text("bold")
    _settle(widget)
    assert inner.locator("body").get_attribute("data-ran") is None
    assert "/tracker.png" not in site.requested_paths
    # Nothing of the item's markup reached the page itself.
    assert widget.root.locator("b, script, img").count() == 0
    assert guard.dialogs == []


@pytest.mark.parametrize(
    ("size", "drawn", "pixelated"),
    [(8, 320, True), (28, 308, True), (200, 200, False)],
)
def test_image_is_drawn_from_its_buffer_small_ones_scaled_up_with_crisp_pixels(
    widget: WidgetPage, size: int, drawn: int, pixelated: bool
) -> None:
    widget.start(scenario([png_item("digit", size=size)]))
    image = widget.page.locator(".ll-display img")
    expect(image).to_have_count(1)
    widget.page.wait_for_function("document.querySelector('.ll-display img').complete")
    src, natural, width, rendering = image.evaluate(
        "img => [img.src, img.naturalWidth, img.getBoundingClientRect().width,"
        " getComputedStyle(img).imageRendering]"
    )
    assert src.startswith("blob:")
    assert natural == size
    assert width == drawn
    assert (rendering == "pixelated") is pixelated


def test_image_blob_urls_are_revoked_once_the_item_is_gone(widget: WidgetPage) -> None:
    widget.start(scenario([png_item("a"), png_item("b")]))
    image = widget.page.locator(".ll-display img")
    expect(image).to_have_count(1)
    first_url = image.get_attribute("src")
    widget.press("1")
    widget.wait_sent("submit")
    expect(image).not_to_have_attribute("src", first_url or "")
    still_loads = widget.page.evaluate("url => fetch(url).then(() => true, () => false)", first_url)
    assert still_loads is False


def test_an_unknown_display_kind_is_reported_and_labelling_goes_on(widget: WidgetPage) -> None:
    widget.start(scenario([{"key": "v", "display": {"kind": "video"}}]))
    expect(widget.page.locator(".ll-display-problem")).to_contain_text('"video"')
    widget.press("1")
    assert widget.wait_sent("submit")[0]["value"] == "cat"
