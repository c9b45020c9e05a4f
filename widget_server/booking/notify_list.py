"""A studio's "notify me" list: double opt-in (a confirmation email first), one-click
unsubscribe, and announcing a mini session to the confirmed addresses through the
outbox at a steady rate, once each (a dedupe key per mini session and subscriber)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..db.outbox import enqueue
from ..db.rows import fetch_all_as, fetch_one_as
from ..db.tables import outbox, subscribers
from ..db.transactions import write_transaction
from ..i18n import known_language
from .catalog import MiniSession
from .email_language import choose_language, email_language, studio_default_language
from .tokens import new_public_id

# Announcements leave at this many a minute (a steady rate for the SMTP server and the
# inboxes' reputation), spread by the outbox rows' next_attempt_at.
ANNOUNCE_PER_MINUTE = 60


class Subscriber(NamedTuple):
    id: int
    studio_id: int
    email: str
    public_id: str
    state: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    language: str | None  # the one they subscribed in: their emails speak it


async def subscriber_by_public_id(db: Database, public_id: str) -> Subscriber | None:
    return await fetch_one_as(
        db, sa.select(subscribers).where(subscribers.c.public_id == public_id), Subscriber
    )


async def ask_to_subscribe(
    db: Database, studio_id: int, email: str, now: datetime, *, language: str | None = None
) -> None:
    """Email a confirmation link to a new (or returning) address; a confirmed address
    changes nothing, and nothing says whether the address was already on the list.
    ``language`` is the page's (a key of i18n.LANGUAGES; None: the studio's default): the
    confirmation and the announcements speak it."""
    email = email.lower()
    language = known_language(language)
    async with write_transaction(db):
        row = await db.fetch_one(
            subscribers.update()
            .where(
                subscribers.c.studio_id == studio_id,
                subscribers.c.email == email,
                subscribers.c.state == "unsubscribed",
            )
            .values(
                state="pending",
                unsubscribed_at=None,
                **({"language": language} if language else {}),
            )
            .returning(subscribers.c.id)
        )
        if row is not None:
            subscriber_id = int(row._mapping["id"])
        else:
            existing = await db.fetch_val(
                sa.select(subscribers.c.id).where(
                    subscribers.c.studio_id == studio_id, subscribers.c.email == email
                )
            )
            if existing is not None:
                return  # pending (already asked) or confirmed
            subscriber_id = await db.execute(
                subscribers.insert().values(
                    studio_id=studio_id,
                    email=email,
                    public_id=new_public_id(),
                    state="pending",
                    language=language,
                    created_at=now,
                )
            )
        await enqueue(
            db,
            studio_id=studio_id,
            booking_id=None,
            kind="notify_confirm",
            recipient=email,
            payload={
                "subscriber_id": subscriber_id,
                "language": await email_language(db, studio_id=studio_id, chosen=language),
            },
            now=now,
        )


async def confirm(db: Database, subscriber_id: int, now: datetime) -> bool:
    async with write_transaction(db):
        row = await db.fetch_one(
            subscribers.update()
            .where(subscribers.c.id == subscriber_id, subscribers.c.state == "pending")
            .values(state="confirmed", confirmed_at=now)
            .returning(subscribers.c.id)
        )
    return row is not None


async def unsubscribe(db: Database, subscriber_id: int, now: datetime) -> None:
    """At once: an announcement not yet sent to them is never sent (render checks)."""
    async with write_transaction(db):
        await db.execute(
            subscribers.update()
            .where(subscribers.c.id == subscriber_id, subscribers.c.state != "unsubscribed")
            .values(state="unsubscribed", unsubscribed_at=now)
        )


async def studio_subscribers(db: Database, studio_id: int) -> list[Subscriber]:
    return await fetch_all_as(
        db,
        sa.select(subscribers)
        .where(subscribers.c.studio_id == studio_id)
        .order_by(subscribers.c.id),
        Subscriber,
    )


class Audience(NamedTuple):
    """Who an announcement of one mini session would reach."""

    confirmed: int  # confirmed addresses on the studio's list
    untold: int  # of them, those it hasn't been queued for yet (announcing queues these)


async def announcement_audience(db: Database, studio_id: int, mini_id: int) -> Audience:
    confirmed = {s.id for s in await studio_subscribers(db, studio_id) if s.state == "confirmed"}
    queued = await db.fetch_all(
        sa.select(outbox.c.dedupe_key).where(
            outbox.c.studio_id == studio_id,
            outbox.c.kind == "announcement",
            outbox.c.dedupe_key.like(f"announce:{mini_id}:%"),
        )
    )
    told = {int(r["dedupe_key"].rsplit(":", 1)[1]) for r in queued} & confirmed
    return Audience(confirmed=len(confirmed), untold=len(confirmed - told))


async def announce(db: Database, studio_id: int, mini: MiniSession, now: datetime) -> int:
    """Queue the announcement of ``mini`` to every confirmed subscriber, at a steady rate,
    once each whatever happens; returns how many were queued now."""
    confirmed = [s for s in await studio_subscribers(db, studio_id) if s.state == "confirmed"]
    studio_language = await studio_default_language(db, studio_id)
    step = timedelta(seconds=60 / ANNOUNCE_PER_MINUTE)
    queued = 0
    async with write_transaction(db):
        for n, subscriber in enumerate(confirmed):
            row = await enqueue(
                db,
                studio_id=studio_id,
                booking_id=None,
                kind="announcement",
                recipient=subscriber.email,
                payload={
                    "subscriber_id": subscriber.id,
                    "mini_session_id": mini.id,
                    "language": choose_language(subscriber.language, studio_language),
                },
                now=now,
                dedupe_key=f"announce:{mini.id}:{subscriber.id}",
                not_before=now + step * n,
            )
            queued += row is not None
    return queued
