"""Coupon uses and add-on stock are never oversold: 100 clients with live holds race for a
code with 5 uses left and for an add-on with 5 in stock, over real HTTP against a live
uvicorn (SQLite: one worker; PostgreSQL: three)."""

from __future__ import annotations

import asyncio
import html
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import httpx2
import sqlalchemy as sa
from databases import Database

from tests.support.databases import run_db
from tests.support.live_server import live_server
from tests.support.queries import rows
from tests.support.world import build_world
from tests.test_concurrency import CLIENTS, workers_for
from widget_server.booking.slots import SessionDayPlan, create_session_day
from widget_server.db.tables import (
    addons,
    booking_addons,
    coupon_redemptions,
    coupons,
    locations,
    mini_sessions,
    slots,
    studios,
)


async def _seed(db: Database) -> tuple[int, int]:
    """A mini session with one slot for every client, a code with 5 uses left (of 8) and an
    add-on with 5 left (of 7); returns (slot id, add-on id)."""
    now = datetime.now(UTC)
    await build_world(db, now, edge_slots=False)
    studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == "acme"))
    place = await db.fetch_val(sa.select(locations.c.id).where(locations.c.name == "Park"))
    mini = await db.execute(
        mini_sessions.insert().values(
            studio_id=studio_id,
            slug="race",
            title="Race",
            price_minor=10000,
            payment_methods="demo",
            hold_minutes=60,
        )
    )
    await create_session_day(
        db,
        mini_session_id=mini,
        location_id=place,
        plan=SessionDayPlan(
            (now + timedelta(days=3)).date(), time(10), time(11), 60, 0, CLIENTS, "UTC"
        ),
    )
    await db.execute(
        coupons.insert().values(
            studio_id=studio_id, code="RACE5", kind="percent", value=100_000, max_uses=8, used=3
        )
    )
    addon = await db.execute(
        addons.insert().values(
            mini_session_id=mini, name="Album", price_minor=4000, max_quantity=1, stock=7, taken=2
        )
    )
    slot = await db.fetch_val(sa.select(slots.c.id).where(slots.c.mini_session_id == mini))
    return int(slot), int(addon)


async def _holds(base: str, slot_id: int) -> list[str]:
    """One live hold per client (the slot has room for all); their quote paths."""
    limits = httpx2.Limits(max_connections=20)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    f"/acme/race/book?slot={slot_id}",
                    data={"name": f"C {n}", "email": f"c{n}@example.com", "phone": "+12125550143"},
                )
                for n in range(CLIENTS)
            )
        )
    assert {r.status_code for r in responses} == {303}
    return [r.headers["location"] for r in responses]


async def _race(base: str, paths: list[str], data: dict[str, str]) -> list[httpx2.Response]:
    limits = httpx2.Limits(max_connections=len(paths), max_keepalive_connections=0)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        await client.get("/healthz")
        return await asyncio.gather(*(client.post(p, data=data) for p in paths))


def test_100_clients_racing_for_5_uses_and_5_albums_get_exactly_5_each(
    db_url: str, tmp_path: Path
) -> None:
    slot_id, addon_id = run_db(db_url, _seed)
    log_path = tmp_path / "uvicorn.log"
    with live_server(db_url, workers=workers_for(db_url), log_path=log_path) as base:
        paths = asyncio.run(_holds(base, slot_id))
        by_code = asyncio.run(_race(base, paths, {"action": "update", "coupon": "RACE5"}))
        used = rows(db_url, sa.select(coupons.c.used).where(coupons.c.code == "RACE5"))
        redeemed = len(rows(db_url, sa.select(coupon_redemptions)))
        by_album = asyncio.run(_race(base, paths, {"action": "update", f"addon_{addon_id}": "1"}))
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log and "database is locked" not in log, log[-3000:]

    assert Counter(r.status_code for r in by_code) == {303: 5, 422: CLIENTS - 5}
    for response in by_code:
        if response.status_code == 422:
            assert "That code has been used up." in html.unescape(response.text)
    assert used == [{"used": 8}] and redeemed == 5

    assert Counter(r.status_code for r in by_album) == {303: 5, 422: CLIENTS - 5}
    for response in by_album:
        if response.status_code == 422:
            assert "Album just sold out." in html.unescape(response.text)
    taken = rows(db_url, sa.select(addons.c.taken).where(addons.c.id == addon_id))
    assert taken == [{"taken": 7}]
    assert len(rows(db_url, sa.select(booking_addons))) == 5
    # The album round's form carries no code field: those who had the code keep it.
    assert rows(db_url, sa.select(coupons.c.used).where(coupons.c.code == "RACE5")) == [{"used": 8}]
