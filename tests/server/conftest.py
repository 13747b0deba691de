"""An app over a fresh store with a digits project and three users."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sklearn.datasets import load_digits

from labelloop import Project
from labelloop.server import create_app
from labelloop.server.auth import CSRF_COOKIE, CSRF_HEADER
from labelloop.store import Database, accounts

DIGITS = load_digits()


@dataclass
class Site:
    db: Database
    project: Project
    app: object

    def client(self, user: str | None) -> TestClient:
        """A browser signed in as ``user`` (through the real login link), or anonymous."""
        client = TestClient(self.app, base_url="http://testserver")
        if user is not None:
            token = accounts.issue_login_token(self.db, user)
            response = client.get(f"/login?token={token}", follow_redirects=False)
            assert response.status_code == 303
            client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
        return client


@pytest.fixture
def site(db: Database) -> Iterator[Site]:
    project = Project(db, "digits", options=list(range(10)))
    project.add_items(DIGITS.images[:50], progress=False)
    other = Project(db, "secret", options=["a"])
    other.add_items(["hidden"], progress=False)
    accounts.add_user(db, "admin", "admin")
    for name in ("ann", "bob"):
        accounts.add_user(db, name, "annotator")
        accounts.grant(db, project.record, name)
    app = create_app(db)
    with TestClient(app):
        yield Site(db, project, app)
    app.state.watcher.wait_cleanups()  # pages closed in tests release their items
