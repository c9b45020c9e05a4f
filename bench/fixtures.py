"""Databases for the benchmarks: a seeded SQLite demo file, a scratch PostgreSQL database."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import sqlalchemy as sa
from databases import Database
from sqlalchemy.engine import make_url

from tests.support.databases import drop_postgres_database, run_db
from widget_server.db.migrate import migrate
from widget_server.db.tables import bookings, mini_sessions, slots
from widget_server.demo import seed_demo

# The same variable the tests read; without it, the local server this project's CI uses.
POSTGRES_ENV = "MINIS_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def seed_demo_database(url: str) -> None:
    """Seed the demo studio (``minis demo``'s data) into a migrated database."""
    run_db(url, lambda db: seed_demo(db, datetime.now(UTC)))


def demo_sqlite(directory: Path, name: str = "demo.db") -> str:
    """A fresh SQLite file with the demo data; returns its URL."""
    url = f"sqlite:///{directory / name}"
    migrate(url)
    seed_demo_database(url)
    return url


def first_open_slot(url: str, mini_slug: str = "fall-minis") -> int:
    """The earliest slot of the mini session that is still bookable (well past the notice)."""
    soon = datetime.now(UTC) + timedelta(hours=6)

    async def work(db: Database) -> int:
        slot_id = await db.fetch_val(
            sa.select(slots.c.id)
            .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
            .where(mini_sessions.c.slug == mini_slug, slots.c.starts_at > soon)
            .order_by(slots.c.starts_at, slots.c.id)
            .limit(1)
        )
        if slot_id is None:
            raise RuntimeError(f"no open slot for {mini_slug}")
        return int(slot_id)

    return run_db(url, work)


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
        return SlotState({r.status: r.n for r in rows}, slot.taken, slot.capacity)

    return run_db(url, work)


def postgres_admin_url() -> str | None:
    """An admin URL for a reachable PostgreSQL, or None when there is none."""
    url = os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES_ADMIN_URL
    try:
        asyncio.run(_admin(url, "SELECT 1"))
    except (OSError, asyncpg.PostgresError):
        return None
    return url


async def _admin(url: str, sql: str) -> None:
    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username,
        password=parsed.password,
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        database=parsed.database,
        timeout=5,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A migrated database named ``minis_bench_*``, dropped on the way out."""
    name = f"minis_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(drivername="postgresql", database=name)
    rendered = url.render_as_string(hide_password=False)
    try:
        migrate(rendered)
        yield rendered
    finally:
        drop_postgres_database(admin_url, rendered)
