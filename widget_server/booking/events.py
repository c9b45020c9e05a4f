"""The booking event log: every state change of a booking, in order."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from databases import Database

from ..db.tables import booking_events


async def record_event(
    db: Database, booking_id: int, kind: str, now: datetime, **detail: Any
) -> None:
    """Append to a booking's log. Call inside the transaction that made the change."""
    await db.execute(
        booking_events.insert().values(
            booking_id=booking_id, kind=kind, detail=json.dumps(detail, default=str), created_at=now
        )
    )


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
