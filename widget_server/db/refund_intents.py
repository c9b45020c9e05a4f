"""Refund intents: each refund owed is a row, written with the change that owes it.

As with the outbox, nothing is lost: the intent commits in the same transaction as the
cancellation that decides it, so a crash or an outage right after the commit leaves a
row that any process carries out later (payments/refunds.py). Nothing is asked twice at
once: a runner claims ONE intent with a conditional ``UPDATE … RETURNING`` that sets a
lease (a random ``claim_token`` and ``lease_until``); while the lease is live nobody
else can claim it, and only the token's holder records the outcome. A runner that dies
mid-call leaves a lease that runs out, and the intent is claimed again with the same
request key, which the provider and ``record_refund`` both honour: it refunds once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from databases import Database

from .insert_once import insert_once
from .rows import fetch_all_as, fetch_one_as
from .tables import refund_intents
from .transactions import write_transaction

# Longer than one refund can take: a Stripe call times out after 20 s and is retried
# once, after a session lookup that may take as long.
LEASE = timedelta(minutes=5)
MAX_ERROR = 300


@dataclass(frozen=True)
class RefundIntent:
    """A refund owed: ``amount_minor`` of ``payment_id``, asked for with ``request_key``."""

    id: int
    booking_id: int
    payment_id: int
    amount_minor: int
    request_key: str
    reason: str
    state: str  # pending, done, failed (automatic retries over)
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    claim_token: str | None = None


COLUMNS = [refund_intents.c[name] for name in RefundIntent.__dataclass_fields__]


async def owe_refund(
    db: Database,
    *,
    booking_id: int,
    payment_id: int,
    amount_minor: int,
    key: str,
    reason: str,
    now: datetime,
) -> int | None:
    """Record a refund owed, due at once. Call inside the transaction that decides it.

    Returns the intent's id, or None when this payment already owes a refund under
    ``key`` (one request key, one refund).
    """
    return await insert_once(
        db,
        refund_intents,
        {
            "booking_id": booking_id,
            "payment_id": payment_id,
            "amount_minor": amount_minor,
            "request_key": key,
            "reason": reason,
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
        unique=["payment_id", "request_key"],
    )


def _unleased(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(refund_intents.c.lease_until.is_(None), refund_intents.c.lease_until <= now)


def _due(now: datetime) -> sa.ColumnElement[bool]:
    """What the background may take: owed, its wait over, nobody on it."""
    return sa.and_(
        refund_intents.c.state == "pending",
        refund_intents.c.next_attempt_at <= now,
        _unleased(now),
    )


def _open(now: datetime) -> sa.ColumnElement[bool]:
    """What the photographer's Retry may take: owed (waiting or given up on), nobody on it."""
    return sa.and_(refund_intents.c.state.in_(("pending", "failed")), _unleased(now))


async def _claim(
    db: Database, now: datetime, claimable: sa.ColumnElement[bool]
) -> RefundIntent | None:
    """Lease one intent matching ``claimable`` to this caller (oldest due first).

    The outer WHERE repeats the condition: on PostgreSQL a claimer that waited for the
    row lock re-checks it against the row the winner wrote and finds the live lease
    (SKIP LOCKED makes it pass over locked rows without waiting at all). SQLite runs the
    statement under its single write lock. The id is matched with ``=`` against a scalar
    subquery, which PostgreSQL runs once: under ``IN (…)`` it may run the subquery again
    for each row it scans, and with SKIP LOCKED each run picks the next row, leasing all.
    """
    # Most rounds find nothing: look first, so an idle runner never takes the write lock.
    if await db.fetch_val(sa.select(refund_intents.c.id).where(claimable).limit(1)) is None:
        return None
    pick = (
        sa.select(refund_intents.c.id)
        .where(claimable)
        .order_by(refund_intents.c.next_attempt_at, refund_intents.c.id)
        .limit(1)
    )
    if db.url.dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    async with write_transaction(db):
        return await fetch_one_as(
            db,
            refund_intents.update()
            .where(refund_intents.c.id == pick.scalar_subquery(), claimable)
            .values(
                claim_token=secrets.token_hex(16),
                lease_until=now + LEASE,
                attempts=refund_intents.c.attempts + 1,
            )
            .returning(*COLUMNS),
            RefundIntent,
        )


async def claim_due(db: Database, now: datetime) -> RefundIntent | None:
    """The next intent whose wait is over, leased to this caller; None when there is none."""
    return await _claim(db, now, _due(now))


async def claim_intent(
    db: Database, intent_id: int, now: datetime, *, even_if_waiting: bool = False
) -> RefundIntent | None:
    """Lease intent ``intent_id`` if it is owed and nobody holds it (None otherwise).

    ``even_if_waiting`` takes it before its wait is over, or after the automatic retries
    gave up: the photographer asked.
    """
    claimable = _open(now) if even_if_waiting else _due(now)
    return await _claim(db, now, sa.and_(refund_intents.c.id == intent_id, claimable))


async def mark_done(db: Database, intent: RefundIntent, now: datetime) -> None:
    """The refund is made (or was found made): release the lease, never try it again."""
    async with write_transaction(db):
        await db.execute(
            refund_intents.update()
            .where(
                refund_intents.c.id == intent.id,
                refund_intents.c.claim_token == intent.claim_token,
            )
            .values(state="done", done_at=now, lease_until=None, claim_token=None)
        )


async def mark_failed(
    db: Database,
    intent: RefundIntent,
    error: str,
    *,
    next_attempt_at: datetime,
    give_up: bool,
) -> None:
    """A failed attempt: release the lease and wait, or leave it to the photographer."""
    async with write_transaction(db):
        await db.execute(
            refund_intents.update()
            .where(
                refund_intents.c.id == intent.id,
                refund_intents.c.claim_token == intent.claim_token,
                refund_intents.c.state != "done",
            )
            .values(
                state="failed" if give_up else "pending",
                next_attempt_at=next_attempt_at,
                lease_until=None,
                claim_token=None,
                last_error=error[:MAX_ERROR],
            )
        )


async def settle(db: Database, payment_id: int, key: str, now: datetime) -> None:
    """The refund asked for with ``key`` is recorded: its intent (if any) is done, whoever
    holds it. Call inside the transaction that records the refund."""
    await db.execute(
        refund_intents.update()
        .where(
            refund_intents.c.payment_id == payment_id,
            refund_intents.c.request_key == key,
            refund_intents.c.state != "done",
        )
        .values(state="done", done_at=now)
    )


async def open_intents(db: Database, booking_id: int) -> list[RefundIntent]:
    """The booking's refunds still owed (pending or given up on), oldest first."""
    return await fetch_all_as(
        db,
        sa.select(*COLUMNS)
        .where(
            refund_intents.c.booking_id == booking_id,
            refund_intents.c.state.in_(("pending", "failed")),
        )
        .order_by(refund_intents.c.id),
        RefundIntent,
    )
