"""The widget in a real JupyterLab page: run the cell, press a key, see the label stored."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser

from labelloop import Project
from tests.chromium import free_port


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """A JupyterLab server on a free port; yields (base url, token, root folder)."""
    port, token = free_port(), secrets.token_hex(16)
    root, config, runtime, settings = (
        tmp_path / n for n in ("root", "config", "runtime", "settings")
    )
    for folder in (root, config, runtime, settings):
        folder.mkdir()
    notices = settings / "@jupyterlab" / "apputils-extension"
    notices.mkdir(parents=True)
    (notices / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
        f"--LabApp.user_settings_dir={settings}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.port_retries=0",
        "--allow-root",
    ]
    env = os.environ | {"JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(runtime)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
        try:
            if httpx.get(f"{base}/api/status?token={token}", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "JupyterLab did not start"
        time.sleep(0.2)
    yield base, token, root
    httpx.post(f"{base}/api/shutdown?token={token}", timeout=10)
    try:
        process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def wait_for_kernel(base: str, token: str, notebook: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sessions = httpx.get(f"{base}/api/sessions?token={token}").json()
        ours = [s for s in sessions if s["path"].endswith(notebook)]
        if ours:
            kernel = httpx.get(f"{base}/api/kernels/{ours[0]['kernel']['id']}?token={token}").json()
            if kernel["execution_state"] == "idle" and kernel["connections"] >= 1:
                return
        time.sleep(0.2)
    raise AssertionError("the notebook's kernel never became idle")


@pytest.mark.slow
def test_label_an_item_by_key_press_in_jupyterlab(
    lab: tuple[str, str, Path], browser: Browser
) -> None:
    import nbformat

    base, token, root = lab
    db = root / "labels.db"
    with Project(db, "shapes", options=["round", "square"]) as project:
        project.add_items(np.random.default_rng(0).random((4, 6, 6)), progress=False)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import labelloop\n"
            f"labelloop.Labeller(labelloop.Project({str(db)!r}, 'shapes'), annotator='lab')"
        )
    ]
    nbformat.write(notebook, root / "label.ipynb")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{base}/lab/workspaces/{secrets.token_hex(4)}/tree/label.ipynb?reset&token={token}")
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
    page.wait_for_selector(f"{panel} .jp-Cell .jp-InputArea-editor", timeout=60_000)
    wait_for_kernel(base, token, "label.ipynb")
    page.locator(f"{panel} .jp-Cell .jp-InputArea-editor").first.click()
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(f"{panel} .jp-OutputArea-output .ll-image", timeout=60_000)
    page.locator(f"{panel} .labelloop").focus()
    page.keyboard.press("2")  # the second option, "square"
    deadline = time.monotonic() + 15
    with Project(db, "shapes") as project:
        while project.labels.empty and time.monotonic() < deadline:
            time.sleep(0.1)
        assert project.labels[["annotator", "value"]].values.tolist() == [["lab", "square"]]
