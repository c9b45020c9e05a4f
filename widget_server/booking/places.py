"""Where a slot happens: its location (and so its time zone)."""

from __future__ import annotations

import sqlalchemy as sa
from databases import Database

from ..db.tables import locations, session_days, slots
from .catalog import Location
from .errors import NotFound


async def location_of_slot(db: Database, slot_id: int) -> Location:
    row = await db.fetch_one(
        sa.select(locations)
        .join(session_days, session_days.c.location_id == locations.c.id)
        .join(slots, slots.c.session_day_id == session_days.c.id)
        .where(slots.c.id == slot_id)
    )
    if row is None:
        raise NotFound(f"slot {slot_id}")
    return Location.from_mapping(row._mapping)
