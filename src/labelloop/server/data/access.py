"""Who may use the data API: a protocol the app implements, and the public option.

The app's role-based implementation lives with its sessions
(:class:`labelloop.server.access.RoleAccess`); :class:`PublicReadAccess` is
the "public read-only" option: everyone reads every project and may use the
SQL endpoint (which is read-only and serves only the data tables), nobody
administers.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class DataAccess(Protocol):
    """Decides, per request, what the data API lets the caller do."""

    def can_read(self, request: Any, project_name: str) -> bool:
        """Whether the caller may read the tables of ``project_name``."""
        ...

    def can_admin(self, request: Any) -> bool:
        """Whether the caller may change the queue ("label these")."""
        ...

    def can_sql(self, request: Any) -> bool:
        """Whether the caller may run SQL against the whole store."""
        ...


class PublicReadAccess:
    """Everyone reads and may run read-only SQL; nobody administers."""

    def can_read(self, request: Any, project_name: str) -> bool:
        """Always: the data is public."""
        return True

    def can_admin(self, request: Any) -> bool:
        """Never: a public API changes nothing."""
        return False

    def can_sql(self, request: Any) -> bool:
        """Always: SQL is read-only and limited to the data tables."""
        return True
