"""The booking event log: every state change of a booking, in order."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from databases import Database

from ..db.compiled import PreparedInsert
from ..db.tables import booking_events
from .webhook_events import queue_for_event

EVENT = PreparedInsert(booking_events, ("booking_id", "kind", "detail", "created_at"))


async def record_event(
    db: Database, booking_id: int, kind: str, now: datetime, **detail: Any
) -> None:
    """Append to a booking's log. Call inside the transaction that made the change.

    The studio's webhook endpoints that want this change get a delivery in the same
    transaction (booking/webhook_events.py)."""
    await db.execute(
        EVENT.bind(
            booking_id=booking_id, kind=kind, detail=json.dumps(detail, default=str), created_at=now
        )
    )
    await queue_for_event(db, booking_id, kind, detail, now)


async def events_for(db: Database, booking_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch_all(
        booking_events.select()
        .where(booking_events.c.booking_id == booking_id)
        .order_by(booking_events.c.id)
    )
    return [{**dict(r._mapping), "detail": json.loads(r._mapping["detail"])} for r in rows]


# The changes that move or remove a booking's entry in the client's calendar. Each one
# raises the SEQUENCE of the booking's calendar files, so calendar apps take the newer file.
CALENDAR_CHANGES = ("rescheduled", "cancelled")


async def calendar_sequence(db: Database, booking_id: int) -> int:
    """The SEQUENCE of the booking's calendar entry now: 0 when booked, one more for every
    reschedule and for the cancellation. Counted from the log, which every change writes in
    its own transaction, so it only ever rises and two readers never disagree."""
    count = await db.fetch_val(
        sa.select(sa.func.count())
        .select_from(booking_events)
        .where(
            booking_events.c.booking_id == booking_id,
            booking_events.c.kind.in_(CALENDAR_CHANGES),
        )
    )
    return int(count or 0)
