"""Benchmark 14: ``databases`` (as the app runs it) against SQLAlchemy's own asyncio engine.

The same statements, on the same demo database, through both:

- **databases**: ``db/connection.create_database`` (MinisDatabase: db/compiled.py's
  compiled statements, db/backends.py's records, the bounded SQLite pool), one
  connection per operation as a request has;
- **AsyncEngine**: ``create_async_engine`` over aiosqlite / asyncpg, its compiled cache
  and a bounded pool (``AsyncAdaptedQueuePool``, 4 connections on SQLite, 10 on
  PostgreSQL), one ``engine.connect()`` per operation.

Operations: **page** is the mini page's three reads (studio and mini session by slug,
the day picker's per-day summary, the shown day's slots with their live counts, all
``Prepared`` statements, run as their SQLAlchemy statement on the engine); **hold** is
the hold's transaction (lock the slot, sweep its lapsed holds, claim a spot, insert the
lead, the booking, the quote and the log entry, built per call as booking/bookings.py
builds them), rolled back so that every round finds the slot as the first did. CPU is
``time.process_time()`` of this process (the driver threads included) over REPEATS
operations after WARMUP.

``python -m bench.engines [--database sqlite|postgres|both] [--repeats N]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from tests.support.databases import run_db
from widget_server.booking.availability import DAY_SLOTS
from widget_server.booking.catalog import BOOKABLE_MINI_SESSION
from widget_server.booking.holds import CLAIM_SPOT, EXPIRE_LAPSED_HOLDS, LOCK_SLOT
from widget_server.booking.offers import DAY_SUMMARY
from widget_server.db.compiled import Prepared
from widget_server.db.connection import create_database
from widget_server.db.tables import booking_events, bookings, leads, quotes, slots

from . import fixtures
from .report import heading, note, table

REPEATS = 300
WARMUP = 30


@dataclass(frozen=True)
class Ids:
    studio: int
    mini: int
    day: int
    slot: int


def _ids(url: str) -> Ids:
    slot_id = fixtures.first_open_slot(url)

    async def work(db: Any) -> Ids:
        row = await db.fetch_one(
            sa.select(slots.c.session_day_id, slots.c.mini_session_id).where(slots.c.id == slot_id)
        )
        studio = await db.fetch_val(
            "SELECT studio_id FROM mini_sessions WHERE id = :m", {"m": row["mini_session_id"]}
        )
        return Ids(studio, row["mini_session_id"], row["session_day_id"], slot_id)

    return run_db(url, work)


def _page_statements(ids: Ids, now: datetime) -> list[tuple[Prepared, dict[str, Any]]]:
    return [
        (BOOKABLE_MINI_SESSION, {"studio": "demo", "mini": "fall-minis"}),
        (
            DAY_SUMMARY,
            {
                "mini": ids.mini,
                "now": now,
                "bookable_from": now + timedelta(hours=2),
                "since": now.date() - timedelta(days=1),
            },
        ),
        (DAY_SLOTS, {"day": ids.day, "now": now}),
    ]


def _hold_inserts(ids: Ids, lead_id: int | None, booking_id: int | None, now: datetime) -> Any:
    """The hold's inserts as booking/bookings.start_booking builds them (per call)."""
    if lead_id is None:
        return leads.insert().values(
            studio_id=ids.studio,
            mini_session_id=ids.mini,
            name="Ada Lovelace",
            email="ada@example.com",
            phone="+12125550143",
            language="en",
            status="scheduling_in_progress",
            utm=json.dumps({}),
            created_at=now,
            updated_at=now,
        )
    if booking_id is None:
        return bookings.insert().values(
            public_id=f"bench{time.perf_counter_ns()}",
            reference=f"B{time.perf_counter_ns() % 10**8}",
            lead_id=lead_id,
            slot_id=ids.slot,
            status="held",
            expires_at=now + timedelta(minutes=15),
            created_at=now,
            booked_at=None,
            return_url="",
        )
    return [
        quotes.insert().values(
            booking_id=booking_id,
            currency="USD",
            items="[]",
            total_minor=22500,
            due_now_minor=7500,
            terms="",
            party_size=1,
        ),
        booking_events.insert().values(
            booking_id=booking_id, kind="hold_created", detail="{}", created_at=now
        ),
    ]


async def _with_databases(url: str, ids: Ids, repeats: int) -> dict[str, float]:
    db = create_database(url)
    await db.connect()
    now = datetime.now(UTC)

    async def page() -> None:
        async with db.connection():
            for prepared, values in _page_statements(ids, now):
                await db.fetch_all(prepared.bind(**values))

    async def hold() -> None:
        async with db.connection():
            transaction = await db.transaction()
            try:
                await db.fetch_one(LOCK_SLOT.bind(slot=ids.slot))
                await db.fetch_all(EXPIRE_LAPSED_HOLDS.bind(slot=ids.slot, now=now))
                assert await db.fetch_one(CLAIM_SPOT.bind(slot=ids.slot)) is not None
                lead = await db.execute(_hold_inserts(ids, None, None, now))
                booking = await db.execute(_hold_inserts(ids, lead, None, now))
                for insert in _hold_inserts(ids, lead, booking, now):
                    await db.execute(insert)
            finally:
                await transaction.rollback()

    try:
        return {"page": await _cpu(page, repeats), "hold": await _cpu(hold, repeats)}
    finally:
        await db.disconnect()


def _engine_url(url: str) -> tuple[str, dict[str, Any]]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite+aiosqlite:///{parsed.database}", {"pool_size": 4, "max_overflow": 0}
    asyncpg = parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    return asyncpg, {"pool_size": 10, "max_overflow": 0}


async def _with_engine(url: str, ids: Ids, repeats: int) -> dict[str, float]:
    engine_url, pool = _engine_url(url)
    engine = create_async_engine(engine_url, **pool)
    now = datetime.now(UTC)
    statements = [(p.query, values) for p, values in _page_statements(ids, now)]

    async def page() -> None:
        async with engine.connect() as conn:
            for query, values in statements:
                (await conn.execute(query, values)).all()

    async def run(conn: AsyncConnection, query: Any, values: dict[str, Any] | None = None) -> Any:
        return await conn.execute(query, values or {})

    async def hold() -> None:
        async with engine.connect() as conn:
            transaction = await conn.begin()
            try:
                (await run(conn, LOCK_SLOT.query, {"slot": ids.slot})).first()
                (await run(conn, EXPIRE_LAPSED_HOLDS.query, {"slot": ids.slot, "now": now})).all()
                assert (await run(conn, CLAIM_SPOT.query, {"slot": ids.slot})).first() is not None
                lead = (await run(conn, _hold_inserts(ids, None, None, now))).inserted_primary_key
                made = await run(conn, _hold_inserts(ids, lead[0], None, now))
                for insert in _hold_inserts(ids, lead[0], made.inserted_primary_key[0], now):
                    await run(conn, insert)
            finally:
                await transaction.rollback()

    try:
        return {"page": await _cpu(page, repeats), "hold": await _cpu(hold, repeats)}
    finally:
        await engine.dispose()


async def _cpu(operation: Callable[[], Awaitable[None]], repeats: int) -> float:
    for _ in range(WARMUP):
        await operation()
    began = time.process_time()
    for _ in range(repeats):
        await operation()
    return (time.process_time() - began) / repeats * 1000


def measure(label: str, url: str, repeats: int) -> list[list[str]]:
    ids = _ids(url)
    rows = []
    # Alternated twice, so that a change in the machine's load hits both alike.
    results: dict[str, list[dict[str, float]]] = {"databases": [], "AsyncEngine": []}
    for _ in range(2):
        results["databases"].append(asyncio.run(_with_databases(url, ids, repeats)))
        results["AsyncEngine"].append(asyncio.run(_with_engine(url, ids, repeats)))
    for name, runs in results.items():
        page = min(r["page"] for r in runs)
        hold = min(r["hold"] for r in runs)
        rows.append([f"{label}: {name}", f"{page:.3f}", f"{hold:.3f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args()
    heading("14. databases against SQLAlchemy's AsyncEngine: CPU ms per operation")
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="minis-engines-") as tmp:
        if args.database in ("sqlite", "both"):
            url = fixtures.demo_sqlite(Path(tmp), "engines.db")
            rows += measure("SQLite", url, args.repeats)
        if args.database in ("postgres", "both"):
            admin = fixtures.postgres_admin_url()
            if admin is None:
                note("PostgreSQL not reachable: skipped")
            else:
                with fixtures.scratch_postgres(admin) as url:
                    fixtures.seed_demo_database(url)
                    rows += measure("PostgreSQL", url, args.repeats)
    table(["engine", "page (3 reads) ms", "hold (8 statements, tx) ms"], rows)
    note(f"CPU of this process over {args.repeats} operations after {WARMUP} warm-ups,")
    note("the lower of two alternated runs per engine.")


if __name__ == "__main__":
    main()
