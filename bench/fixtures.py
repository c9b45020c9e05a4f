"""Databases for the benchmarks: a seeded SQLite demo file, a scratch PostgreSQL database."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import asyncpg
import sqlalchemy as sa
from databases import Database
from sqlalchemy.engine import make_url

from tests.support.databases import admin_execute, drop_postgres_database, run_db
from widget_server.booking.slots import SessionDayPlan, create_session_day
from widget_server.db.migrate import migrate
from widget_server.db.tables import bookings, locations, mini_sessions, slots
from widget_server.demo import seed_demo
from widget_server.studio.accounts import create_studio

# The same variable the tests read; without it, the local server this project's CI uses.
POSTGRES_ENV = "MINIS_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
# Slots of the sized databases: five minutes, back to back, from 08:00.
SIZED_SLOT_MINUTES = 5


def seed_demo_database(url: str) -> None:
    """Seed the demo studio (``minis demo``'s data) into a migrated database."""
    run_db(url, lambda db: seed_demo(db, datetime.now(UTC)))


def demo_sqlite(directory: Path, name: str = "demo.db") -> str:
    """A fresh SQLite file with the demo data; returns its URL."""
    url = f"sqlite:///{directory / name}"
    migrate(url)
    seed_demo_database(url)
    return url


def open_slots(url: str, count: int, mini_slug: str = "fall-minis") -> list[int]:
    """The earliest ``count`` slots of the mini session still bookable (well past the notice)."""
    soon = datetime.now(UTC) + timedelta(hours=6)

    async def work(db: Database) -> list[int]:
        rows = await db.fetch_all(
            sa.select(slots.c.id)
            .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
            .where(mini_sessions.c.slug == mini_slug, slots.c.starts_at > soon)
            .order_by(slots.c.starts_at, slots.c.id)
            .limit(count)
        )
        if len(rows) < count:
            raise RuntimeError(f"fewer than {count} open slots for {mini_slug}")
        return [int(r["id"]) for r in rows]

    return run_db(url, work)


def first_open_slot(url: str, mini_slug: str = "fall-minis") -> int:
    return open_slots(url, 1, mini_slug)[0]


@dataclass(frozen=True)
class SlotState:
    """What the database says about one slot after a run."""

    statuses: dict[str, int]  # booking status -> rows
    taken: int
    capacity: int

    @property
    def live(self) -> int:
        return self.statuses.get("held", 0) + self.statuses.get("booked", 0)


def slot_state(url: str, slot_id: int) -> SlotState:
    async def work(db: Database) -> SlotState:
        rows = await db.fetch_all(
            sa.select(bookings.c.status, sa.func.count().label("n"))
            .where(bookings.c.slot_id == slot_id)
            .group_by(bookings.c.status)
        )
        slot = await db.fetch_one(
            sa.select(slots.c.taken, slots.c.capacity).where(slots.c.id == slot_id)
        )
        assert slot is not None
        return SlotState({r["status"]: r["n"] for r in rows}, slot["taken"], slot["capacity"])

    return run_db(url, work)


def postgres_admin_url() -> str | None:
    """An admin URL for a reachable PostgreSQL, or None when there is none."""
    url = os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES_ADMIN_URL
    try:
        asyncio.run(admin_execute(url, "SELECT 1", connect_timeout=5))
    except (OSError, asyncpg.PostgresError):
        return None
    return url


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A migrated database named ``minis_bench_*``, dropped on the way out."""
    name = f"minis_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_execute(admin_url, f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(drivername="postgresql", database=name)
    rendered = url.render_as_string(hide_password=False)
    try:
        migrate(rendered)
        yield rendered
    finally:
        drop_postgres_database(admin_url, rendered)


@dataclass(frozen=True)
class BenchMini:
    """One studio with one mini session of capacity-1 times, as the benchmarks seed it:
    ``day_sizes[n]`` times on the n-th day from ``days_ahead`` days on, every
    ``slot_minutes`` from 8:00 (New York)."""

    day_sizes: tuple[int, ...]
    studio_slug: str = "demo"
    studio_name: str = "Bench Photography"
    mini_slug: str = "fall-minis"
    title: str = "Fall Minis"
    description: str = "Twenty golden minutes among the autumn leaves."
    image_url: str = "/static/demo-fall.svg"
    payment_methods: str = "demo offline"
    min_notice_hours: int = 2
    days_ahead: int = 2
    slot_minutes: int = SIZED_SLOT_MINUTES
    opens_at: datetime | None = None  # a scheduled drop


async def seed_mini(db: Database, shape: BenchMini, now: datetime) -> None:
    studio_id = await create_studio(
        db,
        slug=shape.studio_slug,
        name=shape.studio_name,
        notify_email="studio@example.com",
        timezone="America/New_York",
        currency="USD",
        now=now,
    )
    location_id = await db.execute(
        locations.insert().values(
            studio_id=studio_id,
            name="Riverside Park",
            address="Riverside Dr & W 79th St, New York, NY",
            map_url="https://maps.example.com/riverside",
            notes="",
            timezone="America/New_York",
        )
    )
    mini_id = await db.execute(
        mini_sessions.insert().values(
            studio_id=studio_id,
            slug=shape.mini_slug,
            title=shape.title,
            description=shape.description,
            image_url=shape.image_url,
            price_minor=22500,
            deposit_minor=7500,
            visibility="public",
            booking_process="quote",
            payment_methods=shape.payment_methods,
            hold_minutes=15,
            min_notice_hours=shape.min_notice_hours,
            terms="",
            opens_at=shape.opens_at,
        )
    )
    first_day = now.date() + timedelta(days=shape.days_ahead)
    start = time(8, 0)
    for n, count in enumerate(shape.day_sizes):
        end = (
            datetime.combine(first_day, start) + timedelta(minutes=shape.slot_minutes * count)
        ).time()
        plan = SessionDayPlan(
            first_day + timedelta(days=n), start, end, shape.slot_minutes, 0, 1, "America/New_York"
        )
        await create_session_day(db, mini_session_id=mini_id, location_id=location_id, plan=plan)


async def seed_sized(db: Database, days: int, per_day: int, now: datetime) -> None:
    """Studio ``demo`` with one mini session ``fall-minis`` of ``days`` x ``per_day`` slots."""
    await seed_mini(db, BenchMini(day_sizes=(per_day,) * days), now)


def sized_sqlite(directory: Path, days: int, per_day: int) -> str:
    """Studio ``demo`` with one mini session ``fall-minis`` of ``days`` x ``per_day`` slots."""
    url = f"sqlite:///{directory / f'sized-{days}x{per_day}.db'}"
    migrate(url)
    run_db(url, lambda db: seed_sized(db, days, per_day, datetime.now(UTC)))
    return url


def count_slots(url: str) -> int:
    async def work(db: Database) -> int:
        return int(await db.fetch_val(sa.select(sa.func.count()).select_from(slots)))

    return run_db(url, work)
