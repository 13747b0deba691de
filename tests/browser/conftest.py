"""A real `labelloop serve` on a free loopback port, and Chromium pages that
may not reach past loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route

from labelloop.store import Database, accounts
from tests.chromium import free_port

ROOT = Path(__file__).parents[2]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@dataclass
class Server:
    url: str
    db: Database
    outside: list[str] = field(default_factory=list)

    def login(self, browser: Browser, user: str) -> Page:
        """A new browser context signed in as ``user``; requests past loopback are refused."""
        context = browser.new_context()
        page = context.new_page()
        page.route("**/*", self._guard)
        token = accounts.issue_login_token(self.db, user)
        page.goto(f"{self.url}/login?token={token}")
        return page

    def _guard(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()


@pytest.fixture
def serve(store_url: str) -> Iterator[object]:
    """Start `labelloop serve` on the store (after the test filled it); yields a starter."""
    processes: list[subprocess.Popen[bytes]] = []
    database = Database(store_url)

    def start(workers: int = 1) -> Server:
        port = free_port()
        env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
        command = [sys.executable, "-m", "labelloop", "serve", store_url, "--port", str(port)]
        process = subprocess.Popen(
            [*command, "--workers", str(workers)], env=env, stderr=subprocess.PIPE
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
            try:
                if httpx.get(url + "/", timeout=1).status_code == 401:
                    return Server(url, database)
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "labelloop serve did not start"
            time.sleep(0.1)

    yield start
    for process in processes:
        process.terminate()
        process.communicate(timeout=20)
    database.dispose()
