"""Skip, undo, back and relabel; the screens and panels around the item."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.ui.js.widget_page import WidgetPage, scenario, text_items


def test_arrow_right_and_the_skip_button_skip_with_the_lease(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(4)))
    widget.expect_shown("item 0")
    widget.press("ArrowRight")
    widget.expect_shown("item 1")
    widget.page.get_by_role("button", name="Skip").click()
    widget.expect_shown("item 2")
    skips = widget.wait_sent("skip", 2)
    assert [s["lease"] for s in skips] == [
        widget.fake("return fake.leaseOf('0')"),
        widget.fake("return fake.leaseOf('1')"),
    ]
    assert widget.sent("submit") == []


def test_backspace_undoes_my_last_label_and_shows_that_item_again(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(4)))
    widget.expect_shown("item 0")
    widget.press("1")
    widget.expect_shown("item 1")
    widget.wait_sent("submit")
    widget.press("Backspace")
    widget.expect_shown("item 0")
    assert widget.sent("undo") == [{"type": "undo"}]
    # The item came back under a new lease; labelling it uses that lease.
    widget.press("2")
    widget.expect_shown("item 1")
    resubmit = widget.wait_sent("submit", 2)[1]
    assert resubmit == {
        **resubmit,
        "lease": widget.fake("return fake.leaseOf('0')"),
        "value": "dog",
    }


def test_undo_with_nothing_to_undo_shows_the_error(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(2)))
    widget.expect_shown("item 0")
    widget.page.get_by_role("button", name="Undo").click()
    expect(widget.page.locator(".ll-error-message")).to_contain_text("nothing to undo")
    widget.expect_shown("item 0")


def test_back_opens_my_history_and_an_entry_opens_the_item_to_relabel(
    widget: WidgetPage,
) -> None:
    widget.start(scenario(text_items(5)))
    widget.expect_shown("item 0")
    widget.press("1")
    widget.press("3")
    widget.expect_shown("item 2")
    widget.wait_sent("submit", 2)
    widget.press("ArrowLeft")
    assert widget.wait_sent("history") == [{"type": "history", "offset": 0}]
    entries = widget.page.locator(".ll-history-entry")
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text("item 1")
    expect(entries.first).to_contain_text("bird")
    entries.nth(1).click()
    assert widget.wait_sent("open") == [{"type": "open", "key": "0"}]
    widget.expect_shown("item 0")
    expect(widget.page.locator(".ll-banner")).to_have_text("Relabelling item 0 — your label: cat")
    expect(widget.page.locator(".ll-history")).to_be_hidden()
    expect(widget.page.locator(".ll-option.ll-current")).to_contain_text("cat")
    widget.press("2")
    assert widget.wait_sent("relabel") == [{"type": "relabel", "key": "0", "value": "dog"}]
    # Back to the queue where I left it.
    widget.expect_shown("item 2")
    expect(widget.page.locator(".ll-banner")).to_be_hidden()
    assert len(widget.sent("submit")) == 2


def test_older_history_entries_load_on_request(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(30)))
    for i in range(22):
        widget.expect_shown(f"item {i}")
        widget.press("1")
    widget.wait_sent("submit", 22)
    widget.page.wait_for_function("fake.delivered.filter(type => type === 'ack').length === 22")
    widget.press("ArrowLeft")
    entries = widget.page.locator(".ll-history-entry")
    expect(entries).to_have_count(20)
    expect(entries.first).to_contain_text("item 21")
    widget.page.get_by_role("button", name="older…").click()
    expect(entries).to_have_count(22)
    expect(entries.last).to_contain_text("item 0")
    assert widget.sent("history") == [
        {"type": "history", "offset": 0},
        {"type": "history", "offset": 20},
    ]
    expect(widget.page.get_by_role("button", name="older…")).to_be_hidden()


def test_history_is_driven_by_keys_and_escape_closes_it(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(4)))
    widget.expect_shown("item 0")
    widget.press("1")
    widget.press("2")
    widget.expect_shown("item 2")
    widget.wait_sent("submit", 2)
    widget.page.get_by_role("button", name="Back").click()
    expect(widget.page.locator(".ll-history-entry")).to_have_count(2)
    widget.press("ArrowDown")
    widget.press("ArrowDown")
    widget.press("Enter")
    assert widget.wait_sent("open") == [{"type": "open", "key": "0"}]
    widget.expect_shown("item 0")
    widget.press("ArrowLeft")
    expect(widget.page.locator(".ll-history")).to_be_visible()
    widget.press("1")  # ignored while the history is open
    widget.press("Escape")
    expect(widget.page.locator(".ll-history")).to_be_hidden()
    assert widget.sent("relabel") == []
    # ArrowRight closes an item opened from history without a message.
    widget.press("ArrowRight")
    widget.expect_shown("item 2")
    assert widget.sent("skip") == []


def test_a_lease_error_for_a_buffered_item_drops_it_and_says_so(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(5)))
    widget.expect_shown("item 0")
    widget.fake("fake.push({type: 'error', message: 'lease expired', lease: fake.leaseOf('1')})")
    line = widget.page.locator(".ll-error-message")
    expect(line).to_contain_text("Item 1 was dropped: lease expired")
    widget.press("1")
    widget.expect_shown("item 2")
    widget.page.get_by_role("button", name="dismiss").click()
    expect(line).to_be_hidden()


def test_a_failed_submit_says_the_label_was_not_saved(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(3)))
    widget.expect_shown("item 0")
    widget.fake("fake.failLeases.push(fake.leaseOf('0'))")
    widget.press("1")
    widget.expect_shown("item 1")
    expect(widget.page.locator(".ll-error-message")).to_contain_text(
        "Your label for item 0 was not saved: lease expired"
    )


def test_the_error_state_is_shown_on_the_error_line(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(2)))
    line = widget.page.locator(".ll-error-state")
    expect(line).to_be_hidden()
    widget.fake("fake.setState('error', 'the database is locked')")
    expect(line).to_have_text("the database is locked")
    widget.fake("fake.setState('error', '')")
    expect(line).to_be_hidden()


def test_finished_screen_once_the_project_is_done_and_the_buffer_empty(
    widget: WidgetPage,
) -> None:
    widget.start(scenario(text_items(2)))
    widget.expect_shown("item 0")
    finished = widget.page.locator(".ll-finished")
    widget.fake("fake.setState('status', 'finished')")
    widget.page.wait_for_timeout(100)
    expect(finished).to_be_hidden()  # item 1 is still mine to label
    widget.press("1")
    widget.expect_shown("item 1")
    widget.fake("fake.setState('progress', {total: 2, done: 2, mine: 2, remaining: 0})")
    widget.press("2")
    expect(finished).to_be_visible()
    expect(finished).to_contain_text("All done")
    expect(finished).to_contain_text("You labelled 2.")
    expect(widget.page.locator(".ll-item")).to_be_hidden()
    # A finished project asks for no more items.
    assert widget.sent("more") == [{"type": "more", "n": 4}]


def test_waiting_message_while_no_item_is_free_then_items_arrive(widget: WidgetPage) -> None:
    widget.start(scenario([]))
    expect(widget.page.locator(".ll-waiting")).to_contain_text("No items are free right now")
    widget.fake(
        "fake.push({type: 'items', items: [{lease: 'late', key: 'late', relabel: false,"
        " current: null, display: {kind: 'text', text: 'late item'}}]})"
    )
    widget.expect_shown("late item")
    expect(widget.page.locator(".ll-waiting")).to_be_hidden()


def test_progress_shows_the_project_bar_and_mine(widget: WidgetPage) -> None:
    progress = {"total": 40, "done": 10, "mine": 4, "remaining": 30}
    widget.start(scenario(text_items(1), progress=progress))
    expect(widget.page.locator(".ll-counts")).to_have_text("10 / 40 labelled · mine 4 · 30 left")
    expect(widget.page.locator(".ll-title")).to_have_text("pets · ada")
    bar = widget.page.locator(".ll-bar-fill")
    expect(bar).to_have_attribute("style", "width: 25%;")
    widget.fake("fake.setState('progress', {total: 40, done: 20, mine: 5, remaining: 20})")
    expect(bar).to_have_attribute("style", "width: 50%;")


def test_retrain_button_chart_and_training_state(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(2), {"has_model": True}))
    chart = widget.page.locator(".ll-chart")
    button = widget.page.locator(".ll-retrain")
    expect(chart).to_be_hidden()
    expect(button).to_have_text("Retrain")
    button.click()
    assert widget.wait_sent("retrain") == [{"type": "retrain"}]
    expect(button).to_have_text("training…")
    expect(button).to_be_disabled()
    # The button disabled itself; keys still reach the widget.
    widget.press("1")
    widget.expect_shown("item 1")
    info = {
        "score": 0.8,
        "n_labels": 30,
        "settled": False,
        "curve": {"n_labels": [10, 20, 30], "score": [0.5, 0.7, 0.8]},
        "training": True,
    }
    widget.fake("fake.setState('model_info', arg)", info)
    expect(button).to_have_text("training…")
    widget.fake("fake.setState('model_info', arg)", {**info, "training": False, "settled": True})
    expect(button).to_have_text("Retrain")
    expect(chart).to_be_visible()
    expect(chart.locator("canvas")).to_have_count(1)
    expect(widget.page.locator(".ll-chart-caption")).to_have_text(
        "30 labels · score 0.800 · settled: more labels are unlikely to help"
    )


def test_a_curve_with_scores_missing_is_still_drawn(
    widget: WidgetPage,
) -> None:
    info = {
        "score": None,
        "n_labels": 15,
        "settled": None,
        "curve": {"n_labels": [5, 10, 15], "score": [None, 0.5, None]},
        "training": False,
    }
    widget.start(scenario(text_items(1), {"has_model": True}, model_info=info))
    expect(widget.page.locator(".ll-chart-caption")).to_have_text("15 labels · no score yet")
    expect(widget.page.locator(".ll-chart canvas")).to_have_count(1)


def test_no_model_means_no_retrain_button_and_no_hint_toggle(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(1)))
    widget.expect_shown("item 0")
    expect(widget.page.locator(".ll-retrain")).to_be_hidden()
    expect(widget.page.locator(".ll-hint")).to_be_hidden()


def test_hint_toggle_saves_hint_enabled_and_shows_the_guess(widget: WidgetPage) -> None:
    items = [{**item, "hint": {"label": "dog", "confidence": 0.82}} for item in text_items(2)]
    widget.start(scenario(items, {"has_model": True}))
    widget.expect_shown("item 0")
    guess = widget.page.locator(".ll-hint-text")
    expect(guess).to_be_hidden()
    widget.page.get_by_label("show the model's guess").check()
    expect(guess).to_have_text("model's guess: dog (82%)")
    assert widget.fake("return fake.updates") == [{"hint_enabled": True}]
    # The toggle leaves focus in the widget: hotkeys still label.
    widget.press("1")
    widget.expect_shown("item 1")


def test_closing_the_widget_releases_the_items_it_held(widget: WidgetPage) -> None:
    widget.start(scenario(text_items(6)))
    widget.expect_shown("item 0")
    widget.press("1")
    widget.wait_sent("more", 2)
    widget.page.wait_for_function("fake.delivered.filter(type => type === 'items').length === 2")
    widget.fake("window.stopWidget()")
    [release] = widget.sent("release")
    expected = widget.fake("return ['1', '2', '3', '4'].map(key => fake.leaseOf(key))")
    assert sorted(release["leases"]) == sorted(expected)
    assert widget.page.locator(".labelloop").count() == 0
    assert widget.fake("return fake.listenerCount()") == 0
