"""The public surface is deliberate, and importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import labelloop

PUBLIC = {
    "Database",
    "DuplicateItemError",
    "InvalidInputError",
    "LabelloopError",
    "Labeller",
    "Lease",
    "LeaseError",
    "MissingExtraError",
    "NothingToUndoError",
    "Progress",
    "Project",
    "StoreUnavailableError",
    "UnknownAnnotatorError",
    "UnknownItemError",
    "UnknownProjectError",
    "__version__",
}


def test_public_names_are_pinned() -> None:
    assert set(labelloop.__all__) == PUBLIC


def test_every_public_name_has_a_docstring() -> None:
    for name in PUBLIC - {"__version__", "Labeller"}:
        assert getattr(labelloop, name).__doc__, f"labelloop.{name} has no docstring"


def test_import_does_not_load_heavy_dependencies() -> None:
    heavy = ["sklearn", "pandas", "PIL", "fastapi", "uvicorn", "IPython", "anywidget", "pyarrow"]
    code = f"import sys, labelloop; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
