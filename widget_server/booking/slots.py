"""Turning a session day into slots, and writing them.

Slots are laid out in elapsed time from the day's start, then stored as UTC
instants. Stepping in real time (rather than in wall-clock time) is what keeps a
day that crosses a DST change from gaining a duplicate slot in the repeated hour
or a slot at a time that does not exist in the skipped one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from databases import Database

from ..db.tables import session_days, slots
from ..db.transactions import write_transaction


@dataclass(frozen=True)
class SessionDayPlan:
    date: date
    start_time: time
    end_time: time
    slot_minutes: int
    gap_minutes: int
    capacity: int
    timezone: str


def local_to_utc(day: date, wall: time, tz: ZoneInfo, *, later: bool = False) -> datetime:
    """A wall-clock time at a place as a UTC instant.

    In a repeated hour (clocks going back) ``later`` picks the second
    occurrence. A wall time in a skipped hour does not exist; it is read with
    the offset in force before the jump, which lands just after the gap, where
    a person whose clock jumped would be.
    """
    first = datetime.combine(day, wall, tzinfo=tz)
    second = first.replace(fold=1)
    first_offset, second_offset = first.utcoffset(), second.utcoffset()
    assert first_offset is not None and second_offset is not None
    if first_offset > second_offset and later:  # repeated hour
        return second.astimezone(UTC)
    return first.astimezone(UTC)


def plan_slots(plan: SessionDayPlan) -> list[tuple[datetime, datetime]]:
    """The (start, end) UTC instants of every slot that fits in the day."""
    tz = ZoneInfo(plan.timezone)
    start = local_to_utc(plan.date, plan.start_time, tz)
    # An end time in a repeated hour means its second occurrence: the day runs
    # as long as the photographer's watch says.
    end = local_to_utc(plan.date, plan.end_time, tz, later=True)
    length = timedelta(minutes=plan.slot_minutes)
    step = length + timedelta(minutes=plan.gap_minutes)
    result = []
    cursor = start
    while cursor + length <= end:
        result.append((cursor, cursor + length))
        cursor += step
    return result


async def create_session_day(
    db: Database, *, mini_session_id: int, location_id: int, plan: SessionDayPlan
) -> int:
    """Write a session day and its slots in one transaction; returns the day's id."""
    async with write_transaction(db):
        day_id = await db.execute(
            session_days.insert().values(
                mini_session_id=mini_session_id,
                location_id=location_id,
                date=plan.date,
                start_time=plan.start_time,
                end_time=plan.end_time,
                slot_minutes=plan.slot_minutes,
                gap_minutes=plan.gap_minutes,
                capacity=plan.capacity,
            )
        )
        rows = [
            {
                "session_day_id": day_id,
                "mini_session_id": mini_session_id,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "capacity": plan.capacity,
                "taken": 0,
                "blocked": False,
            }
            for starts_at, ends_at in plan_slots(plan)
        ]
        if rows:
            await db.execute_many(slots.insert(), rows)
    return day_id
