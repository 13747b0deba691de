"""UI benchmark: key press -> next item painted, and HTTP labelling throughput.

1. In Chromium, on the real labelling page served by `labelloop serve`
   (SQLite), the time from a key press to the next item painted, over 200
   items. Baseline in the same run: a bare page that swaps between images
   already decoded in memory on each key press, the least a browser needs.
2. Labels per second through the HTTP API (claim + submit) with 16
   concurrent clients, next to the store's own claim + submit loop in one
   process (no HTTP) measured in the same run; SQLite and PostgreSQL.

usage: python -m benchmarks.ui [--quick] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from sklearn.datasets import load_digits

from benchmarks._databases import drop, free_port, fresh_url
from labelloop import Project
from labelloop.store import accounts

ROOT = Path(__file__).parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BASELINE_PAGE = """<!doctype html><html><body><div id=app tabindex=0></div><script>
const app = document.getElementById('app');
window.__paints = []; let i = 0; const imgs = [];
async function load(urls) { for (const u of urls) { const im = new Image(); im.src = u;
  im.style.cssText = 'width:256px;height:256px;image-rendering:pixelated'; await im.decode();
  imgs.push(im); } app.replaceChildren(imgs[0]); app.focus(); }
app.addEventListener('keydown', (e) => { const t = e.timeStamp; i = (i + 1) % imgs.length;
  app.replaceChildren(imgs[i]);
  requestAnimationFrame(() => window.__paints.push(performance.now() - t)); });
window.load = load;
</script></body></html>"""


def start_server(url: str, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    command = [
        sys.executable,
        "-m",
        "labelloop",
        "serve",
        url,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/", timeout=1).status_code == 401:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("labelloop serve did not start")


def digits_project(url: str, n: int, users: list[str]) -> Project:
    digits = load_digits()
    images = np.resize(digits.images, (n, 8, 8))
    project = Project(url, "digits", options=list(range(10)))
    project.add_items(images, progress=False)
    for user in users:
        accounts.add_user(project.db, user, "admin")
    return project


def paint_latency(folder: Path, n_items: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    url = fresh_url("sqlite", folder)
    project = digits_project(url, n_items + 10, ["bench"])
    process, base = start_server(url)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            ours = _labelling_paints(browser, base, project, n_items)
            baseline = _baseline_paints(browser, project, n_items)
            browser.close()
    finally:
        process.terminate()
        process.communicate()
        project.close()
    return ours, baseline


def _labelling_paints(browser: object, base: str, project: Project, n_items: int) -> list[float]:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{base}/login?token={accounts.issue_login_token(project.db, 'bench')}")
    page.goto(f"{base}/projects/digits/label")
    page.wait_for_selector(".ll-image")
    page.locator(".labelloop").focus()
    for i in range(n_items):
        page.keyboard.press(str(i % 10))
        page.wait_for_function(f"(window.__labelloopPaints || []).length > {i}", polling=10)
        page.wait_for_timeout(30)  # a person's pace; lets prefetch keep up as it would
    return list(page.evaluate("window.__labelloopPaints"))


def _baseline_paints(browser: object, project: Project, n_items: int) -> list[float]:
    from labelloop.ui.display import render

    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_content(BASELINE_PAGE)
    urls = []
    for item in project.items([str(i) for i in range(20)]):
        _, buffers = render(item.value, item.kind)
        import base64

        urls.append("data:image/png;base64," + base64.b64encode(buffers[0]).decode())
    page.evaluate("(urls) => window.load(urls)", urls)
    for i in range(n_items):
        page.keyboard.press("x")
        page.wait_for_function(f"window.__paints.length > {i}", polling=10)
        page.wait_for_timeout(30)
    return list(page.evaluate("window.__paints"))


class RawClient:
    """A minimal keep-alive HTTP/1.1 JSON client: the load generator shares the
    machine's two cores with the server, so it must cost next to nothing."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.auth = reader, writer, ""

    async def post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        data = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n{self.auth}\r\n"
        ).encode()
        self.writer.write(head + data)
        status = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) != b"\r\n":
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        payload = json.loads(await self.reader.readexactly(length))
        if not status.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{path}: {status!r} {payload}")
        return dict(payload)


async def _client(base: str, token: str, stop: float) -> int:
    host, port = base.removeprefix("http://").split(":")
    client = RawClient(*await asyncio.open_connection(host, int(port)))
    session = (await client.post("/api/login", {"token": token}))["session"]
    client.auth = f"Authorization: Bearer {session}\r\n"
    done = 0
    while time.perf_counter() < stop:
        items = (await client.post("/api/projects/digits/claim", {"n": 1}))["items"]
        if not items:
            break
        lease = items[0]["lease"]  # type: ignore[index]
        await client.post("/api/projects/digits/submit", {"lease": lease, "value": 1})
        done += 1
    client.writer.close()
    return done


async def _http_clients(base: str, tokens: list[str], seconds: float) -> float:
    stop = time.perf_counter() + seconds
    start = time.perf_counter()
    counts = await asyncio.gather(*(_client(base, token, stop) for token in tokens))
    return sum(counts) / (time.perf_counter() - start)


def http_throughput(
    backend: str, folder: Path, seconds: float, workers: int
) -> tuple[float, float]:
    url = fresh_url(backend, folder)
    users = [f"c{i}" for i in range(16)]
    project = digits_project(url, 60_000, users)
    try:
        stop, done = time.perf_counter() + seconds, 0
        start = time.perf_counter()
        while time.perf_counter() < stop:
            project.submit(project.claim("c0")[0], 1)
            done += 1
        store_rate = done / (time.perf_counter() - start)
        process, base = start_server(url, workers)
        try:
            tokens = [accounts.issue_login_token(project.db, user) for user in users]
            http_rate = asyncio.run(_http_clients(base, tokens, seconds))
        finally:
            process.terminate()
            process.communicate()
        labels = project.labels
        assert labels["item_key"].is_unique, "an item was labelled twice"
        return http_rate, store_rate
    finally:
        project.close()
        drop(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer items and shorter runs")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    args = parser.parse_args()
    n_items, seconds = (50, 3.0) if args.quick else (200, 8.0)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        ours, baseline = paint_latency(folder, n_items)
        print(f"key press -> next item painted, Chromium, {n_items} items (ms)")
        print(f"{'page':<34} {'p50':>7} {'p95':>7}")
        for label, values in (
            ("labelling page (SQLite)", ours),
            ("bare image swap (baseline)", baseline),
        ):
            print(
                f"{label:<34} {np.percentile(values, 50):>7.1f} {np.percentile(values, 95):>7.1f}"
            )
        p50 = np.percentile(ours, 50) / np.percentile(baseline, 50)
        p95 = np.percentile(ours, 95) / np.percentile(baseline, 95)
        print(f"{'ratio to baseline':<34} {p50:>6.1f}x {p95:>6.1f}x\n")
        print(f"HTTP claim + submit, 16 concurrent clients, {seconds:.0f} s (labels/s)")
        print(f"{'backend':<11} {'workers':>7} {'HTTP':>9} {'store loop':>11} {'HTTP/store':>11}")
        for backend in args.backends.split(","):
            for workers in (1, 2):
                http_rate, store_rate = http_throughput(backend, folder, seconds, workers)
                print(
                    f"{backend:<11} {workers:>7} {http_rate:>9.0f} {store_rate:>11.0f} "
                    f"{http_rate / store_rate:>10.2f}x"
                )


if __name__ == "__main__":
    main()
