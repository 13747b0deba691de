"""Labelling in the widget: hotkeys, prefetch, the three inputs, and the
messages each action sends (docs/ui-protocol.md)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.ui.js.widget_page import OPTIONS, WidgetPage, scenario, text_items


def test_root_takes_focus_so_keys_work_at_once(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(3)))
    widget.expect_shown("item 0")
    assert widget.page.evaluate("document.activeElement.classList.contains('labelloop')")
    assert widget.root.get_attribute("tabindex") == "0"


def test_hotkey_labels_the_item_and_shows_the_next(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(5)))
    widget.expect_shown("item 0")
    widget.press("2")
    widget.expect_shown("item 1")
    [submit] = widget.wait_sent("submit")
    assert submit["lease"] == widget.fake("return fake.leaseOf('0')")
    assert submit["value"] == OPTIONS[1]
    assert 0 <= submit["time_taken"] < 60


def test_first_request_fills_the_prefetch_buffer_and_labelling_tops_it_up(
    widget: WidgetPage,
) -> None:
    widget.start(scenario(text_items(10), {"prefetch": 2}))
    widget.expect_shown("item 0")
    assert widget.sent("more") == [{"type": "more", "n": 3}]
    widget.press("1")
    assert widget.wait_sent("more", 2)[1] == {"type": "more", "n": 1}


def test_next_item_paints_from_the_buffer_without_waiting_for_the_server(
    widget: WidgetPage,
) -> None:
    widget.start(scenario(text_items(10)))
    widget.expect_shown("item 0")
    widget.fake("fake.hold = true")
    for shown in ["item 1", "item 2", "item 3"]:
        widget.press("1")
        widget.expect_shown(shown)
    # The server has answered nothing since: every ack and `more` is held back.
    held = widget.fake("return fake.held.map(([content]) => content.type)")
    assert held.count("ack") == 3
    assert "items" in held
    widget.press("1")
    expect(widget.page.locator(".ll-waiting")).to_have_text("Loading items…")
    widget.fake("fake.hold = false; fake.release()")
    widget.expect_shown("item 4")


def test_every_advancing_key_press_records_its_paint_time(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(6)))
    widget.expect_shown("item 0")
    widget.press("1")
    widget.press("ArrowRight")
    widget.expect_shown("item 2")
    widget.page.wait_for_function("(window.__labelloopPaints ?? []).length === 2")
    paints = widget.page.evaluate("window.__labelloopPaints")
    assert all(0 < ms < 5000 for ms in paints)


def test_a_held_down_key_labels_one_item_only(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(6)))
    widget.expect_shown("item 0")
    widget.page.keyboard.down("1")
    widget.page.keyboard.down("1")  # auto-repeat
    widget.page.keyboard.up("1")
    widget.expect_shown("item 1")
    assert len(widget.wait_sent("submit")) == 1


def test_keys_with_ctrl_or_meta_are_left_to_the_browser(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(3)))
    widget.expect_shown("item 0")
    widget.press("Control+1")
    widget.press("Meta+ArrowRight")
    widget.page.wait_for_timeout(100)
    widget.expect_shown("item 0")
    assert widget.sent("submit") == [] and widget.sent("skip") == []


def test_clicking_an_option_labels_like_its_hotkey(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(3)))
    widget.expect_shown("item 0")
    widget.page.get_by_role("button", name="bird").click()
    widget.expect_shown("item 1")
    assert widget.wait_sent("submit")[0]["value"] == "bird"
    # Focus stays in the widget, so the next key press still labels.
    widget.press("1")
    widget.expect_shown("item 2")


def test_each_option_shows_its_hotkey(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(1)))
    options = widget.page.locator(".ll-option")
    expect(options).to_have_count(3)
    assert [options.nth(i).locator("kbd").inner_text() for i in range(3)] == ["1", "2", "3"]


def test_multilabel_hotkeys_toggle_and_enter_submits(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(3), {"multilabel": True}))
    widget.expect_shown("item 0")
    for key in ["1", "3", "1", "2"]:
        widget.press(key)
    pressed = widget.page.locator(".ll-toggle[aria-pressed=true]")
    expect(pressed).to_have_count(2)
    assert widget.sent("submit") == []
    widget.press("Enter")
    widget.expect_shown("item 1")
    assert widget.wait_sent("submit")[0]["value"] == ["dog", "bird"]
    expect(pressed).to_have_count(0)


def test_free_text_is_typed_and_enter_submits_it(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(3), {"free_text": True, "options": [], "hotkeys": []}))
    widget.expect_shown("item 0")
    field = widget.page.locator(".ll-free-text")
    expect(field).to_be_focused()
    widget.page.keyboard.type("a cat")
    widget.press("ArrowLeft")  # moves the caret, does not open the history
    widget.press("End")
    widget.press("Backspace")  # deletes a letter, does not undo
    widget.press("Enter")
    widget.expect_shown("item 1")
    assert widget.wait_sent("submit")[0]["value"] == "a ca"
    assert widget.sent("undo") == [] and widget.sent("history") == []
    expect(field).to_have_value("")
    expect(field).to_be_focused()


def test_empty_free_text_is_not_submitted(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(2), {"free_text": True}))
    widget.expect_shown("item 0")
    widget.press("Enter")
    widget.page.wait_for_timeout(100)
    widget.expect_shown("item 0")
    assert widget.sent("submit") == []


def test_other_field_beside_the_options_submits_typed_text(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(3), {"allow_other": True}))
    widget.expect_shown("item 0")
    widget.page.locator(".ll-other-field").click()
    widget.page.keyboard.type("zebra 2")  # the digit is text here, not a hotkey
    widget.press("Enter")
    widget.expect_shown("item 1")
    assert widget.wait_sent("submit")[0]["value"] == "zebra 2"
    # Escape from the field hands the keys back to the hotkeys.
    widget.page.locator(".ll-other-field").click()
    widget.press("Escape")
    widget.press("1")
    widget.expect_shown("item 2")
    assert widget.wait_sent("submit", 2)[1]["value"] == "cat"
