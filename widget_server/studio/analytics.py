"""The studio's opt-in to report bookings to the analytics on the host page (GA4, Meta Pixel)
through the embed: switched on and off on the Integrations page."""

from __future__ import annotations

from databases import Database

from ..db.tables import studios
from ..db.transactions import write_transaction


async def set_report_conversions(db: Database, studio_id: int, on: bool) -> None:
    async with write_transaction(db):
        await db.execute(
            studios.update().where(studios.c.id == studio_id).values(report_conversions=on)
        )
