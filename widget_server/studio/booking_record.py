"""Everything the dashboard's page for one booking shows beyond the booking itself: its
log, its refunds, its emails, its day and the lead's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from databases import Database

from ..booking.availability import live_bookings_on
from ..booking.events import events_for
from ..booking.views import BookingView
from ..db.outbox import OutboxEmail, emails_for_booking
from ..db.rows import fetch_all_as
from ..db.tables import bookings, leads, refunds, slots


@dataclass(frozen=True)
class RefundLine:
    method: str
    amount_minor: int
    status: str  # pending, succeeded, failed
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class BookingRecord:
    events: list[dict[str, Any]]  # the booking's log, oldest first
    refunds: list[RefundLine]
    emails: list[OutboxEmail]
    day_id: int
    lead_status: str
    lead_live: bool  # any booking of this client is booked or holds a spot right now
    slot_starts: dict[int, datetime]  # the slots the log names (moves), by id


class _SlotStart(NamedTuple):
    id: int
    starts_at: datetime


async def booking_record(db: Database, booking: BookingView, now: datetime) -> BookingRecord:
    """The record of ``booking``, which the caller has already found in the viewer's studio."""
    refund_rows = await db.fetch_all(
        sa.select(
            refunds.c.method,
            refunds.c.amount_minor,
            refunds.c.status,
            refunds.c.reason,
            refunds.c.created_at,
        )
        .where(refunds.c.booking_id == booking.id)
        .order_by(refunds.c.id)
    )
    day_id = await db.fetch_val(
        sa.select(slots.c.session_day_id).where(slots.c.id == booking.slot_id)
    )
    lead_status = await db.fetch_val(sa.select(leads.c.status).where(leads.c.id == booking.lead_id))
    lead_live = await db.fetch_val(
        sa.select(sa.func.count())
        .select_from(bookings)
        .where(bookings.c.lead_id == booking.lead_id, live_bookings_on(now))
    )
    events = await events_for(db, booking.id)
    named = {
        e["detail"][key]
        for e in events
        for key in ("from_slot_id", "to_slot_id", "slot_id")
        if isinstance(e["detail"].get(key), int)
    }
    starts = (
        await fetch_all_as(
            db,
            sa.select(slots.c.id, slots.c.starts_at).where(slots.c.id.in_(named)),
            _SlotStart,
        )
        if named
        else []
    )
    return BookingRecord(
        events=events,
        slot_starts={int(r.id): r.starts_at for r in starts},
        refunds=[RefundLine(**dict(row._mapping)) for row in refund_rows],
        emails=await emails_for_booking(db, booking.id),
        day_id=int(day_id),
        lead_status=str(lead_status),
        lead_live=bool(lead_live),
    )
