"""Dashboard logins as rows in ``admin_sessions``: created at login, deleted at logout.

The cookie carries a random session id (web/admin/session.py signs it); the table keeps
only its SHA-256, so a leaked database backup holds no usable cookie. Every request
looks its row up (joined with the user and the studio, one query), so logging out, or
"log out everywhere", revokes a copied cookie at once. Rows live 12 hours; expired
ones are deleted whenever someone logs in, so the table stays small.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from databases import Database

from ..booking.catalog import Studio
from ..db.tables import admin_sessions, studios, users
from ..db.transactions import write_transaction
from .accounts import AdminUser

LIFETIME = timedelta(hours=12)
# last_seen_at is refreshed at most this often: not one write per page view.
SEEN_EVERY = timedelta(minutes=5)
MAX_ID_CHARS = 64


@dataclass(frozen=True)
class LiveSession:
    """A session found by its cookie: who it belongs to, and its CSRF token."""

    id_hash: str
    csrf: str
    user: AdminUser
    studio: Studio
    last_seen_at: datetime


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def start_session(db: Database, user_id: int, now: datetime) -> tuple[str, str]:
    """A new session for ``user_id``: (the id for the cookie, its CSRF token).

    Also deletes every expired session (of anyone), so the table doesn't grow.
    """
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    async with write_transaction(db):
        await db.execute(
            admin_sessions.insert().values(
                id_hash=_hash(session_id),
                user_id=user_id,
                csrf=csrf,
                created_at=now,
                expires_at=now + LIFETIME,
                last_seen_at=now,
            )
        )
        await db.execute(admin_sessions.delete().where(admin_sessions.c.expires_at <= now))
    return session_id, csrf


async def find_session(db: Database, session_id: str, now: datetime) -> LiveSession | None:
    """The live session with this id, its user and studio; None when unknown or expired."""
    if not session_id or len(session_id) > MAX_ID_CHARS:
        return None
    row = await db.fetch_one(
        sa.select(
            admin_sessions.c.id_hash,
            admin_sessions.c.csrf,
            admin_sessions.c.last_seen_at,
            users.c.id.label("user_id"),
            users.c.email.label("user_email"),
            *[c.label("s_" + c.name) for c in studios.c],
        )
        .join(users, users.c.id == admin_sessions.c.user_id)
        .join(studios, studios.c.id == users.c.studio_id)
        .where(admin_sessions.c.id_hash == _hash(session_id), admin_sessions.c.expires_at > now)
    )
    if row is None:
        return None
    m = row._mapping
    studio = Studio.from_mapping(m, "s_")
    return LiveSession(
        id_hash=m["id_hash"],
        csrf=m["csrf"],
        user=AdminUser(id=m["user_id"], email=m["user_email"], studio_id=studio.id),
        studio=studio,
        last_seen_at=m["last_seen_at"],
    )


async def mark_seen(db: Database, session: LiveSession, now: datetime) -> None:
    """Note the session's activity, at most every SEEN_EVERY (no write per request)."""
    if now - session.last_seen_at < SEEN_EVERY:
        return
    async with write_transaction(db):
        await db.execute(
            admin_sessions.update()
            .where(admin_sessions.c.id_hash == session.id_hash)
            .values(last_seen_at=now)
        )


async def end_session(db: Database, id_hash: str) -> None:
    """Log out: this session's cookie stops working everywhere it was copied."""
    async with write_transaction(db):
        await db.execute(admin_sessions.delete().where(admin_sessions.c.id_hash == id_hash))


async def end_all_sessions(db: Database, user_id: int) -> int:
    """Log out everywhere: every session of this user; returns how many ended."""
    async with write_transaction(db):
        ended = await db.fetch_all(
            admin_sessions.delete()
            .where(admin_sessions.c.user_id == user_id)
            .returning(admin_sessions.c.id_hash)
        )
    return len(ended)
