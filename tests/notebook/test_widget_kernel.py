"""The widget in a real Jupyter kernel, driven by the messages its front-end sends."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelloop import Project


def kernel_session(code: str) -> Any:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_code_cell(code)]
    return notebook, NotebookClient(notebook, kernel_name="python3", timeout=60)


def send_custom(client: Any, model_id: str, content: dict[str, Any]) -> None:
    message = client.kc.session.msg(
        "comm_msg", {"comm_id": model_id, "data": {"method": "custom", "content": content}}
    )
    client.kc.shell_channel.send(message)


def run(client: Any, notebook: Any, code: str) -> str:
    import nbformat

    notebook.cells.append(nbformat.v4.new_code_cell(code))
    cell = client.execute_cell(notebook.cells[-1], len(notebook.cells) - 1)
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


@pytest.mark.slow
def test_widget_displays_and_labels_through_its_messages(tmp_path: Path) -> None:
    db = tmp_path / "labels.db"
    with Project(db, "shapes", options=["round", "square"]) as project:
        project.add_items(np.random.default_rng(0).random((5, 6, 6)), progress=False)
    code = (
        "import labelloop\n"
        f"labeller = labelloop.Labeller(labelloop.Project({str(db)!r}, 'shapes'), annotator='nb')\n"
        "labeller"
    )
    notebook, client = kernel_session(code)
    with client.setup_kernel():
        cell = client.execute_cell(notebook.cells[0], 0)
        view = [
            o
            for o in cell.outputs
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        ]
        assert view, f"no widget in the output: {cell.outputs}"
        model_id = view[0]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        state = json.loads(run(client, notebook, "import json; print(json.dumps(labeller.config))"))
        assert state["options"] == ["round", "square"] and state["annotator"] == "nb"
        send_custom(client, model_id, {"type": "more", "n": 2})
        leases = json.loads(run(client, notebook, "print(json.dumps(list(labeller.session.held)))"))
        assert len(leases) == 2
        send_custom(client, model_id, {"type": "submit", "lease": leases[0], "value": "square"})
        send_custom(client, model_id, {"type": "submit", "lease": leases[1], "value": "round"})
        out = run(
            client, notebook, "print(labeller.labels['label'].tolist(), labeller.progress['mine'])"
        )
        assert out.strip() == "['square', 'round'] 2"
    with Project(db, "shapes") as project:
        assert project.labels["annotator"].tolist() == ["nb", "nb"]


@pytest.mark.slow
def test_throwaway_labeller_from_an_array(tmp_path: Path) -> None:
    code = (
        "import labelloop, numpy as np\n"
        "labeller = labelloop.Labeller(np.zeros((3, 4, 4)), options=['x', 'y'], annotator='nb')\n"
        "print(len(labeller.project), labeller.status)"
    )
    notebook, client = kernel_session(code)
    with client.setup_kernel():
        cell = client.execute_cell(notebook.cells[0], 0)
        assert cell.outputs[0]["text"].strip() == "3 labelling"
        error = run(
            client,
            notebook,
            "try:\n    labelloop.Labeller([1])\nexcept Exception as e:\n    print(e)",
        )
        assert "give options" in error
    _ = time
