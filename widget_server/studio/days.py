"""Session days in the dashboard: reading them with their slots, blocking, adding a slot,
changing and deleting a day without ever dropping a client's booking.

A change or a deletion runs in one write transaction that locks the day's row and then
each of its slots in id order (the order every slot-locking transaction uses, so none
deadlock), sweeps lapsed holds, and only then works out which bookings it would affect.
A booking that arrives while the photographer reads the confirmation page changes the
affected set's fingerprint, so the change is not applied behind their back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from databases import Database

from ..booking.availability import live_bookings_on
from ..booking.catalog import Location
from ..booking.errors import InvalidDetails, NotFound
from ..booking.holds import lock_slot, sweep_slot
from ..booking.slots import SessionDayPlan, local_to_utc, plan_slots
from ..db.rows import fetch_all_as, row_as
from ..db.tables import bookings, leads, locations, mini_sessions, session_days, slots
from ..db.transactions import write_transaction
from ..i18n import gettext as _
from .day_form import DayInput


@dataclass
class AdminSlot:
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    blocked: bool
    booked: int
    held: int  # holds not yet lapsed: clients between choosing the time and paying
    extra: bool  # not one of the day's planned slots (added by hand, or kept for a booking)

    @property
    def live(self) -> int:
        return self.booked + self.held


@dataclass
class AdminDay:
    id: int
    mini_id: int
    location: Location
    plan: SessionDayPlan
    slots: list[AdminSlot] = field(default_factory=list)

    @property
    def date(self) -> date:
        return self.plan.date

    @property
    def live(self) -> int:
        return sum(s.live for s in self.slots)


@dataclass(frozen=True)
class Affected:
    """A client's booking (or live hold) that a change would move or drop."""

    booking_id: int
    reference: str
    client_name: str
    status: str
    slot_id: int
    starts_at: datetime
    expires_at: datetime | None


class _DayRow(NamedTuple):
    id: int
    mini_session_id: int
    date: date
    start_time: time
    end_time: time
    slot_minutes: int
    gap_minutes: int
    capacity: int


class _SlotLiveRow(NamedTuple):
    id: int
    session_day_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    blocked: bool
    booked: int
    held: int


class _SlotRow(NamedTuple):
    """What a change or deletion needs of a day's slot."""

    id: int
    starts_at: datetime
    taken: int


class _SlotIdRow(NamedTuple):
    id: int


class _ReferenceRow(NamedTuple):
    slot_id: int
    rescheduled_from_slot_id: int | None


def _plan_of(row: _DayRow, timezone: str) -> SessionDayPlan:
    return SessionDayPlan(
        date=row.date,
        start_time=row.start_time,
        end_time=row.end_time,
        slot_minutes=row.slot_minutes,
        gap_minutes=row.gap_minutes,
        capacity=row.capacity,
        timezone=timezone,
    )


async def _days(db: Database, where: sa.ColumnElement[bool], now: datetime) -> list[AdminDay]:
    day_rows = await db.fetch_all(
        sa.select(session_days, *[c.label(f"loc_{c.name}") for c in locations.c])
        .join(locations, locations.c.id == session_days.c.location_id)
        .join(mini_sessions, mini_sessions.c.id == session_days.c.mini_session_id)
        .where(where)
        .order_by(session_days.c.date, session_days.c.start_time, session_days.c.id)
    )
    days = {}
    for record in day_rows:
        r = row_as(record, _DayRow)
        location = row_as(record, Location, "loc_")
        days[r.id] = AdminDay(r.id, r.mini_session_id, location, _plan_of(r, location.timezone))
    if not days:
        return []
    of_days = sa.select(slots.c.id).where(slots.c.session_day_id.in_(list(days)))
    # Counted with FILTER (both databases): a CASE of bare 1/0 reaches PostgreSQL untyped.
    is_booked = bookings.c.status == "booked"
    live = (
        sa.select(
            bookings.c.slot_id,
            sa.func.count().filter(is_booked).label("booked"),
            sa.func.count().filter(~is_booked).label("held"),
        )
        .where(bookings.c.slot_id.in_(of_days), live_bookings_on(now))
        .group_by(bookings.c.slot_id)
        .subquery()
    )
    slot_rows = await fetch_all_as(
        db,
        sa.select(
            slots,
            sa.func.coalesce(live.c.booked, 0).label("booked"),
            sa.func.coalesce(live.c.held, 0).label("held"),
        )
        .outerjoin(live, live.c.slot_id == slots.c.id)
        .where(slots.c.session_day_id.in_(list(days)))
        .order_by(slots.c.starts_at, slots.c.id),
        _SlotLiveRow,
    )
    planned = {day_id: {s for s, _ in plan_slots(d.plan)} for day_id, d in days.items()}
    for s in slot_rows:
        days[s.session_day_id].slots.append(
            AdminSlot(
                id=s.id,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                capacity=s.capacity,
                blocked=s.blocked,
                booked=int(s.booked),
                held=int(s.held),
                extra=s.starts_at not in planned[s.session_day_id],
            )
        )
    return list(days.values())


async def mini_days(db: Database, mini_id: int, now: datetime) -> list[AdminDay]:
    """Every day of a mini session (the caller checked it is the studio's), by date."""
    return await _days(db, session_days.c.mini_session_id == mini_id, now)


async def studio_day(
    db: Database, studio_id: int, mini_id: int, day_id: int, now: datetime
) -> AdminDay | None:
    found = await _days(
        db,
        sa.and_(
            session_days.c.id == day_id,
            session_days.c.mini_session_id == mini_id,
            mini_sessions.c.studio_id == studio_id,
        ),
        now,
    )
    return found[0] if found else None


async def set_slot_blocked(db: Database, day: AdminDay, slot_id: int, blocked: bool) -> bool:
    """Block a slot (clients no longer see it as bookable; bookings on it stay) or open it."""
    async with write_transaction(db):
        row = await db.fetch_one(
            slots.update()
            .where(slots.c.id == slot_id, slots.c.session_day_id == day.id)
            .values(blocked=blocked)
            .returning(slots.c.id)
        )
    return row is not None


async def add_slot(db: Database, day: AdminDay, start: time, minutes: int) -> int:
    """One more slot on the day, at a local time; InvalidDetails if the day already has it."""
    starts_at = local_to_utc(day.date, start, ZoneInfo(day.location.timezone))
    async with write_transaction(db):
        await _lock_day(db, day.id)
        clash = await db.fetch_one(
            sa.select(slots.c.id).where(
                slots.c.session_day_id == day.id, slots.c.starts_at == starts_at
            )
        )
        if clash is not None:
            raise InvalidDetails({"slot_start": _("The day already has a slot at that time.")})
        return await db.execute(
            slots.insert().values(
                session_day_id=day.id,
                mini_session_id=day.mini_id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                capacity=day.plan.capacity,
                taken=0,
                blocked=False,
            )
        )


async def _lock_day(db: Database, day_id: int) -> bool:
    """The day's row lock: the transaction's first statement, so SQLite takes its write lock."""
    row = await db.fetch_one(
        session_days.update()
        .where(session_days.c.id == day_id)
        .values(id=session_days.c.id)
        .returning(session_days.c.id)
    )
    return row is not None


async def _lock_and_sweep(db: Database, day_id: int, now: datetime) -> list[_SlotRow]:
    """Lock the day's slots in id order, expire their lapsed holds; the slots as they are now."""
    ids = await fetch_all_as(
        db,
        sa.select(slots.c.id).where(slots.c.session_day_id == day_id).order_by(slots.c.id),
        _SlotIdRow,
    )
    for slot in ids:
        await lock_slot(db, slot.id)
        await sweep_slot(db, slot.id, now)
    return await fetch_all_as(
        db,
        sa.select(slots).where(slots.c.session_day_id == day_id).order_by(slots.c.id),
        _SlotRow,
    )


async def _live_on(db: Database, slot_ids: list[int], now: datetime) -> list[Affected]:
    if not slot_ids:
        return []
    return await fetch_all_as(
        db,
        sa.select(
            bookings.c.id.label("booking_id"),
            bookings.c.reference,
            bookings.c.status,
            bookings.c.slot_id,
            bookings.c.expires_at,
            leads.c.name.label("client_name"),
            slots.c.starts_at,
        )
        .join(leads, leads.c.id == bookings.c.lead_id)
        .join(slots, slots.c.id == bookings.c.slot_id)
        .where(bookings.c.slot_id.in_(slot_ids), live_bookings_on(now))
        .order_by(slots.c.starts_at, bookings.c.id),
        Affected,
    )


def fingerprint(affected: list[Affected]) -> str:
    """Names the affected set: any booking arriving, leaving or changing status changes it."""
    text = ",".join(sorted(f"{a.booking_id}:{a.slot_id}:{a.status}" for a in affected))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


async def _referenced(db: Database, slot_ids: list[int]) -> set[int]:
    """Slots any booking row points at (now or as where it was moved from): never deleted."""
    if not slot_ids:
        return set()
    rows = await fetch_all_as(
        db,
        sa.select(bookings.c.slot_id, bookings.c.rescheduled_from_slot_id).where(
            sa.or_(
                bookings.c.slot_id.in_(slot_ids),
                bookings.c.rescheduled_from_slot_id.in_(slot_ids),
            )
        ),
        _ReferenceRow,
    )
    return {r.slot_id for r in rows} | {
        r.rescheduled_from_slot_id for r in rows if r.rescheduled_from_slot_id
    }


@dataclass(frozen=True)
class DayChange:
    applied: bool
    affected: list[Affected]
    fingerprint: str
    # The photographer confirmed a different affected set than there is now.
    changed_since: bool = False
    location_locked: bool = False


async def change_day(
    db: Database,
    day: AdminDay,
    new: DayInput,
    *,
    now: datetime,
    keep_fingerprint: str | None = None,
) -> DayChange:
    """Re-plan a day. Slots still in the plan stay (with the new capacity and length); the
    others go, or are blocked when a booking row points at them.

    Live bookings outside the new plan, or beyond a slot's new capacity, are never dropped:
    with affected bookings and no ``keep_fingerprint`` (or one that no longer matches)
    nothing changes and the affected set is returned for the photographer to confirm.
    Confirmed, their slots stay as they are (blocked to new clients when outside the plan).
    """
    async with write_transaction(db):
        if not await _lock_day(db, day.id):
            raise NotFound(f"session day {day.id}")
        current = await _lock_and_sweep(db, day.id, now)
        live = await _live_on(db, [s.id for s in current], now)
        if new.location.id != day.location.id and live:
            return DayChange(False, live, fingerprint(live), location_locked=True)
        planned = dict(plan_slots(new.plan))
        live_per_slot: dict[int, int] = {}
        for booking in live:
            live_per_slot[booking.slot_id] = live_per_slot.get(booking.slot_id, 0) + 1
        squeezed = {
            s.id
            for s in current
            if live_per_slot.get(s.id)
            and (s.starts_at not in planned or live_per_slot[s.id] > new.plan.capacity)
        }
        affected = [b for b in live if b.slot_id in squeezed]
        mark = fingerprint(affected)
        if affected and keep_fingerprint != mark:
            return DayChange(False, affected, mark, changed_since=keep_fingerprint is not None)
        await db.execute(
            session_days.update()
            .where(session_days.c.id == day.id)
            .values(
                location_id=new.location.id,
                date=new.plan.date,
                start_time=new.plan.start_time,
                end_time=new.plan.end_time,
                slot_minutes=new.plan.slot_minutes,
                gap_minutes=new.plan.gap_minutes,
                capacity=new.plan.capacity,
            )
        )
        outside = [s for s in current if s.starts_at not in planned]
        referenced = await _referenced(db, [s.id for s in outside if not s.taken])
        for s in current:
            if s.starts_at in planned:
                await db.execute(
                    slots.update()
                    .where(slots.c.id == s.id)
                    .values(
                        ends_at=planned[s.starts_at],
                        capacity=max(new.plan.capacity, s.taken),
                    )
                )
            elif s.taken or s.id in referenced:
                await db.execute(slots.update().where(slots.c.id == s.id).values(blocked=True))
            else:
                await db.execute(slots.delete().where(slots.c.id == s.id))
        existing = {s.starts_at for s in current}
        new_rows = [
            {
                "session_day_id": day.id,
                "mini_session_id": day.mini_id,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "capacity": new.plan.capacity,
                "taken": 0,
                "blocked": False,
            }
            for starts_at, ends_at in planned.items()
            if starts_at not in existing
        ]
        if new_rows:
            await db.execute_many(slots.insert(), new_rows)
    return DayChange(True, affected, mark)


@dataclass(frozen=True)
class DayDeletion:
    outcome: str  # "deleted", "closed" (history kept, every slot blocked) or "affected"
    affected: list[Affected]


async def delete_day(db: Database, day: AdminDay, *, now: datetime) -> DayDeletion:
    """Delete a day with nothing live on it. One whose slots past bookings point at is kept
    for the record with every slot blocked; one with live bookings is left as it is."""
    async with write_transaction(db):
        if not await _lock_day(db, day.id):
            raise NotFound(f"session day {day.id}")
        current = await _lock_and_sweep(db, day.id, now)
        ids = [s.id for s in current]
        live = await _live_on(db, ids, now)
        if live:
            return DayDeletion("affected", live)
        if await _referenced(db, ids):
            await db.execute(
                slots.update().where(slots.c.session_day_id == day.id).values(blocked=True)
            )
            return DayDeletion("closed", [])
        await db.execute(slots.delete().where(slots.c.session_day_id == day.id))
        await db.execute(session_days.delete().where(session_days.c.id == day.id))
    return DayDeletion("deleted", [])
