"""Accounts for the web app: roles, project membership, login links, sessions.

Tokens are random and only their SHA-256 is stored, so a copy of the
database does not let anyone log in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from labelloop.errors import InvalidInputError, UnknownAnnotatorError
from labelloop.store import schema
from labelloop.store.engine import Database
from labelloop.store.projects import ProjectRecord, add_annotator, annotator_id

ROLES = ("annotator", "reviewer", "admin")
LOGIN_TTL = 7 * 24 * 3600.0
SESSION_TTL = 30 * 24 * 3600.0

annotators, memberships = schema.annotators, schema.memberships
login_tokens, sessions = schema.login_tokens, schema.sessions


@dataclass(frozen=True)
class User:
    """A signed-in annotator."""

    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        """Admins see and manage every project."""
        return self.role == "admin"

    @property
    def can_review(self) -> bool:
        """Reviewers and admins read the data API."""
        return self.role in ("reviewer", "admin")


def add_user(db: Database, name: str, role: str = "annotator") -> User:
    """Create an annotator with a role, or change an existing one's role."""
    if role not in ROLES:
        raise InvalidInputError(f"role must be one of {ROLES}, not {role!r}")
    user_id = add_annotator(db, name)
    db.transact(
        lambda conn: conn.execute(
            sa.update(annotators).where(annotators.c.id == user_id).values(role=role)
        )
    )
    return User(user_id, name, role)


def get_user(db: Database, name: str) -> User:
    """The annotator ``name`` with their role."""
    with db.read() as conn:
        row = conn.execute(sa.select(annotators).where(annotators.c.name == name)).first()
    if row is None:
        raise UnknownAnnotatorError(f"no user {name!r}; add one with `labelloop user add`")
    return User(row.id, row.name, row.role)


def grant(db: Database, project: ProjectRecord, name: str) -> None:
    """Let annotator ``name`` work on ``project``."""

    def work(conn: Connection) -> None:
        who = annotator_id(conn, name)
        exists = conn.execute(
            sa.select(memberships.c.project_id).where(
                memberships.c.project_id == project.id, memberships.c.annotator_id == who
            )
        ).first()
        if exists is None:
            conn.execute(sa.insert(memberships).values(project_id=project.id, annotator_id=who))

    db.transact(work)


def project_ids_of(db: Database, user: User) -> set[int] | None:
    """Ids of the projects ``user`` may open; None means all (admins)."""
    if user.is_admin:
        return None
    query = sa.select(memberships.c.project_id).where(memberships.c.annotator_id == user.id)
    with db.read() as conn:
        return set(conn.execute(query).scalars())


def issue_login_token(db: Database, name: str, ttl: float = LOGIN_TTL) -> str:
    """A one-time login token for ``name``, valid for ``ttl`` seconds."""
    user = get_user(db, name)
    token = secrets.token_urlsafe(24)
    db.transact(
        lambda conn: conn.execute(
            sa.insert(login_tokens).values(
                token_hash=_hash(token), annotator_id=user.id, expires_at=db.clock() + ttl
            )
        )
    )
    return token


def redeem_login_token(db: Database, token: str) -> User | None:
    """The user a login token belongs to, marking it used; None if unknown, used or expired."""

    def work(conn: Connection) -> User | None:
        now = db.clock()
        row = conn.execute(
            sa.update(login_tokens)
            .where(
                login_tokens.c.token_hash == _hash(token),
                login_tokens.c.used_at.is_(None),
                login_tokens.c.expires_at >= now,
            )
            .values(used_at=now)
            .returning(login_tokens.c.annotator_id)
        ).first()
        return None if row is None else _user_by_id(conn, row.annotator_id)

    user: User | None = db.transact(work)
    return user


def create_session(db: Database, user: User, ttl: float = SESSION_TTL) -> str:
    """A new browser session for ``user``; returns its token (for the cookie)."""
    token = secrets.token_urlsafe(32)
    db.transact(
        lambda conn: conn.execute(
            sa.insert(sessions).values(
                token_hash=_hash(token), annotator_id=user.id, expires_at=db.clock() + ttl
            )
        )
    )
    return token


def session_user(db: Database, token: str) -> User | None:
    """The user of a live session token, or None."""
    query = (
        sa.select(annotators.c.id, annotators.c.name, annotators.c.role)
        .join(sessions, sessions.c.annotator_id == annotators.c.id)
        .where(sessions.c.token_hash == _hash(token), sessions.c.expires_at >= db.clock())
    )
    with db.read() as conn:
        row = conn.execute(query).first()
    return None if row is None else User(row.id, row.name, row.role)


def end_session(db: Database, token: str) -> None:
    """Log a session out."""
    db.transact(
        lambda conn: conn.execute(sa.delete(sessions).where(sessions.c.token_hash == _hash(token)))
    )


def _user_by_id(conn: Connection, user_id: int) -> User:
    row = conn.execute(sa.select(annotators).where(annotators.c.id == user_id)).one()
    return User(row.id, row.name, row.role)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
