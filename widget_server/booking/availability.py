"""Spots left per slot, as a client sees them right now.

Counts live holds and bookings directly rather than trusting ``slots.taken``,
so a hold that lapsed a second ago shows as free even before it is swept.
Enforcement stays in holds.py; this module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

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


class _SlotRow(NamedTuple):
    """A slot with the number of live bookings on it."""

    id: int
    session_day_id: int
    mini_session_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    blocked: bool
    live: int


def live_bookings_on(now: datetime) -> sa.ColumnElement[bool]:
    """Bookings that occupy a spot: booked, or held and not yet lapsed."""
    return sa.or_(
        bookings.c.status == "booked",
        sa.and_(bookings.c.status == "held", bookings.c.expires_at > now),
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


async def slot_availability(
    db: Database,
    *,
    now: datetime,
    min_notice_hours: dict[int, int],
    slot_id: int | None = None,
    upcoming_only: bool = True,
) -> list[SlotAvailability]:
    """Availability of the slots of the given mini sessions (keys of ``min_notice_hours``).

    One query whatever the number of slots. ``slot_id`` narrows it to one slot.
    """
    mini_ids = list(min_notice_hours)
    of_these = slots.alias("of_these")
    live = (
        sa.select(bookings.c.slot_id, sa.func.count().label("n"))
        .join(of_these, of_these.c.id == bookings.c.slot_id)
        .where(of_these.c.mini_session_id.in_(mini_ids), live_bookings_on(now))
        .group_by(bookings.c.slot_id)
        .subquery()
    )
    query = (
        sa.select(slots, sa.func.coalesce(live.c.n, 0).label("live"))
        .outerjoin(live, live.c.slot_id == slots.c.id)
        .where(slots.c.mini_session_id.in_(mini_ids))
        .order_by(slots.c.starts_at, slots.c.id)
    )
    if slot_id is not None:
        query = query.where(slots.c.id == slot_id)
    if upcoming_only:
        query = query.where(slots.c.starts_at > now)
    rows = await fetch_all_as(db, query, _SlotRow)
    result = []
    for r in rows:
        spots_left = max(r.capacity - r.live, 0)
        result.append(
            SlotAvailability(
                id=r.id,
                session_day_id=r.session_day_id,
                mini_session_id=r.mini_session_id,
                starts_at=r.starts_at,
                ends_at=r.ends_at,
                capacity=r.capacity,
                spots_left=spots_left,
                unavailable_reason=unavailable_reason(
                    starts_at=r.starts_at,
                    blocked=r.blocked,
                    spots_left=spots_left,
                    now=now,
                    min_notice_hours=min_notice_hours[r.mini_session_id],
                ),
            )
        )
    return result


async def slot_of(
    db: Database, mini_session_id: int, min_notice_hours: int, slot_id: int, now: datetime
) -> SlotAvailability:
    """One slot of this mini session as a client sees it now; NotFound if it is not its slot."""
    found = await slot_availability(
        db,
        now=now,
        min_notice_hours={mini_session_id: min_notice_hours},
        slot_id=slot_id,
        upcoming_only=False,
    )
    if not found:
        raise NotFound(f"slot {slot_id}")
    return found[0]
