"""The labelling widget for Jupyter (anywidget), and serving it to a team.

The widget only forwards messages between the front-end and a
:class:`~labelloop.ui.session.LabellingSession`; ``serve()`` starts the web
app on the same store, so colleagues label the same project in a browser.
"""

from __future__ import annotations

import getpass
import tempfile
import threading
from pathlib import Path
from typing import Any

from labelloop.errors import InvalidInputError, require
from labelloop.project import Project
from labelloop.ui.display import DisplayFunction
from labelloop.ui.session import LabellingSession

require("anywidget", "notebook")
import anywidget  # noqa: E402
import traitlets  # noqa: E402

BUNDLE = Path(__file__).with_name("static") / "labeller.js"


class Labeller(anywidget.AnyWidget):
    """Label a project in the notebook; ``labeller.labels`` has the results.

    Parameters
    ----------
    data : Project or items
        A :class:`~labelloop.Project`, or items for a throw-away project in a
        temporary SQLite file (anything :meth:`Project.add_items` takes).
    options : list, optional
        Classes of the throw-away project (ignored for a Project).
    annotator : str, optional
        Who is labelling; default: the operating-system user.
    model : estimator, callable or str, optional
        A model to put in the loop (see :meth:`Project.use_model`).
    acquisition : str or callable
        How the model orders the queue.
    retrain_every : int, optional
        Retrain in the background after this many new labels.
    display : callable, optional
        Custom display function: item -> HTML/text/image.
    prefetch : int
        Items kept ready so a key press shows the next one at once.
    **settings
        Project settings for the throw-away project (``multilabel``, ``k``…).

    Examples
    --------
    >>> labeller = Labeller(features, options=["cat", "dog"])   # doctest: +SKIP
    >>> labeller                                              # doctest: +SKIP
    >>> labeller.labels                                       # doctest: +SKIP
    """

    _esm = BUNDLE
    config = traitlets.Dict().tag(sync=True)
    progress = traitlets.Dict().tag(sync=True)
    status = traitlets.Unicode("loading").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    model_info = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    hint_enabled = traitlets.Bool(True).tag(sync=True)

    def __init__(
        self,
        data: Any,
        options: list[Any] | None = None,
        *,
        annotator: str | None = None,
        model: Any = None,
        acquisition: Any = "entropy",
        retrain_every: int | None = None,
        display: DisplayFunction | None = None,
        prefetch: int = 3,
        **settings: Any,
    ) -> None:
        if not BUNDLE.exists():
            raise InvalidInputError(
                f"the front-end is not built ({BUNDLE} is missing): run `make ui` (needs Node.js)"
            )
        self.project = data if isinstance(data, Project) else _throwaway(data, options, settings)
        self.annotator = annotator or getpass.getuser()
        self.project.add_annotator(self.annotator)
        if model is not None:
            self.project.use_model(model, acquisition)
        self.retrain_every = retrain_every
        self._since_retrain = 0
        self._server: Any = None
        self.session = LabellingSession(
            self.project, self.annotator, display, prefetch, on_state=self._apply
        )
        super().__init__(**self.session.state())
        self.on_msg(self._on_message)

    @property
    def labels(self) -> Any:
        """Items labelled so far: key, agreed label, label count (a DataFrame)."""
        frame = self.project.to_pandas()
        return frame[frame["n_labels"] > 0].reset_index(drop=True)

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        for reply, buffers in self.session.handle(content):
            self.send(reply, buffers)
        if content.get("type") in ("submit", "skip", "undo", "relabel"):
            self._apply({"progress": self.session.progress()})
            self._maybe_retrain(content)

    def _maybe_retrain(self, content: dict[str, Any]) -> None:
        if content.get("type") != "submit" or not self.retrain_every:
            return
        self._since_retrain += 1
        if self._since_retrain >= self.retrain_every:
            self._since_retrain = 0
            self.session.handle({"type": "retrain"})

    def _apply(self, changes: dict[str, Any]) -> None:
        with self.hold_sync():
            for key, value in changes.items():
                setattr(self, key, value)
            if "progress" in changes and changes["progress"]["remaining"] == 0:
                self.status = "finished"

    def serve(self, host: str = "127.0.0.1", port: int = 8000) -> str:
        """Serve this project's labelling page to colleagues; returns your login link.

        Runs the web app in a background thread of this kernel, on the same
        store. Add colleagues with ``labelloop user add DB NAME --project P``.
        """
        import uvicorn

        from labelloop.server import create_app
        from labelloop.store import accounts

        if self._server is None:
            app = create_app(self.project.db, display=self.session.display)
            config = uvicorn.Config(
                app, host=host, port=port, log_level="warning", ws_per_message_deflate=False
            )
            self._server = uvicorn.Server(config)
            threading.Thread(target=self._server.run, daemon=True).start()
        accounts.add_user(self.project.db, self.annotator, "admin")
        accounts.grant(self.project.db, self.project.record, self.annotator)
        token = accounts.issue_login_token(self.project.db, self.annotator)
        link = f"http://{host}:{port}/login?token={token}"
        print(f"labelling page: http://{host}:{port}/projects/{self.project.name}/label")
        print(f"your login link: {link}")
        return link

    def stop_serving(self) -> None:
        """Stop the web app started by :meth:`serve`."""
        if self._server is not None:
            self._server.should_exit = True
            self._server = None

    def close(self) -> None:
        """Release held items, stop serving, close the widget."""
        self.session.close()
        self.stop_serving()
        super().close()


def _throwaway(data: Any, options: list[Any] | None, settings: dict[str, Any]) -> Project:
    if options is None:
        raise InvalidInputError("give options=[...] (the classes), or pass a Project")
    path = Path(tempfile.mkdtemp(prefix="labelloop-")) / "labels.db"
    project = Project(path, "labeller", options=options, **settings)
    project.add_items(data, progress=False)
    return project
