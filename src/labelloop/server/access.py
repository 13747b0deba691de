"""Who may read the data API: the app's roles (see labelloop.server.data.access)."""

from __future__ import annotations

from typing import Any

from labelloop.server.auth import user_from
from labelloop.store import Database, accounts
from labelloop.store.projects import get_project


class RoleAccess:
    """Reviewers and admins read the projects they are members of; admins read all and run SQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def can_read(self, request: Any, project_name: str) -> bool:
        user = user_from(self.db, request)
        if user is None or not user.can_review:
            return False
        allowed = accounts.project_ids_of(self.db, user)
        return allowed is None or get_project(self.db, project_name).id in allowed

    def can_admin(self, request: Any) -> bool:
        user = user_from(self.db, request)
        return user is not None and user.is_admin

    def can_sql(self, request: Any) -> bool:
        return self.can_admin(request)
