"""Where a slot happens: its location (and so its time zone)."""

from __future__ import annotations

import sqlalchemy as sa
from databases import Database

from ..db.compiled import Prepared
from ..db.tables import locations, session_days, slots
from .catalog import Location
from .errors import NotFound

LOCATION_OF_SLOT = Prepared(
    sa.select(locations)
    .join(session_days, session_days.c.location_id == locations.c.id)
    .join(slots, slots.c.session_day_id == session_days.c.id)
    .where(slots.c.id == sa.bindparam("slot"))
)


async def location_of_slot(db: Database, slot_id: int) -> Location:
    row = await db.fetch_one(LOCATION_OF_SLOT.bind(slot=slot_id))
    if row is None:
        raise NotFound(f"slot {slot_id}")
    return Location.from_mapping(row._mapping)
