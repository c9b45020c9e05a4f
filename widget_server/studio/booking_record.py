"""Everything the dashboard's page for one booking shows beyond the booking itself: its
log, its refunds, its emails, its day and the lead's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from databases import Database

from ..booking.events import events_for
from ..booking.views import BookingView
from ..db.outbox import OutboxEmail, emails_for_booking
from ..db.tables import leads, refunds, slots


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


async def booking_record(db: Database, booking: BookingView) -> BookingRecord:
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
    return BookingRecord(
        events=await events_for(db, booking.id),
        refunds=[RefundLine(**dict(row._mapping)) for row in refund_rows],
        emails=await emails_for_booking(db, booking.id),
        day_id=int(day_id),
        lead_status=str(lead_status),
    )
