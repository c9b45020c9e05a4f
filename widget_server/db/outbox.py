"""The email outbox: rows written with the change that caused them, delivered later.

Nothing is lost: an email is a row committed in the same transaction as the
booking change, so either both happen or neither does. Nothing is sent twice
by two senders: a sender claims one row at a time with a conditional
``UPDATE … RETURNING`` that sets a lease (a random ``claim_token`` and a
``lease_until``); a row whose lease is live cannot be claimed by anyone else,
and only the holder of the token can mark it sent. A sender that crashes
leaves a lease on the one email it was sending; the lease runs out, and that
row is claimed again (the only email a crash can make go out twice).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from databases import Database

from .insert_once import insert_once
from .tables import outbox
from .transactions import write_transaction

# Longer than a whole SMTP conversation can take (aiosmtplib times out well before).
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=2)


@dataclass(frozen=True)
class OutboxEmail:
    id: int
    studio_id: int
    booking_id: int | None
    kind: str
    recipient: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    claim_token: str | None

    @classmethod
    def from_row(cls, row: Any) -> OutboxEmail:
        m = row._mapping
        return cls(
            id=m["id"],
            studio_id=m["studio_id"],
            booking_id=m["booking_id"],
            kind=m["kind"],
            recipient=m["recipient"],
            payload=json.loads(m["payload"]),
            status=m["status"],
            attempts=m["attempts"],
            next_attempt_at=m["next_attempt_at"],
            last_error=m["last_error"],
            created_at=m["created_at"],
            sent_at=m["sent_at"],
            claim_token=m["claim_token"],
        )


async def enqueue(
    db: Database,
    *,
    studio_id: int,
    booking_id: int | None,
    kind: str,
    recipient: str,
    payload: dict[str, Any],
    now: datetime,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> int | None:
    """Queue one email. Call inside the transaction of the change that causes it.

    With ``dedupe_key`` the email is queued at most once per key (None when it
    already was): scheduled emails such as reminders use it. ``not_before`` delays it
    (announcements to a list go out at a steady rate).
    """
    values = {
        "studio_id": studio_id,
        "booking_id": booking_id,
        "kind": kind,
        "recipient": recipient,
        "payload": json.dumps(payload, default=str),
        "dedupe_key": dedupe_key,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }
    if dedupe_key is not None:
        return await insert_once(db, outbox, values, unique=["dedupe_key"])
    return await db.execute(outbox.insert().values(**values))


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        outbox.c.status == "pending",
        outbox.c.next_attempt_at <= now,
        sa.or_(outbox.c.lease_until.is_(None), outbox.c.lease_until <= now),
    )


async def claim_due(db: Database, now: datetime) -> OutboxEmail | None:
    """Lease the next due email to this caller; nobody else gets it while the lease lasts.

    ONE email at a time: a sender that dies holds only the email it was sending, so
    every other email stays claimable by any sender at once, and only that one can be
    sent again (once its lease runs out), never a whole batch.

    The outer WHERE repeats the conditions of the subquery: on PostgreSQL a
    second claimer that waited for the row lock re-checks them against the row
    the first one wrote, sees the live lease and skips the row (SKIP LOCKED
    makes it skip locked rows without waiting at all). SQLite runs the whole
    statement under its single write lock. The id is matched with ``=`` against a
    scalar subquery, which PostgreSQL runs once: under ``IN (…)`` it may run the
    subquery again for each row it scans, and with SKIP LOCKED each run picks the next
    row, leasing them all.
    """
    # Most rounds find nothing: look first, so an idle sender never takes the
    # write lock (on SQLite that would make booking writers wait their turn).
    if await db.fetch_val(sa.select(outbox.c.id).where(_claimable(now)).limit(1)) is None:
        return None
    token = secrets.token_hex(16)
    due = (
        sa.select(outbox.c.id)
        .where(_claimable(now))
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(1)
    )
    if db.url.dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    async with write_transaction(db):
        row = await db.fetch_one(
            outbox.update()
            .where(outbox.c.id == due.scalar_subquery(), _claimable(now))
            .values(
                claim_token=token,
                lease_until=now + LEASE,
                attempts=outbox.c.attempts + 1,
            )
            .returning(*outbox.c)
        )
    return None if row is None else OutboxEmail.from_row(row)


async def mark_sent(db: Database, email: OutboxEmail, now: datetime) -> bool:
    """Record delivery; False if the lease was lost meanwhile (someone else owns the row)."""
    async with write_transaction(db):
        row = await db.fetch_one(
            outbox.update()
            .where(outbox.c.id == email.id, outbox.c.claim_token == email.claim_token)
            .values(status="sent", sent_at=now, lease_until=None, claim_token=None, last_error="")
            .returning(outbox.c.id)
        )
    return row is not None


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 30 s, 1 min, 2 min, … capped at two hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


async def mark_failed_attempt(
    db: Database, email: OutboxEmail, error: str, now: datetime, *, permanent: bool
) -> str:
    """Record a failed attempt: retry later with backoff, or give up. Returns the new status."""
    give_up = permanent or email.attempts >= MAX_ATTEMPTS
    status = "failed" if give_up else "pending"
    async with write_transaction(db):
        await db.execute(
            outbox.update()
            .where(outbox.c.id == email.id, outbox.c.claim_token == email.claim_token)
            .values(
                status=status,
                next_attempt_at=now + retry_delay(email.attempts),
                lease_until=None,
                claim_token=None,
                last_error=error[:2000],
            )
        )
    return status


async def emails_for_studio(
    db: Database,
    studio_id: int,
    statuses: tuple[str, ...] = ("pending", "failed"),
    limit: int | None = None,
) -> list[OutboxEmail]:
    """The studio's emails in these states, newest first: what the dashboard shows."""
    rows = await db.fetch_all(
        outbox.select()
        .where(outbox.c.studio_id == studio_id, outbox.c.status.in_(statuses))
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    return [OutboxEmail.from_row(r) for r in rows]


async def email_by_id(db: Database, email_id: int) -> OutboxEmail | None:
    row = await db.fetch_one(outbox.select().where(outbox.c.id == email_id))
    return OutboxEmail.from_row(row) if row else None


async def emails_for_booking(db: Database, booking_id: int) -> list[OutboxEmail]:
    """Every email about one booking, sent, pending or failed, oldest first (its page)."""
    rows = await db.fetch_all(
        outbox.select().where(outbox.c.booking_id == booking_id).order_by(outbox.c.id)
    )
    return [OutboxEmail.from_row(r) for r in rows]
