"""Archiving: a studio's location or mini session leaves the choices, its history stays."""

from __future__ import annotations

import sqlalchemy as sa
from databases import Database

from ..db.tables import locations, mini_sessions
from ..db.transactions import write_transaction


async def _set_archived(
    db: Database, table: sa.Table, studio_id: int, row_id: int, archived: bool
) -> bool:
    """Archive or bring back one of the studio's rows of ``table`` (a location or a mini
    session); False when there is no such row in that studio (another studio's is the same)."""
    async with write_transaction(db):
        updated = await db.fetch_val(
            table.update()
            .where(table.c.id == row_id, table.c.studio_id == studio_id)
            .values(archived=archived)
            .returning(table.c.id)
        )
    return updated is not None


async def set_location_archived(
    db: Database, studio_id: int, location_id: int, archived: bool
) -> bool:
    """An archived location is not offered for new session days; its days stay as they are."""
    return await _set_archived(db, locations, studio_id, location_id, archived)


async def set_mini_archived(db: Database, studio_id: int, mini_id: int, archived: bool) -> bool:
    """An archived mini session is off the booking site and can't be booked; its bookings stay."""
    return await _set_archived(db, mini_sessions, studio_id, mini_id, archived)
