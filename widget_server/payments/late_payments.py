"""Money that arrived for a booking that can no longer be booked.

A client may finish paying on the provider's page after their hold ran out and
someone else took the last spot (or after the booking was cancelled). ``book``
refuses such a payment and writes nothing; this module records it anyway, with
an event for the photographer, so the payment is never silently lost and the
caller can refund it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..booking.bookings import NewPayment, insert_payment_once
from ..booking.events import record_event
from ..booking.holds import lock_slot
from ..booking.views import BookingView
from ..db.rows import fetch_all_as
from ..db.tables import booking_events
from ..db.transactions import write_transaction


class _Detail(NamedTuple):
    detail: str  # the event's JSON


SLOT_TAKEN = "paid_after_slot_taken"
NOT_BOOKABLE = "paid_when_not_bookable"


async def record_unbookable_payment(
    db: Database, booking: BookingView, payment: NewPayment, reason: str, now: datetime
) -> bool:
    """Record ``payment`` without booking; False when it was already recorded.

    ``reason`` is "taken" (someone else has the slot) or the booking's state.
    """
    kind = SLOT_TAKEN if reason == "taken" else NOT_BOOKABLE
    async with write_transaction(db):
        await lock_slot(db, booking.slot_id)  # same order as book(): slot first
        if not await insert_payment_once(db, booking.id, payment, now):
            return False
        await record_event(
            db,
            booking.id,
            kind,
            now,
            method=payment.method,
            provider_ref=payment.provider_ref,
            amount_minor=payment.amount_minor,
            reason=reason,
        )
    return True


async def was_unbookable(db: Database, booking_id: int, provider_ref: str) -> bool:
    """Whether this payment was recorded by ``record_unbookable_payment`` (so it is owed back)."""
    rows = await fetch_all_as(
        db,
        sa.select(booking_events.c.detail).where(
            booking_events.c.booking_id == booking_id,
            booking_events.c.kind.in_((SLOT_TAKEN, NOT_BOOKABLE)),
        ),
        _Detail,
    )
    return any(json.loads(r.detail).get("provider_ref") == provider_ref for r in rows)
