"""People labelling in Chromium against a real `labelloop serve`."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page
from sklearn.datasets import load_digits

from labelloop import Project
from labelloop.store import accounts
from tests.browser.conftest import Server

DIGITS = load_digits()


def digits_site(store_url: str, n: int = 50) -> Project:
    project = Project(store_url, "digits", options=list(range(10)))
    project.add_items(DIGITS.images[:n], progress=False)
    for name in ("ann", "bob"):
        accounts.add_user(project.db, name, "annotator")
        accounts.grant(project.db, project.record, name)
    return project


def open_labelling(server: Server, browser: Browser, user: str) -> Page:
    page = server.login(browser, user)
    page.goto(f"{server.url}/projects/digits/label")
    page.wait_for_selector(".ll-image", timeout=15_000)
    page.locator(".labelloop").focus()
    return page


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Whether ``check`` becomes true within ``seconds`` (submits land in the background)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def paints(page: Page) -> int:
    return int(page.evaluate("(window.__labelloopPaints || []).length"))


def press_and_wait(page: Page, key: str) -> None:
    page.bring_to_front()  # a background page gets no animation frames, so no paint
    before = paints(page)
    page.keyboard.press(key)
    page.wait_for_function(
        f"(window.__labelloopPaints || []).length > {before} || "
        "!document.querySelector('.ll-image, .ll-text')",  # the last item went: nothing to paint
        polling=50,
        timeout=10_000,
    )


@pytest.mark.slow
def test_two_annotators_label_fifty_digits_by_keyboard(
    store_url: str, serve: Callable[..., Server], browser: Browser
) -> None:
    project = digits_site(store_url)
    server = serve()
    pages = {
        "3": open_labelling(server, browser, "ann"),
        "7": open_labelling(server, browser, "bob"),
    }
    for _ in range(300):  # bounded: 50 items need 50 presses in all
        if project.progress.done == 50:
            break
        # near the end one page may wait while the other holds the last items
        showing = {key: page for key, page in pages.items() if page.locator(".ll-image").count()}
        for key, page in showing.items():
            press_and_wait(page, key)
        if not showing:
            pages["3"].wait_for_timeout(100)
    for page in pages.values():
        page.wait_for_selector(".ll-finished", timeout=10_000)
    labels = project.labels
    assert len(labels) == 50
    assert labels["item_key"].is_unique
    by_annotator = dict(labels.groupby("annotator")["value"].unique().map(list))
    assert by_annotator == {"ann": [3], "bob": [7]}
    assert labels["annotator"].value_counts().min() >= 10  # both really worked at once
    assert server.outside == []
    project.close()


@pytest.mark.slow
def test_undo_and_going_back_change_labels(
    store_url: str, serve: Callable[..., Server], browser: Browser
) -> None:
    project = digits_site(store_url, n=10)
    page = open_labelling(serve(), browser, "ann")
    for key in "123":
        press_and_wait(page, key)
    page.keyboard.press("Backspace")  # undo the "3": that item comes back
    page.wait_for_function("document.querySelectorAll('.ll-image').length > 0")
    page.wait_for_timeout(300)
    press_and_wait(page, "9")
    assert eventually(lambda: sorted(project.labels["value"].tolist()) == [1, 2, 9])
    history = project.label_history()
    assert history["undone_at"].notna().sum() == 1
    page.keyboard.press("ArrowLeft")
    page.wait_for_selector(".ll-history-entry")
    page.locator(".ll-history-entry").last.click()  # the oldest: the item labelled "1"
    page.wait_for_function("document.body.innerText.includes('Relabelling item')")
    page.locator(".labelloop").focus()
    page.keyboard.press("5")
    assert eventually(lambda: sorted(project.labels["value"].tolist()) == [2, 5, 9])
    project.close()


@pytest.mark.slow
def test_markup_in_text_items_is_shown_as_text(
    store_url: str, serve: Callable[..., Server], browser: Browser
) -> None:
    script = "<script>window.__xss = 1</script>"
    image = '<img src=x onerror="window.__xss = 2">'
    project = Project(store_url, "digits", options=["ok"])
    project.add_items([script, image], progress=False)
    accounts.add_user(project.db, "ann", "admin")
    server = serve()
    page = server.login(browser, "ann")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{server.url}/projects/digits/label")
    page.wait_for_selector(".ll-text")
    assert page.locator(".ll-text").inner_text() == script
    page.locator(".labelloop").focus()
    page.keyboard.press("1")
    page.wait_for_function(f"document.querySelector('.ll-text')?.innerText === {image!r}")
    assert page.evaluate("window.__xss") is None
    assert page.locator(".ll-display img").count() == 0
    assert dialogs == [] and server.outside == []
    project.close()
