"""Slot generation, DST included: slots step in real time and are stored as UTC instants."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from databases import Database

from tests.support.databases import run_db
from tests.support.world import World
from widget_server.booking.slots import SessionDayPlan, create_session_day, plan_slots
from widget_server.db.tables import slots

NY = ZoneInfo("America/New_York")


def local_starts(plan: SessionDayPlan) -> list[str]:
    tz = ZoneInfo(plan.timezone)
    return [start.astimezone(tz).strftime("%H:%M%z") for start, _ in plan_slots(plan)]


def test_twenty_minute_slots_with_five_minute_gaps() -> None:
    plan = SessionDayPlan(date(2026, 10, 10), time(9), time(11), 20, 5, 1, "America/New_York")
    assert local_starts(plan) == [
        "09:00-0400",
        "09:25-0400",
        "09:50-0400",
        "10:15-0400",
        "10:40-0400",
    ]
    first_start, first_end = plan_slots(plan)[0]
    assert first_start == datetime(2026, 10, 10, 13, 0, tzinfo=UTC)
    assert (first_end - first_start).total_seconds() == 20 * 60


def test_last_slot_must_fit_before_the_end() -> None:
    plan = SessionDayPlan(date(2026, 10, 10), time(9), time(9, 44), 20, 5, 1, "America/New_York")
    assert local_starts(plan) == ["09:00-0400"]


@pytest.mark.parametrize(
    ("day", "offset"), [(date(2026, 3, 8), "-0400"), (date(2026, 11, 1), "-0500")]
)
def test_daytime_session_on_a_dst_change_day_uses_that_days_offset(day: date, offset: str) -> None:
    """The classic bug: taking the offset from midnight, before the 2 a.m. change."""
    plan = SessionDayPlan(day, time(9), time(10), 20, 5, 1, "America/New_York")
    assert local_starts(plan) == [f"09:00{offset}", f"09:25{offset}"]


def test_spring_forward_skips_the_missing_hour_without_inventing_times() -> None:
    # 2026-03-08: at 2:00 clocks jump to 3:00 in New York. 1:00 to 4:00 is two real hours.
    plan = SessionDayPlan(date(2026, 3, 8), time(1), time(4), 20, 5, 1, "America/New_York")
    starts = local_starts(plan)
    assert starts == ["01:00-0500", "01:25-0500", "01:50-0500", "03:15-0400", "03:40-0400"]
    assert not any(s.startswith("02:") for s in starts)


def test_fall_back_has_no_duplicate_slots_in_the_repeated_hour() -> None:
    # 2026-11-01: at 2:00 clocks go back to 1:00. 0:30 to 3:30 is four real hours.
    plan = SessionDayPlan(date(2026, 11, 1), time(0, 30), time(3, 30), 20, 5, 1, "America/New_York")
    instants = [start for start, _ in plan_slots(plan)]
    assert len(instants) == len(set(instants)) == 9
    assert all(b - a == instants[1] - instants[0] for a, b in itertools.pairwise(instants))
    starts = local_starts(plan)
    assert "01:20-0400" in starts and "01:10-0500" in starts  # both passes through 1 a.m.


def test_session_days_are_stored_as_utc_slots(db_url: str, world: World) -> None:
    plan = SessionDayPlan(date(2026, 3, 8), time(1), time(4), 20, 5, 2, "America/New_York")

    async def work(db: Database) -> list[tuple[datetime, int]]:
        mini_id = world.mini_ids["family"]
        location = await db.fetch_val("SELECT id FROM locations ORDER BY id LIMIT 1")
        day = await create_session_day(db, mini_session_id=mini_id, location_id=location, plan=plan)
        found = await db.fetch_all(
            sa.select(slots.c.starts_at, slots.c.capacity)
            .where(slots.c.session_day_id == day)
            .order_by(slots.c.starts_at)
        )
        return [(r.starts_at, r.capacity) for r in found]

    stored = run_db(db_url, work)
    assert [s for s, _ in stored] == [start for start, _ in plan_slots(plan)]
    assert stored[0][0] == datetime(2026, 3, 8, 6, 0, tzinfo=UTC)
    assert {c for _, c in stored} == {2}
