"""Fixtures for the front-end tests: the bundle (built when missing or
stale), a loopback site, and Chromium pages that must not reach past
loopback nor open a dialog."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.ui.js.site import Site, serve
from tests.ui.js.widget_page import WidgetPage

REPO = Path(__file__).resolve().parents[3]
JS_DIR = REPO / "src" / "labelloop" / "ui" / "js"
STATIC_DIR = REPO / "src" / "labelloop" / "ui" / "static"
BUNDLE = STATIC_DIR / "labeller.js"
PAGES_DIR = Path(__file__).resolve().parent / "pages"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"`{name}` is not on PATH: the front-end tests build the bundle with Node.js 20+ "
            "and npm (Debian: `apt-get install nodejs npm`)."
        )
    return path


def _sources() -> list[Path]:
    return [
        path
        for path in JS_DIR.rglob("*")
        if path.suffix in {".js", ".mjs", ".css", ".json"} and "node_modules" not in path.parts
    ]


def _newer(paths: list[Path], than: Path) -> bool:
    return not than.exists() or any(p.stat().st_mtime > than.stat().st_mtime for p in paths)


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The built bundle; `npm ci` and `node build.mjs` run when it is missing or stale."""
    installed = JS_DIR / "node_modules" / ".package-lock.json"
    if _newer([JS_DIR / "package-lock.json"], installed):
        subprocess.run([_tool("npm"), "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True)
    if _newer(_sources(), BUNDLE):
        subprocess.run([_tool("node"), "build.mjs"], cwd=JS_DIR, check=True)
    return BUNDLE


@pytest.fixture(scope="session")
def site(bundle: Path) -> Iterator[Site]:
    with serve(Site(bundle.parent, PAGES_DIR)) as running:
        yield running


@pytest.fixture
def fresh_site(site: Site) -> Site:
    """The site with no connections remembered from earlier tests."""
    site.requested_paths.clear()
    site.wire.clear()
    site.sessions.clear()
    site.accepting_sessions = True
    return site


class Guard:
    """What a page tried that it must not: leave loopback, or open a dialog."""

    def __init__(self) -> None:
        self.outside_requests: list[str] = []
        self.dialogs: list[str] = []
        self.page_errors: list[str] = []

    def route(self, route: Route) -> None:
        url = route.request.url
        scheme, host = urlsplit(url).scheme, urlsplit(url).hostname
        if scheme in {"data", "blob"} or (host or "") in LOOPBACK_HOSTS:
            route.continue_()
        else:
            self.outside_requests.append(url)
            route.abort()


@pytest.fixture
def guard() -> Guard:
    return Guard()


@pytest.fixture
def page(browser: Browser, guard: Guard) -> Iterator[Page]:
    """A fresh page; the test fails if it reached past loopback, opened a
    dialog or threw an uncaught error."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    context.route("**/*", guard.route)
    page = context.new_page()
    page.on("dialog", lambda dialog: (guard.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: guard.page_errors.append(str(error)))
    page.set_default_timeout(5000)
    yield page
    context.close()
    assert guard.outside_requests == [], "the page reached past loopback"
    assert guard.dialogs == [], "the page opened a dialog"
    assert guard.page_errors == [], "the page threw"


@pytest.fixture
def widget(page: Page, fresh_site: Site) -> WidgetPage:
    """The widget's test page, ready to start with a scenario."""
    return WidgetPage(page, fresh_site)
