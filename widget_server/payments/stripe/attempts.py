"""Hosted checkout sessions: a payment provider's page the client pays on, tracked per attempt.

A row is written *before* the provider is asked to create the session, with the
idempotency key the create call will use. A retry after an error or a timeout
finds that row and sends the same key, so the provider hands back the session it
may already have made: one booking never gets two live sessions for the same
purpose, and the client can never pay twice for it.

For the amount due now the booking's hold is extended to the session's expiry
in the same transaction (the provider keeps a session open at least 30 minutes,
and the spot must stay ours while it can still be paid).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from databases import Database

from ...booking.bookings import secure_spot
from ...booking.errors import WrongState
from ...booking.events import record_event
from ...booking.holds import lock_slot, release_spot
from ...booking.views import BookingView
from ...db.insert_once import insert_once
from ...db.rows import fetch_one_as, row_as
from ...db.tables import bookings, checkout_sessions
from ...db.transactions import write_transaction

# The provider refuses sessions that expire sooner than 30 minutes after creation;
# one more minute covers the clock skew between us and them.
MIN_LIFETIME = timedelta(minutes=31)
# ... and later than 24 hours.
MAX_LIFETIME = timedelta(hours=23)
# Reusing a session that is about to expire would leave the client no time to pay.
REUSE_MARGIN = timedelta(minutes=2)
LIVE = ("creating", "open")


@dataclass(frozen=True)
class CheckoutAttempt:
    id: int
    booking_id: int
    purpose: str  # due_now, balance
    idempotency_key: str
    session_id: str | None
    url: str | None
    payment_intent: str | None
    amount_minor: int
    currency: str
    status: str
    expires_at: datetime


async def start_checkout(
    db: Database, booking: BookingView, purpose: str, now: datetime
) -> CheckoutAttempt:
    """The checkout attempt to send the client to: a live one, or a new one written now.

    ``due_now`` needs the booking held (it secures the spot until the session
    expires; SlotUnavailable if the hold lapsed and the slot filled, WrongState
    when it is already booked or cancelled). ``balance`` needs it booked with a
    balance left.
    """
    if purpose == "due_now":
        amount = booking.quote.due_now_minor if booking.quote else 0
    elif purpose == "balance":
        amount = booking.balance_minor
        if booking.status != "booked":
            raise WrongState(booking.status)
    else:
        raise ValueError(purpose)
    if amount <= 0:
        raise WrongState("nothing_due")
    async with write_transaction(db):
        await lock_slot(db, booking.slot_id)
        live = await db.fetch_one(
            sa.select(checkout_sessions)
            .where(
                checkout_sessions.c.booking_id == booking.id,
                checkout_sessions.c.purpose == purpose,
                checkout_sessions.c.status.in_(LIVE),
                checkout_sessions.c.amount_minor == amount,
                checkout_sessions.c.expires_at > now + REUSE_MARGIN,
            )
            .order_by(checkout_sessions.c.id.desc())
        )
        if live is not None:
            return row_as(live, CheckoutAttempt)
        # Whole seconds: the provider takes a Unix time, and the hold must end exactly then.
        expires_at = (now + MIN_LIFETIME).replace(microsecond=0) + timedelta(seconds=1)
        if purpose == "due_now":
            if booking.expires_at is not None and booking.expires_at > expires_at:
                expires_at = min(booking.expires_at, now + MAX_LIFETIME).replace(microsecond=0)
            status = await secure_spot(db, booking.id, expires_at, now)
            if status != "held":
                raise WrongState(status)
        else:
            expires_at = (now + MAX_LIFETIME).replace(microsecond=0)
        tries = await db.fetch_val(
            sa.select(sa.func.count())
            .select_from(checkout_sessions)
            .where(
                checkout_sessions.c.booking_id == booking.id,
                checkout_sessions.c.purpose == purpose,
            )
        )
        key = f"minis-checkout-{booking.public_id}-{purpose}-{int(tries) + 1}"
        new_id = await insert_once(
            db,
            checkout_sessions,
            {
                "booking_id": booking.id,
                "purpose": purpose,
                "idempotency_key": key,
                "amount_minor": amount,
                "currency": booking.currency,
                "status": "creating",
                "expires_at": expires_at,
                "created_at": now,
            },
            unique=["idempotency_key"],
        )
        assert new_id is not None  # the slot lock serialises attempts of one booking
        await record_event(
            db, booking.id, "checkout_started", now, purpose=purpose, expires_at=expires_at
        )
        attempt = await fetch_one_as(
            db, checkout_sessions.select().where(checkout_sessions.c.id == new_id), CheckoutAttempt
        )
    assert attempt is not None  # written just now, in this transaction
    return attempt


async def session_created(db: Database, attempt_id: int, session_id: str, url: str) -> None:
    """The provider answered the create call: remember its session id and page."""
    async with write_transaction(db):
        await db.execute(
            checkout_sessions.update()
            .where(checkout_sessions.c.id == attempt_id)
            .values(
                session_id=session_id,
                url=url,
                status=sa.case(
                    (checkout_sessions.c.status == "creating", "open"),
                    else_=checkout_sessions.c.status,
                ),
            )
        )


async def find_attempt(
    db: Database, *, session_id: str | None = None, attempt_id: int | None = None
) -> CheckoutAttempt | None:
    """An attempt by the provider's session id, else by our own id (from its metadata)."""
    if session_id:
        row = await db.fetch_one(
            checkout_sessions.select().where(checkout_sessions.c.session_id == session_id)
        )
        if row is not None:
            return row_as(row, CheckoutAttempt)
    if attempt_id is not None:
        row = await db.fetch_one(
            checkout_sessions.select().where(checkout_sessions.c.id == attempt_id)
        )
        if row is not None:
            return row_as(row, CheckoutAttempt)
    return None


async def attempt_by_payment_intent(db: Database, payment_intent: str) -> CheckoutAttempt | None:
    row = await db.fetch_one(
        checkout_sessions.select().where(checkout_sessions.c.payment_intent == payment_intent)
    )
    return None if row is None else row_as(row, CheckoutAttempt)


async def _move_attempt(
    db: Database,
    attempt: CheckoutAttempt,
    status: str,
    session_id: str | None = None,
    payment_intent: str | None = None,
) -> bool:
    """The conditional UPDATE behind ``mark_attempt``; call inside a write transaction."""
    values: dict[str, object] = {"status": status}
    if session_id:
        values["session_id"] = session_id
    if payment_intent:
        values["payment_intent"] = payment_intent
    changed = await db.fetch_one(
        checkout_sessions.update()
        .where(
            checkout_sessions.c.id == attempt.id,
            checkout_sessions.c.status != status,
            checkout_sessions.c.status != "complete",
        )
        .values(**values)
        .returning(checkout_sessions.c.id)
    )
    if changed is None and len(values) > 1:
        await db.execute(
            checkout_sessions.update()
            .where(checkout_sessions.c.id == attempt.id)
            .values({k: v for k, v in values.items() if k != "status"})
        )
    return changed is not None


async def mark_attempt(
    db: Database,
    attempt: CheckoutAttempt,
    status: str,
    now: datetime,
    *,
    session_id: str | None = None,
    payment_intent: str | None = None,
    event: str | None = None,
) -> bool:
    """Move an attempt to ``status``; a finished one (complete) never moves back.

    ``event`` goes in the booking's log in the same transaction, only when the status
    changed (so a replayed notification logs nothing). Returns whether it changed.
    """
    async with write_transaction(db):
        changed = await _move_attempt(db, attempt, status, session_id, payment_intent)
        if changed and event:
            await record_event(db, attempt.booking_id, event, now, purpose=attempt.purpose)
    return changed


async def checkout_expired(db: Database, attempt: CheckoutAttempt, now: datetime) -> bool:
    """The provider expired a session: free the hold it was keeping, unless a newer attempt
    extended it. True when a hold was freed."""
    slot_id = await db.fetch_val(
        sa.select(bookings.c.slot_id).where(bookings.c.id == attempt.booking_id)
    )
    async with write_transaction(db):
        await lock_slot(db, slot_id)  # first: the write lock, then read and change
        if not await _move_attempt(db, attempt, "expired") or attempt.purpose != "due_now":
            return False
        freed = await db.fetch_one(
            bookings.update()
            .where(
                bookings.c.id == attempt.booking_id,
                bookings.c.status == "held",
                bookings.c.expires_at <= attempt.expires_at,
            )
            .values(status="expired")
            .returning(bookings.c.id)
        )
        if freed is None:
            return False
        await release_spot(db, slot_id, now)
        await record_event(db, attempt.booking_id, "hold_expired", now, reason="checkout_expired")
    return True
