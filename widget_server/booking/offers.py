"""What a client can book right now: dates, locations and slots, grouped for display."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from databases import Database

from .availability import SlotAvailability, slot_availability
from .catalog import (
    Location,
    MiniSession,
    SessionDay,
    Studio,
    public_mini_sessions,
    session_days_for,
)


@dataclass(frozen=True)
class DayOffer:
    """One session day (a date at a location) and its upcoming slots."""

    day: SessionDay
    slots: list[SlotAvailability]

    @property
    def location(self) -> Location:
        return self.day.location

    @property
    def bookable_slots(self) -> int:
        return sum(1 for s in self.slots if s.bookable)

    @property
    def spots_left(self) -> int:
        return sum(s.spots_left for s in self.slots if s.bookable)


@dataclass(frozen=True)
class MiniOffer:
    """A mini session as listed on the booking site."""

    mini: MiniSession
    days: list[DayOffer] = field(default_factory=list)

    @property
    def dates(self) -> list[date]:
        return sorted({d.day.date for d in self.days})

    @property
    def locations(self) -> list[Location]:
        seen: dict[int, Location] = {}
        for d in self.days:
            seen.setdefault(d.location.id, d.location)
        return list(seen.values())

    @property
    def sold_out(self) -> bool:
        return bool(self.days) and not any(d.bookable_slots for d in self.days)

    @property
    def spots_left(self) -> int:
        return sum(d.spots_left for d in self.days)


async def _offers(db: Database, minis: list[MiniSession], now: datetime) -> list[MiniOffer]:
    """Three queries whatever the number of mini sessions, days and slots."""
    days = await session_days_for(db, [m.id for m in minis])
    slots = await slot_availability(
        db, now=now, min_notice_hours={m.id: m.min_notice_hours for m in minis}
    )
    by_day: dict[int, list[SlotAvailability]] = {}
    for slot in slots:
        by_day.setdefault(slot.session_day_id, []).append(slot)
    offers = {m.id: MiniOffer(mini=m) for m in minis}
    for day in days:
        if by_day.get(day.id):  # days with no upcoming slot are over
            offers[day.mini_session_id].days.append(DayOffer(day=day, slots=by_day[day.id]))
    return list(offers.values())


async def mini_session_offer(db: Database, mini: MiniSession, now: datetime) -> MiniOffer:
    return (await _offers(db, [mini], now))[0]


async def studio_offers(db: Database, studio: Studio, now: datetime) -> list[MiniOffer]:
    return await _offers(db, await public_mini_sessions(db, studio.id), now)
