"""What every data API route shares: the store, its read-only source and access."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labelloop.errors import UnknownProjectError
from labelloop.server.data.access import DataAccess, PublicReadAccess
from labelloop.store.engine import Database
from labelloop.store.query import DataSettings, DataSource
from labelloop.store.query.readonly import Session


class AccessDenied(Exception):  # noqa: N818 (reads as what it is: a refusal)
    """The caller may not do this (HTTP 403)."""


@dataclass
class DataService:
    """The data API's state: the store, a read-only source over it, and access rules."""

    db: Database
    source: DataSource
    access: DataAccess

    @classmethod
    def open(
        cls, db: Database, access: DataAccess, settings: DataSettings | None = None
    ) -> DataService:
        """Open the read-only source over ``db``."""
        return cls(db, DataSource(db, settings), access)

    @property
    def public(self) -> bool:
        """Whether responses may be kept by shared caches."""
        return isinstance(self.access, PublicReadAccess)

    @property
    def settings(self) -> DataSettings:
        """The API's limits."""
        return self.source.settings

    def require_read(self, request: Any, project: str) -> None:
        """Raise AccessDenied unless the caller may read ``project``."""
        if not self.access.can_read(request, project):
            raise AccessDenied(f"you may not read project {project!r}: sign in as a reviewer")

    def require_sql(self, request: Any) -> None:
        """Raise AccessDenied unless the caller may run SQL."""
        if not self.access.can_sql(request):
            raise AccessDenied("the SQL endpoint is for admins (or a public data API)")

    def require_admin(self, request: Any) -> None:
        """Raise AccessDenied unless the caller is an admin."""
        if not self.access.can_admin(request):
            raise AccessDenied("only admins may change the queue")

    def project_id(self, session: Session, name: str) -> int:
        """The project's id, or UnknownProjectError (HTTP 404)."""
        found = self.source.project_id(session, name)
        if found is None:
            raise UnknownProjectError(f"no project {name!r} in this store")
        return found
