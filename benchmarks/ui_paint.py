"""How long does a key press take to paint the next item?

The labelling widget runs in headless Chromium against the in-page fake of
the Python side used by the front-end tests (tests/ui/js/pages/fake_host.js),
which answers after a chosen delay to stand in for the server. A key labels
the current item every ``--pace`` ms, about as fast as a quick person. The
widget records, per key press that moved to another item, the time from the
keydown to the first animation frame after the next item is in the DOM with
its image decoded (``window.__labelloopPaints``).

Printed per display kind and server delay: presses, how many painted from the
prefetch buffer (the rest found it empty and waited for the server), and the
median, 95th percentile and largest paint time (it includes the wait for the
next animation frame).

    python -m benchmarks.ui_paint            # 100 presses per row, about 90 s
    python -m benchmarks.ui_paint --quick    # 20 presses per row
"""

# ruff: noqa: E402  (the imports must come after the sys.path fix below)
from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/queue.py shadows the standard library's queue module, which
# asyncio imports: keep this script's folder off the import path, and the
# repository on it (the fake host and test site live under tests/).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse
import shutil
import statistics
import subprocess
from typing import Any

from playwright.sync_api import Page, sync_playwright

from tests.ui.js.site import Site, serve
from tests.ui.js.widget_page import WidgetPage, png_item, scenario, text_items

JS_DIR = HERE.parent / "src" / "labelloop" / "ui" / "js"
STATIC_DIR = JS_DIR.parent / "static"
PAGES_DIR = HERE.parent / "tests" / "ui" / "js" / "pages"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def build_bundle() -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        sys.exit("node and npm are needed to build the front-end bundle")
    if not (JS_DIR / "node_modules").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True)
    subprocess.run([node, "build.mjs"], cwd=JS_DIR, check=True, capture_output=True)


def items_of(kind: str, count: int) -> list[dict[str, Any]]:
    if kind == "text":
        return text_items(count)
    size = 28 if kind == "image 28 px" else 256
    return [png_item(str(i), size=size) for i in range(count)]


def measure(
    page: Page, site: Site, kind: str, delay_ms: int, presses: int, pace_ms: int
) -> dict[str, Any]:
    widget = WidgetPage(page, site)
    widget.start(scenario(items_of(kind, presses + 10)))
    widget.fake("fake.latencyMs = arg", delay_ms)
    page.wait_for_selector(".ll-display > *")
    page.wait_for_timeout(300)  # let the first `more` fill the buffer
    page.evaluate("window.__labelloopPaints = []")
    for _ in range(presses):
        page.keyboard.press("1")
        page.wait_for_timeout(pace_ms)
    page.wait_for_timeout(200)
    paints: list[float] = page.evaluate("window.__labelloopPaints")
    ordered = sorted(paints)
    return {
        "kind": kind,
        "delay": delay_ms,
        "presses": presses,
        "painted": len(paints),
        "p50": statistics.median(ordered) if ordered else float("nan"),
        "p95": ordered[max(0, round(0.95 * len(ordered)) - 1)] if ordered else float("nan"),
        "max": ordered[-1] if ordered else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 presses per row")
    parser.add_argument("--pace", type=int, default=120, help="ms between key presses")
    args = parser.parse_args()
    presses = 20 if args.quick else 100
    build_bundle()
    rows = []
    with serve(Site(STATIC_DIR, PAGES_DIR)) as site, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        for kind in ["text", "image 28 px", "image 256 px"]:
            for delay in [0, 100]:
                page = browser.new_page(viewport={"width": 1100, "height": 800})
                rows.append(measure(page, site, kind, delay, presses, args.pace))
                page.close()
        browser.close()
    print(f"key press → next item painted (prefetch 3, a press every {args.pace} ms)")
    headers = ["presses", "painted", "p50 ms", "p95 ms", "max ms"]
    print(f"{'display':<14}{'server delay':>13}" + "".join(f"{h:>9}" for h in headers))
    for row in rows:
        print(
            f"{row['kind']:<14}{row['delay']:>10} ms{row['presses']:>9}{row['painted']:>9}"
            f"{row['p50']:>9.1f}{row['p95']:>9.1f}{row['max']:>9.1f}"
        )


if __name__ == "__main__":
    main()
