"""Seed data for tests: two studios with mini sessions of every kind, relative to a clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from databases import Database

from widget_server.booking.slots import SessionDayPlan, create_session_day
from widget_server.db.tables import locations, mini_sessions, slots
from widget_server.studio.accounts import create_studio


@dataclass
class World:
    studio: str = "acme"
    other_studio: str = "rival"
    mini_ids: dict[str, int] = field(default_factory=dict)
    # Upcoming bookable slot ids per mini session slug, in time order.
    slots: dict[str, list[int]] = field(default_factory=dict)
    past_slot: int = 0
    too_soon_slot: int = 0
    other_studio_slot: int = 0


MINIS = {
    # slug: (price, deposit, capacity, process, methods, visibility)
    "portraits": (20000, 5000, 1, "quote", "demo offline", "public"),
    "family": (9000, None, 3, "quote", "offline", "public"),
    "card-only": (9000, None, 1, "quote", "demo", "public"),
    "free-day": (0, None, 2, "free", "offline", "public"),
    "hidden": (5000, None, 1, "quote", "offline", "unlisted"),
    "draft-one": (5000, None, 1, "quote", "offline", "draft"),
}


async def _mini(db: Database, studio_id: int, slug: str, spec: tuple) -> int:
    price, deposit, _capacity, process, methods, visibility = spec
    return await db.execute(
        mini_sessions.insert().values(
            studio_id=studio_id,
            slug=slug,
            title=slug.replace("-", " ").title(),
            description=f"About {slug}",
            price_minor=price,
            deposit_minor=deposit,
            visibility=visibility,
            booking_process=process,
            payment_methods=methods,
            hold_minutes=15,
            min_notice_hours=2,
            terms="Terms apply.",
        )
    )


async def _slot_ids(db: Database, mini_id: int, after: datetime) -> list[int]:
    rows = await db.fetch_all(
        sa.select(slots.c.id)
        .where(slots.c.mini_session_id == mini_id, slots.c.starts_at > after)
        .order_by(slots.c.starts_at)
    )
    return [r.id for r in rows]


async def build_world(db: Database, now: datetime, *, edge_slots: bool = True) -> World:
    world = World()
    studio_id = await create_studio(
        db,
        slug=world.studio,
        name="Acme Photo",
        notify_email="acme@studio.test",
        timezone="America/New_York",
        currency="USD",
        now=now,
        offline_instructions="Bank transfer to ACME 123.",
    )
    other_id = await create_studio(
        db,
        slug=world.other_studio,
        name="Rival Photo",
        notify_email="rival@studio.test",
        timezone="Europe/Berlin",
        currency="EUR",
        now=now,
    )
    park = await db.execute(
        locations.insert().values(
            studio_id=studio_id,
            name="Park",
            address="1 Park Ave",
            map_url="https://maps.test/p",
            notes="",
            timezone="America/New_York",
        )
    )
    meadow = await db.execute(
        locations.insert().values(
            studio_id=studio_id,
            name="Meadow",
            address="",
            map_url="",
            notes="",
            timezone="America/Denver",
        )
    )
    berlin = await db.execute(
        locations.insert().values(
            studio_id=other_id,
            name="Tiergarten",
            address="",
            map_url="",
            notes="",
            timezone="Europe/Berlin",
        )
    )
    in_two_days = (now + timedelta(days=2)).date()
    for slug, spec in MINIS.items():
        mini_id = await _mini(db, studio_id, slug, spec)
        world.mini_ids[slug] = mini_id
        capacity = spec[2]
        await create_session_day(
            db,
            mini_session_id=mini_id,
            location_id=park,
            plan=SessionDayPlan(
                in_two_days, time(9), time(11), 20, 5, capacity, "America/New_York"
            ),
        )
        if slug == "portraits" and edge_slots:
            await create_session_day(
                db,
                mini_session_id=mini_id,
                location_id=meadow,
                plan=SessionDayPlan(
                    in_two_days + timedelta(days=1), time(15), time(16), 20, 5, 1, "America/Denver"
                ),
            )
            # A day that straddles "now": past slots and slots inside the notice
            # period. Needs "now" at least 3 hours before local midnight.
            local_now = now.astimezone(ZoneInfo("America/New_York"))
            await create_session_day(
                db,
                mini_session_id=mini_id,
                location_id=park,
                plan=SessionDayPlan(
                    local_now.date(),
                    (local_now - timedelta(hours=2)).time().replace(second=0, microsecond=0),
                    (local_now + timedelta(hours=3)).time().replace(second=0, microsecond=0),
                    60,
                    0,
                    1,
                    "America/New_York",
                ),
            )
        world.slots[slug] = await _slot_ids(db, mini_id, now + timedelta(hours=2))
    if edge_slots:
        await _find_edge_slots(db, world, now)
    rival_mini = await _mini(db, other_id, "portraits", MINIS["portraits"])
    await create_session_day(
        db,
        mini_session_id=rival_mini,
        location_id=berlin,
        plan=SessionDayPlan(in_two_days, time(10), time(11), 20, 5, 1, "Europe/Berlin"),
    )
    world.other_studio_slot = (await _slot_ids(db, rival_mini, now))[0]
    return world


async def _find_edge_slots(db: Database, world: World, now: datetime) -> None:
    portraits = world.mini_ids["portraits"]
    past = await db.fetch_one(
        sa.select(slots.c.id).where(slots.c.mini_session_id == portraits, slots.c.starts_at <= now)
    )
    soon = await db.fetch_one(
        sa.select(slots.c.id).where(
            slots.c.mini_session_id == portraits,
            slots.c.starts_at > now,
            slots.c.starts_at < now + timedelta(hours=2),
        )
    )
    assert past is not None and soon is not None
    world.past_slot, world.too_soon_slot = past.id, soon.id


async def offer_stripe(db: Database) -> None:
    """Card payments through Stripe on "card-only" (alone) and "portraits" (with others)."""
    for slug, methods in (("card-only", "stripe"), ("portraits", "stripe demo offline")):
        await db.execute(
            mini_sessions.update()
            .where(mini_sessions.c.slug == slug)
            .values(payment_methods=methods)
        )
