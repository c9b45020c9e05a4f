"""Offline bookings nobody has paid for: a reminder before their deadline, then release.

A client who chose to pay the studio directly (bank transfer, at the studio...) is
booked at once with the whole amount pending. If the studio hasn't marked it received
``offline_pay_hours`` after the booking (a mini session setting, 72 by default; 0 for
no deadline), the time goes back to the public and both sides are told
(``cancel.release_unpaid``): a script choosing "pay later" can't keep a mini session's
times for ever. A reminder goes first, a day before the deadline (halfway for shorter
deadlines), once per booking. Deadlines that fall after the session's start are not
kept: the studio is paid at the session then.

Runs in the background upkeep (web processes or ``minis worker``); any number of
processes may run it at once: the reminder is queued under a dedupe key and the
release is a conditional UPDATE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from databases import Database

from ..db.outbox import enqueue
from ..db.rows import fetch_all_as
from ..db.tables import bookings, leads, mini_sessions, outbox, payments, slots
from ..db.transactions import write_transaction
from .cancel import release_unpaid
from .email_facts import FACTS_KEY, take_facts
from .errors import WrongState
from .views import BookingView, load_booking_view

REMIND_BEFORE = timedelta(hours=24)


def payment_deadline(booked_at: datetime, starts_at: datetime, hours: int) -> datetime | None:
    """When an unpaid offline booking is released, or None when it isn't (no deadline, or
    one the session itself comes before)."""
    if hours <= 0:
        return None
    deadline = booked_at + timedelta(hours=hours)
    return deadline if deadline < starts_at else None


def offline_deadline(booking: BookingView) -> datetime | None:
    """When ``booking`` is released unless its offline payment is received, if ever."""
    pending = any(p.method == "offline" and p.status == "pending" for p in booking.payments)
    if booking.status != "booked" or booking.booked_at is None or not pending:
        return None
    return payment_deadline(booking.booked_at, booking.starts_at, booking.mini.offline_pay_hours)


def reminder_time(booked_at: datetime, deadline: datetime) -> datetime:
    return max(deadline - REMIND_BEFORE, booked_at + (deadline - booked_at) / 2)


@dataclass(frozen=True)
class Unpaid:
    id: int
    public_id: str
    studio_id: int
    email: str
    slot_id: int
    payment_id: int
    booked_at: datetime
    starts_at: datetime
    offline_pay_hours: int

    @property
    def deadline(self) -> datetime | None:
        return payment_deadline(self.booked_at, self.starts_at, self.offline_pay_hours)


async def unpaid_offline_bookings(db: Database, now: datetime) -> list[Unpaid]:
    """Booked, upcoming, with a pending offline payment and a mini session that has a
    deadline."""
    query = (
        sa.select(
            bookings.c.id,
            bookings.c.public_id,
            mini_sessions.c.studio_id,
            leads.c.email,
            bookings.c.slot_id,
            payments.c.id.label("payment_id"),
            bookings.c.booked_at,
            slots.c.starts_at,
            mini_sessions.c.offline_pay_hours,
        )
        .join(payments, payments.c.booking_id == bookings.c.id)
        .join(slots, slots.c.id == bookings.c.slot_id)
        .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
        .join(leads, leads.c.id == bookings.c.lead_id)
        .where(
            bookings.c.status == "booked",
            bookings.c.booked_at.is_not(None),
            payments.c.method == "offline",
            payments.c.status == "pending",
            mini_sessions.c.offline_pay_hours > 0,
            slots.c.starts_at > now,
        )
        .order_by(bookings.c.id)
    )
    return await fetch_all_as(db, query, Unpaid)


def reminder_key(booking_id: int) -> str:
    return f"payment_due:{booking_id}"


async def remind_and_release_unpaid(db: Database, now: datetime) -> tuple[int, int]:
    """One round: (reminders queued, bookings released)."""
    reminded = released = 0
    for unpaid in await unpaid_offline_bookings(db, now):
        deadline = unpaid.deadline
        if deadline is None:
            continue
        if now >= deadline:
            booking = await load_booking_view(db, unpaid.public_id)
            try:
                if booking is not None and await release_unpaid(
                    db, booking, unpaid.payment_id, deadline, now
                ):
                    released += 1
            except WrongState:  # cancelled or moved meanwhile: the next round looks again
                continue
        elif now >= reminder_time(unpaid.booked_at, deadline):
            if await db.fetch_val(
                sa.select(outbox.c.id).where(outbox.c.dedupe_key == reminder_key(unpaid.id))
            ):
                continue  # reminded already
            # Read before the transaction: on SQLite a transaction writes first.
            facts = await take_facts(db, unpaid.id)
            async with write_transaction(db):
                queued = await enqueue(
                    db,
                    studio_id=unpaid.studio_id,
                    booking_id=unpaid.id,
                    kind="payment_due",
                    recipient=unpaid.email,
                    payload={
                        "slot_id": unpaid.slot_id,
                        "deadline": deadline.isoformat(),
                        FACTS_KEY: facts,
                    },
                    now=now,
                    dedupe_key=reminder_key(unpaid.id),
                )
            reminded += queued is not None
    return reminded, released
