"""The browse page in Chromium: escaped text, clickable facets, paging and "label these",
with no request leaving loopback."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from labelloop.server import create_app
from labelloop.store import Database, accounts
from tests.server.data.conftest import serve
from tests.store.query.builders import SPECIAL, populate

CHROMIUM = "/usr/bin/chromium"
LOOPBACK = {"127.0.0.1", "localhost"}


class Watch:
    """What the page must not do: reach past loopback, open a dialog, throw."""

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []

    def route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()


@pytest.fixture
def admin_page(db: Database, browser: Browser) -> Iterator[tuple[Page, str, Watch]]:
    populate(db)
    accounts.add_user(db, "root", "admin")
    watch = Watch()
    with serve(create_app(db)) as base:
        context = browser.new_context()
        context.route("**/*", watch.route)
        page = context.new_page()
        page.on("dialog", lambda d: (watch.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda error: watch.errors.append(str(error)))
        page.set_default_timeout(5000)
        page.goto(f"{base}/login?token={accounts.issue_login_token(db, 'root')}")
        yield page, base, watch
        context.close()
    assert watch.outside == [] and watch.dialogs == [] and watch.errors == []


def test_browse_filters_by_facet_pages_and_labels_these(
    admin_page: tuple[Page, str, Watch],
) -> None:
    page, base, _ = admin_page
    page.goto(f"{base}/data/demo/browse?_table=labels&_size=10")
    expect(page.locator("#rows tbody tr")).to_have_count(10)
    expect(page.locator("#count")).to_have_text("42 rows")
    page.select_option("#facet-column", "annotator")
    page.click("#facet-form button")
    page.locator(".facet a", has_text="bob").click()
    expect(page.locator("#count")).to_have_text("15 rows")
    assert "annotator__exact=bob" in page.url
    page.click("#next-page")
    expect(page.locator("#rows tbody tr")).to_have_count(5)
    assert "_next=" in page.url
    page.click("#label-these")
    expect(page.locator("#action-result")).to_have_text("15 items moved to the front of the queue")


def test_stored_markup_is_shown_as_text(admin_page: tuple[Page, str, Watch]) -> None:
    page, base, _ = admin_page
    page.goto(f"{base}/data/demo/browse?_table=items&content__contains=script")
    cell = page.locator("#rows tbody td", has_text="<script>")
    expect(cell).to_have_text(SPECIAL[0])
    assert page.locator("#rows script").count() == 0
