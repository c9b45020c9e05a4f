"""Spots left per slot, as a client sees them right now.

Counts live holds and bookings directly rather than trusting ``slots.taken``,
so a hold that lapsed a second ago shows as free even before it is swept.
Enforcement stays in holds.py; this module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from databases import Database

from ..db.compiled import Prepared
from ..db.rows import fetch_all_as
from ..db.tables import bookings, slots
from .errors import NotFound


@dataclass(frozen=True)
class SlotAvailability:
    id: int
    session_day_id: int
    mini_session_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    spots_left: int
    # None when bookable, else "past", "too_soon", "blocked" or "full".
    unavailable_reason: str | None

    @property
    def bookable(self) -> bool:
        return self.unavailable_reason is None


class SlotRow(NamedTuple):
    """A slot with the number of live bookings on it."""

    id: int
    session_day_id: int
    mini_session_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    blocked: bool
    live: int


def live_bookings_on(now: datetime | sa.ColumnElement[datetime]) -> sa.ColumnElement[bool]:
    """Bookings that occupy a spot: booked, or held and not yet lapsed."""
    return sa.or_(
        bookings.c.status == "booked",
        sa.and_(bookings.c.status == "held", bookings.c.expires_at > now),
    )


def live_on_slot(now: datetime | sa.ColumnElement[datetime]) -> sa.ColumnElement[int]:
    """Live bookings of the slot of the enclosing query (a correlated count).

    It reads only that slot's held and booked rows (the partial index
    ``ix_bookings_live_slot``), so it costs the same with 10 or 10,000 past bookings.
    ``taken`` counts live holds, bookings and lapsed holds not yet swept, so a slot
    with ``taken = 0`` has none and needs no look at all (most slots, most of the time).
    """
    count = (
        sa.select(sa.func.count())
        .select_from(bookings)
        .where(bookings.c.slot_id == slots.c.id, live_bookings_on(now))
        .scalar_subquery()
    )
    return sa.case((slots.c.taken == 0, 0), else_=count)


# The columns every availability query reads, with the live count named ``live``.
NOW = sa.bindparam("now", type_=slots.c.starts_at.type)


def slot_columns() -> list[sa.ColumnElement[Any]]:
    return [
        slots.c.id,
        slots.c.session_day_id,
        slots.c.mini_session_id,
        slots.c.starts_at,
        slots.c.ends_at,
        slots.c.capacity,
        slots.c.blocked,
        live_on_slot(NOW).label("live"),
    ]


# One day's upcoming slots (the day a page shows), in time order.
DAY_SLOTS = Prepared(
    sa.select(*slot_columns())
    .where(slots.c.session_day_id == sa.bindparam("day"), slots.c.starts_at > NOW)
    .order_by(slots.c.starts_at, slots.c.id)
)
# One slot of one mini session, past or not (the details form, a hold).
ONE_SLOT = Prepared(
    sa.select(*slot_columns()).where(
        slots.c.id == sa.bindparam("slot"), slots.c.mini_session_id == sa.bindparam("mini")
    )
)
# Every upcoming slot of one mini session (rescheduling, the studio's move).
MINI_SLOTS = Prepared(
    sa.select(*slot_columns())
    .where(slots.c.mini_session_id == sa.bindparam("mini"), slots.c.starts_at > NOW)
    .order_by(slots.c.starts_at, slots.c.id)
)


def unavailable_reason(
    *, starts_at: datetime, blocked: bool, spots_left: int, now: datetime, min_notice_hours: int
) -> str | None:
    if starts_at <= now:
        return "past"
    if starts_at < now + timedelta(hours=min_notice_hours):
        return "too_soon"
    if blocked:
        return "blocked"
    if spots_left <= 0:
        return "full"
    return None


def seen_now(row: SlotRow, now: datetime, min_notice_hours: int) -> SlotAvailability:
    """A slot as a client sees it now, from its row (``slot_columns``)."""
    spots_left = max(row.capacity - row.live, 0)
    return SlotAvailability(
        id=row.id,
        session_day_id=row.session_day_id,
        mini_session_id=row.mini_session_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        capacity=row.capacity,
        spots_left=spots_left,
        unavailable_reason=unavailable_reason(
            starts_at=row.starts_at,
            blocked=row.blocked,
            spots_left=spots_left,
            now=now,
            min_notice_hours=min_notice_hours,
        ),
    )


def _availability(
    rows: list[SlotRow], now: datetime, min_notice_hours: int
) -> list[SlotAvailability]:
    return [seen_now(r, now, min_notice_hours) for r in rows]


async def day_slots(
    db: Database, *, day_id: int, now: datetime, min_notice_hours: int
) -> list[SlotAvailability]:
    """The upcoming slots of one session day, as a client sees them now."""
    rows = await fetch_all_as(db, DAY_SLOTS.bind(day=day_id, now=now), SlotRow)
    return _availability(rows, now, min_notice_hours)


async def mini_slots(
    db: Database, *, mini_session_id: int, now: datetime, min_notice_hours: int
) -> list[SlotAvailability]:
    """Every upcoming slot of one mini session (for pages that list them all)."""
    rows = await fetch_all_as(db, MINI_SLOTS.bind(mini=mini_session_id, now=now), SlotRow)
    return _availability(rows, now, min_notice_hours)


async def slot_of(
    db: Database, mini_session_id: int, min_notice_hours: int, slot_id: int, now: datetime
) -> SlotAvailability:
    """One slot of this mini session as a client sees it now; NotFound if it is not its slot."""
    rows = await fetch_all_as(
        db, ONE_SLOT.bind(slot=slot_id, mini=mini_session_id, now=now), SlotRow
    )
    if not rows:
        raise NotFound(f"slot {slot_id}")
    return _availability(rows, now, min_notice_hours)[0]
