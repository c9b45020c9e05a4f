"""What a client can book right now: dates, locations and slots, grouped for display.

A page reads only what it shows. The day picker needs, per upcoming session day, how
many times are open: one query counts them in the database (``DAY_SUMMARY``), touching
the upcoming slots' rows only (past days are excluded by date and time through indexes,
past bookings never read). The times are read for the one day shown (``day_slots``).
Pages that list every time (rescheduling, the studio's move) read them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from ..db.compiled import Prepared
from ..db.rows import row_as
from ..db.tables import locations, session_days, slots
from .availability import NOW, SlotAvailability, day_slots, live_on_slot, mini_slots
from .catalog import (
    Location,
    MiniSession,
    SessionDay,
    Studio,
    public_mini_sessions,
)
from .waitlist import anyone_active


@dataclass(frozen=True)
class DayOffer:
    """One session day (a date at a location) and its upcoming slots.

    ``slots`` holds the day's slots when the page shows them; the day picker reads how
    many are open, which a summary gives without them (``open_count``). The studio page's
    summary says only whether any is open (``open_count`` 1 or 0: ``studio_offers``).
    """

    day: SessionDay
    slots: list[SlotAvailability]
    open_count: int | None = None

    @property
    def location(self) -> Location:
        return self.day.location

    @property
    def bookable_slots(self) -> int:
        if self.open_count is not None:
            return self.open_count
        return sum(1 for s in self.slots if s.bookable)

    @property
    def spots_left(self) -> int:
        """Spots left on the slots loaded (a summary loads none: ``mini_session_offer``)."""
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


Instant = sa.ColumnElement[datetime]


def _instant(name: str | None, value: datetime | None = None) -> sa.BindParameter[datetime]:
    return sa.bindparam(name, value, type_=slots.c.starts_at.type)


def _day_summary(
    where: sa.ColumnElement[bool],
    bookable_from: Instant,
    now: Instant = NOW,
    since: sa.ColumnElement[date] | None = None,
    *,
    any_open: bool = False,
    waiting_for: sa.ColumnElement[int] | None = None,
) -> sa.Select[tuple[object, ...]]:
    """Per upcoming session day (with its location): how many of its times are open, or
    with ``any_open`` only whether one is (1 or 0: the studio page shows no counts).

    ``waiting_for``: each row also says whether anyone waits for that mini session
    (``anyone_waiting``), asked once in the query, so a page can hand on lapsed offers
    first without a statement of its own when nobody does.

    A time is open when it is past the notice (``bookable_from``), not blocked, and has
    a spot left. Each day's count is its own small query on ``ix_slots_day_open`` (the
    index alone, in order: no sort, no table rows), and a day is listed only when it
    has a slot to come. Whether one is open stops at the first open time: a day of 600
    open times costs what a day of one does.
    """
    day_slot = slots.c.session_day_id == session_days.c.id
    is_open = (
        day_slot,
        slots.c.starts_at > now,
        slots.c.starts_at >= bookable_from,
        slots.c.blocked == sa.false(),
        slots.c.capacity > live_on_slot(now),
    )
    open_count: sa.ColumnElement[int] = (
        sa.case((sa.exists().where(*is_open), 1), else_=0)
        if any_open
        else sa.select(sa.func.count()).where(*is_open).scalar_subquery()
    )
    upcoming = sa.exists().where(day_slot, slots.c.starts_at > now)
    return (
        sa.select(
            session_days.c.id,
            session_days.c.mini_session_id,
            session_days.c.date,
            session_days.c.start_time,
            session_days.c.end_time,
            session_days.c.capacity,
            *[c.label(f"loc_{c.name}") for c in locations.c],
            open_count.label("open_count"),
            *(
                [anyone_active(waiting_for).label("anyone_waiting")]
                if waiting_for is not None
                else []
            ),
        )
        .join(locations, locations.c.id == session_days.c.location_id)
        .where(
            where,
            # A day's date is local: no zone is a whole day behind UTC's date less one.
            session_days.c.date >= (since if since is not None else sa.bindparam("since")),
            upcoming,
        )
        .order_by(session_days.c.date, session_days.c.start_time, session_days.c.id)
    )


# The mini page's day picker: one mini session, one notice.
DAY_SUMMARY = Prepared(
    _day_summary(
        session_days.c.mini_session_id == sa.bindparam("mini"),
        _instant("bookable_from"),
        waiting_for=sa.bindparam("mini"),
    )
)


def _summary_day(record: Record, places: dict[int, Location]) -> DayOffer:
    """One row of a day summary; ``places`` keeps each location built once per summary (a
    studio's days share a few), as the studio page reads every upcoming day."""
    location_id = record["loc_id"]
    location = places.get(location_id)
    if location is None:
        location = places[location_id] = row_as(record, Location, "loc_")
    day = SessionDay(
        id=record["id"],
        mini_session_id=record["mini_session_id"],
        date=record["date"],
        start_time=record["start_time"],
        end_time=record["end_time"],
        capacity=record["capacity"],
        location=location,
    )
    return DayOffer(day=day, slots=[], open_count=record["open_count"])


def _since(now: datetime) -> date:
    return now.date() - timedelta(days=1)


@dataclass(frozen=True)
class MiniPage:
    """The mini session page: every upcoming day summed up, and the one day shown."""

    offer: MiniOffer
    selected: DayOffer | None
    # Someone waits for the mini session or holds an offer (booking/waitlist.py): lapsed
    # offers are handed on before the page shows its times.
    anyone_waiting: bool = False


async def mini_page_offer(
    db: Database, mini: MiniSession, now: datetime, wanted_day: int | None
) -> MiniPage:
    """Two queries whatever the number of days, slots and past bookings: the summary,
    then the slots of the day shown (``wanted_day`` if it is upcoming, else the first
    day with an open time, else the first day)."""
    notice = now + timedelta(hours=mini.min_notice_hours)
    records = await db.fetch_all(
        DAY_SUMMARY.bind(mini=mini.id, now=now, bookable_from=notice, since=_since(now))
    )
    places: dict[int, Location] = {}
    days = [_summary_day(r, places) for r in records]
    waiting = bool(records[0]["anyone_waiting"]) if records else False
    offer = MiniOffer(mini=mini, days=days)
    chosen = next((d for d in days if d.day.id == wanted_day), None) or next(
        (d for d in days if d.bookable_slots), days[0] if days else None
    )
    if chosen is None:
        return MiniPage(offer, None, waiting)
    shown = await day_slots(
        db, day_id=chosen.day.id, now=now, min_notice_hours=mini.min_notice_hours
    )
    selected = DayOffer(day=chosen.day, slots=shown, open_count=chosen.open_count)
    offer.days[offer.days.index(chosen)] = selected
    return MiniPage(offer, selected, waiting)


async def mini_session_offer(db: Database, mini: MiniSession, now: datetime) -> MiniOffer:
    """Every upcoming day with all its slots (pages that list them all: rescheduling,
    the studio's move). Two queries whatever the number of slots."""
    notice = now + timedelta(hours=mini.min_notice_hours)
    records = await db.fetch_all(
        DAY_SUMMARY.bind(mini=mini.id, now=now, bookable_from=notice, since=_since(now))
    )
    found = await mini_slots(
        db, mini_session_id=mini.id, now=now, min_notice_hours=mini.min_notice_hours
    )
    by_day: dict[int, list[SlotAvailability]] = {}
    for slot in found:
        by_day.setdefault(slot.session_day_id, []).append(slot)
    days = []
    places: dict[int, Location] = {}
    for record in records:
        summary = _summary_day(record, places)
        days.append(DayOffer(day=summary.day, slots=by_day.get(summary.day.id, [])))
    return MiniOffer(mini=mini, days=days)


@lru_cache(maxsize=64)
def _studio_summary(count: int) -> Prepared:
    """The studio page's summary for ``count`` mini sessions, built once per count.

    Each mini session has its own notice, chosen in the query by the slot's mini session
    (``mini_<i>`` → ``from_<i>``). Built per request, this statement (and its cache key,
    which names every mini session's notice) was a third of the studio page's CPU.
    """
    bookable_from = sa.case(
        *[
            (slots.c.mini_session_id == sa.bindparam(f"mini_{i}"), _instant(f"from_{i}"))
            for i in range(count)
        ],
    )
    return Prepared(
        _day_summary(
            session_days.c.mini_session_id.in_([sa.bindparam(f"mini_{i}") for i in range(count)]),
            bookable_from,
            any_open=True,
        )
    )


async def studio_offers(
    db: Database, studio: Studio, now: datetime, minis: list[MiniSession] | None = None
) -> list[MiniOffer]:
    """The studio page: its public mini sessions (``minis``, when the caller read them with
    the studio), each with its days summed up (no slots; each day's ``open_count`` is 1 if
    any time is open, else 0). Two queries at most whatever the number of mini sessions,
    days, slots and bookings."""
    if minis is None:
        minis = await public_mini_sessions(db, studio.id, default_language=studio.default_language)
    if not minis:
        return []
    values: dict[str, object] = {"now": now, "since": _since(now)}
    for i, m in enumerate(minis):
        values[f"mini_{i}"] = m.id
        values[f"from_{i}"] = now + timedelta(hours=m.min_notice_hours)
    records = await db.fetch_all(_studio_summary(len(minis)).bind(**values))
    offers = {m.id: MiniOffer(mini=m) for m in minis}
    places: dict[int, Location] = {}
    for record in records:
        day = _summary_day(record, places)
        offers[day.day.mini_session_id].days.append(day)
    return list(offers.values())
