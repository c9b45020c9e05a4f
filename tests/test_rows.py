"""db/rows.py: typed rows read the same values as attribute access on records, on both databases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import pytest
import sqlalchemy as sa
from databases import Database

from tests.support.databases import run_db
from tests.support.world import World
from widget_server.booking.catalog import Location
from widget_server.db.rows import IdRow, fetch_all_as, fetch_one_as, row_as
from widget_server.db.tables import locations, session_days, slots


class _Slot(NamedTuple):
    id: int
    starts_at: datetime
    capacity: int
    blocked: bool
    live: int


@dataclass
class _SlotWithDefaults:
    id: int
    note: str = "none selected"
    extras: list[int] = field(default_factory=list)


def test_rows_read_what_attribute_access_reads(db_url: str, world: World) -> None:
    slot_id = world.slots["family"][0]
    query = sa.select(slots, sa.literal_column("0", sa.Integer).label("live")).where(
        slots.c.id == slot_id
    )

    async def work(db: Database) -> tuple[_Slot, tuple[object, ...]]:
        record = await db.fetch_one(query)
        assert record is not None
        by_attribute = tuple(getattr(record, name) for name in _Slot._fields)
        typed = await fetch_one_as(db, query, _Slot)
        assert typed is not None
        return typed, by_attribute

    typed, by_attribute = run_db(db_url, work)
    assert tuple(typed) == by_attribute
    assert typed.starts_at.tzinfo is not None  # UTCDateTime's processing kept
    assert isinstance(typed.blocked, bool)


def test_fields_with_defaults_are_optional_and_prefixes_pick_a_joined_table(
    db_url: str, world: World
) -> None:
    slot_id = world.slots["family"][0]

    async def work(db: Database) -> tuple[list[_SlotWithDefaults], Location, IdRow | None]:
        with_defaults = await fetch_all_as(
            db, sa.select(slots.c.id).where(slots.c.id == slot_id), _SlotWithDefaults
        )
        record = await db.fetch_one(
            sa.select(slots.c.id, *[c.label(f"loc_{c.name}") for c in locations.c])
            .join(session_days, session_days.c.id == slots.c.session_day_id)
            .join(locations, locations.c.id == session_days.c.location_id)
            .where(slots.c.id == slot_id)
        )
        assert record is not None
        nothing = await fetch_one_as(db, sa.select(slots.c.id).where(slots.c.id == -1), IdRow)
        return with_defaults, row_as(record, Location, "loc_"), nothing

    with_defaults, location, nothing = run_db(db_url, work)
    assert with_defaults == [_SlotWithDefaults(slot_id)]
    assert location.timezone and location.name
    assert nothing is None


def test_a_missing_column_is_an_error(db_url: str, world: World) -> None:
    async def work(db: Database) -> None:
        await fetch_all_as(db, sa.select(slots.c.starts_at), IdRow)

    with pytest.raises(KeyError):
        run_db(db_url, work)
