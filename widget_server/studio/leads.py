"""The photographer closes a lead they have finished following up, or reopens it.

A lead is the client's record with the studio (scheduling_in_progress, booked,
closed). Closing is refused while the lead has a live booking (booked, or a hold
that has not lapsed): the client is still coming, or still choosing. The check and
the change are one conditional UPDATE, so a client booking at that moment can't
slip past it. Each change is logged on the lead's bookings.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from databases import Database

from ..booking.availability import live_bookings_on
from ..booking.events import record_event
from ..booking.webhook_events import queue_lead_closed
from ..db.rows import IdRow, fetch_all_as
from ..db.tables import bookings, leads
from ..db.transactions import write_transaction

# What a reopened lead goes back to: the photographer is following it up again.
REOPENED = "scheduling_in_progress"


async def _log(db: Database, lead_id: int, kind: str, now: datetime) -> list[int]:
    ids = await fetch_all_as(
        db, sa.select(bookings.c.id).where(bookings.c.lead_id == lead_id), IdRow
    )
    for row in ids:
        await record_event(db, row.id, kind, now, by="studio")
    return [row.id for row in ids]


async def close_lead(db: Database, studio_id: int, lead_id: int, now: datetime) -> str:
    """Close the studio's lead: "closed", "already" (it was), or "live" (refused)."""
    live = sa.exists().where(bookings.c.lead_id == leads.c.id, live_bookings_on(now))
    async with write_transaction(db):
        row = await db.fetch_one(
            leads.update()
            .where(
                leads.c.id == lead_id,
                leads.c.studio_id == studio_id,
                leads.c.status != "closed",
                ~live,
            )
            .values(status="closed", updated_at=now)
            .returning(leads.c.id)
        )
        if row is not None:
            booking_ids = await _log(db, lead_id, "lead_closed", now)
            await queue_lead_closed(db, studio_id, lead_id, booking_ids, now)
            return "closed"
    status = await db.fetch_val(
        sa.select(leads.c.status).where(leads.c.id == lead_id, leads.c.studio_id == studio_id)
    )
    return "already" if status == "closed" else "live"


async def reopen_lead(db: Database, studio_id: int, lead_id: int, now: datetime) -> bool:
    """Reopen the studio's closed lead (back to the follow-up list); False if it wasn't closed."""
    async with write_transaction(db):
        row = await db.fetch_one(
            leads.update()
            .where(
                leads.c.id == lead_id, leads.c.studio_id == studio_id, leads.c.status == "closed"
            )
            .values(status=REOPENED, updated_at=now)
            .returning(leads.c.id)
        )
        if row is None:
            return False
        await _log(db, lead_id, "lead_reopened", now)
    return True
