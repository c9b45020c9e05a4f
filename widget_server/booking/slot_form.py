"""What the details form needs of one slot, in one query (the form's page and the hold).

The slot as a client sees it now (availability.py), where it happens (its location, and
so its time zone), and whether its mini session asks questions or is taxed: the form
reads its questions (questions.py) and the hold its tax rates (extras.taxes_of) only
when there are some, which most mini sessions have not. One statement where there
were four; read-only, before any transaction, like the reads it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from databases import Database

from ..db.compiled import Prepared
from ..db.rows import row_as
from ..db.tables import locations, session_days, slots
from .availability import SlotAvailability, SlotRow, seen_now, slot_columns
from .catalog import Location, MiniSession
from .errors import NotFound
from .extras import rates_applying
from .questions import asks_questions


@dataclass(frozen=True)
class SlotForm:
    slot: SlotAvailability
    location: Location
    asks: bool  # the mini session asks questions now
    taxed: bool  # a live tax rate of the studio applies to the mini session


MINI: sa.BindParameter[int] = sa.bindparam("mini")
SLOT_FORM = Prepared(
    sa.select(
        *slot_columns(),
        *[c.label(f"l_{c.name}") for c in locations.c],
        asks_questions(MINI).label("asks"),
        sa.exists().where(rates_applying(sa.bindparam("studio"), MINI)).label("taxed"),
    )
    .join(session_days, session_days.c.id == slots.c.session_day_id)
    .join(locations, locations.c.id == session_days.c.location_id)
    .where(slots.c.id == sa.bindparam("slot"), slots.c.mini_session_id == MINI)
)


async def slot_form(
    db: Database, studio_id: int, mini: MiniSession, slot_id: int, now: datetime
) -> SlotForm:
    """``slot_id`` of this mini session (of this studio) for the details form, as a client
    sees it now; NotFound if it is not the mini session's slot."""
    row = await db.fetch_one(SLOT_FORM.bind(slot=slot_id, mini=mini.id, studio=studio_id, now=now))
    if row is None:
        raise NotFound(f"slot {slot_id}")
    return SlotForm(
        slot=seen_now(row_as(row, SlotRow), now, mini.min_notice_hours),
        location=Location.from_mapping(row._mapping, "l_"),
        asks=bool(row["asks"]),
        taxed=bool(row["taxed"]),
    )
