"""Scheduled drops: a mini session whose times appear, and can be booked, only from its
``opens_at``; early access (the secret link, or a personal link for each listed email)
may book from ``early_opens_at``.

Whether a visitor may see and book times is decided from one reading of the clock per
request, the same ``now`` the booking then uses, so a request handled before the opening
second books nothing, on any worker, and nothing has to run at the opening itself.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..db.insert_once import insert_once
from ..db.outbox import enqueue
from ..db.rows import fetch_all_as
from ..db.tables import early_access_emails, leads, mini_sessions
from ..db.transactions import write_transaction
from .catalog import MiniSession
from .email_language import language_of_address
from .tokens import BookingTokens


@dataclass(frozen=True)
class Access:
    """What an ``early`` parameter grants: the secret link (any email), or one email."""

    email: str | None  # None: the secret link


def early_access(tokens: BookingTokens, mini: MiniSession, raw: str | None) -> Access | None:
    """The access ``raw`` (the URL's ``early``) grants to ``mini``, if any: its secret key,
    or a personal link (``BookingTokens.make_early``) naming it."""
    if not raw or len(raw) > 600:
        return None
    key = mini.early_access_key
    if key and hmac.compare_digest(raw.encode(), key.encode()):
        return Access(email=None)
    found = tokens.read_early(raw)
    if found is not None and found[0] == mini.id:
        return Access(email=found[1])
    return None


@dataclass(frozen=True)
class DropState:
    opens_at: datetime | None
    open: bool  # this visitor may see and book times now
    early: bool  # ... because of early access, before the public opening
    seconds_left: int  # until this visitor may book (0 when open)


def drop_state(mini: MiniSession, now: datetime, access: Access | None) -> DropState:
    opens_at = mini.opens_at
    if opens_at is None or now >= opens_at:
        return DropState(opens_at, open=True, early=False, seconds_left=0)
    early_from = mini.early_opens_at if access is not None else None
    if early_from is not None and now >= early_from:
        return DropState(opens_at, open=True, early=True, seconds_left=0)
    until = early_from if early_from is not None and early_from < opens_at else opens_at
    return DropState(
        opens_at, open=False, early=False, seconds_left=max(1, int((until - now).total_seconds()))
    )


def may_book(state: DropState, access: Access | None, email: str) -> bool:
    """A personal link books only for its own email; the secret link and the public
    opening for anyone."""
    if not state.open:
        return False
    if not state.early or access is None or access.email is None:
        return True
    return access.email == email.lower()


def is_open_to_all(mini: MiniSession, now: datetime) -> bool:
    return mini.opens_at is None or now >= mini.opens_at


async def ensure_early_key(db: Database, mini: MiniSession) -> str:
    """The mini session's secret early-access key, made the first time it is asked for."""
    if mini.early_access_key:
        return mini.early_access_key
    key = secrets.token_urlsafe(18)
    async with write_transaction(db):
        await db.execute(
            mini_sessions.update()
            .where(mini_sessions.c.id == mini.id, mini_sessions.c.early_access_key.is_(None))
            .values(early_access_key=key)
        )
    stored = await db.fetch_val(
        sa.select(mini_sessions.c.early_access_key).where(mini_sessions.c.id == mini.id)
    )
    return str(stored)


async def set_drop_times(
    db: Database, mini_session_id: int, opens_at: datetime | None, early_opens_at: datetime | None
) -> None:
    async with write_transaction(db):
        await db.execute(
            mini_sessions.update()
            .where(mini_sessions.c.id == mini_session_id)
            .values(opens_at=opens_at, early_opens_at=early_opens_at)
        )


class _Email(NamedTuple):
    email: str


async def early_emails(db: Database, mini_session_id: int) -> list[str]:
    found = await fetch_all_as(
        db,
        sa.select(early_access_emails.c.email)
        .where(early_access_emails.c.mini_session_id == mini_session_id)
        .order_by(early_access_emails.c.email),
        _Email,
    )
    return [r.email for r in found]


async def add_early_emails(
    db: Database, mini_session_id: int, emails: list[str], now: datetime
) -> int:
    """Add (lowercased) emails to the early-access list; returns how many were new."""
    added = 0
    async with write_transaction(db):
        for email in emails:
            row = await insert_once(
                db,
                early_access_emails,
                {"mini_session_id": mini_session_id, "email": email.lower(), "created_at": now},
                unique=["mini_session_id", "email"],
            )
            added += row is not None
    return added


async def remove_early_email(db: Database, mini_session_id: int, email: str) -> None:
    async with write_transaction(db):
        await db.execute(
            early_access_emails.delete().where(
                early_access_emails.c.mini_session_id == mini_session_id,
                early_access_emails.c.email == email.lower(),
            )
        )


async def past_clients(db: Database, studio_id: int, mini_session_id: int) -> list[str]:
    """Emails of the studio's earlier clients (booked on another mini session), to pick from."""
    found = await fetch_all_as(
        db,
        sa.select(sa.func.lower(leads.c.email).label("email"))
        .where(
            leads.c.studio_id == studio_id,
            leads.c.mini_session_id != mini_session_id,
            leads.c.status == "booked",
        )
        .distinct()
        .order_by(sa.func.lower(leads.c.email)),
        _Email,
    )
    return [r.email for r in found]


async def queue_early_access_emails(
    db: Database, studio_id: int, mini: MiniSession, now: datetime
) -> int:
    """Email each listed client their personal link, once each (a dedupe key per email);
    returns how many were queued now."""
    queued = 0
    emails = await early_emails(db, mini.id)
    async with write_transaction(db):
        for email in emails:
            row = await enqueue(
                db,
                studio_id=studio_id,
                booking_id=None,
                kind="early_access",
                recipient=email,
                payload={
                    "mini_session_id": mini.id,
                    "language": await language_of_address(db, studio_id, email),
                },
                now=now,
                dedupe_key=f"early_access:{mini.id}:{email}",
            )
            queued += row is not None
    return queued
