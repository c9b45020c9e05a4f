"""The waitlist under real concurrency: live uvicorn (SQLite one worker, PostgreSQL three),
cancellations, lapses, claims and public clients racing for the same spots.

A freed spot is never offered to two clients, never open to the public while offered,
and never lost: afterwards every slot's ``taken`` equals its live holds plus bookings,
no client holds two offers, and every freed spot is held by exactly one waiting client.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import sqlalchemy as sa
from databases import Database

from tests.support.databases import run_db
from tests.support.live_server import live_server
from tests.support.queries import rows
from tests.support.world import World, build_world
from widget_server.db.tables import (
    bookings,
    mini_sessions,
    slots,
    waitlist_entries,
    waitlist_offers,
)
from widget_server.upkeep import upkeep

MINI = "card-only"
WAITING = 10


def workers_for(db_url: str) -> int:
    return 1 if db_url.startswith("sqlite") else 3


def _world(db_url: str) -> World:
    world = run_db(db_url, lambda db: build_world(db, datetime.now(UTC), edge_slots=False))

    async def loosen(db: Database) -> None:
        await db.execute(
            mini_sessions.update().where(mini_sessions.c.slug == MINI).values(change_cutoff_hours=0)
        )

    run_db(db_url, loosen)
    return world


def _details(who: str) -> dict[str, str]:
    return {"name": who.title(), "email": f"{who}@example.com", "phone": "+12125550143"}


async def _book(client: httpx2.AsyncClient, slot_id: int, n: int) -> str:
    held = await client.post(f"/acme/{MINI}/book?slot={slot_id}", data=_details(f"booker{n}"))
    assert held.status_code == 303, held.text
    path = held.headers["location"].removesuffix("/quote")
    paid = await client.post(
        f"{path}/quote", data={"method": "demo", "card": "4242 4242 4242 4242"}
    )
    assert paid.status_code == 303, paid.text
    return path


def _check_invariants(db_url: str, slot_ids: list[int]) -> list[dict[str, Any]]:
    """taken = live rows on every slot; one live offer per client and per held spot."""
    for slot_id in slot_ids:
        taken = rows(db_url, sa.select(slots.c.taken).where(slots.c.id == slot_id))[0]["taken"]
        live = rows(
            db_url,
            sa.select(bookings.c.id).where(
                bookings.c.slot_id == slot_id, bookings.c.status.in_(("held", "booked"))
            ),
        )
        assert taken == len(live) <= 1, (slot_id, taken, live)
    offers = rows(
        db_url,
        sa.select(
            waitlist_offers.c.entry_id,
            waitlist_offers.c.slot_id,
            waitlist_offers.c.state,
            waitlist_offers.c.booking_id,
            bookings.c.status.label("booking_status"),
        )
        .join(bookings, bookings.c.id == waitlist_offers.c.booking_id)
        .order_by(waitlist_offers.c.id),
    )
    live_offers = [o for o in offers if o["state"] == "offered"]
    assert max(Counter(o["entry_id"] for o in offers).values(), default=0) == 1
    assert max(Counter(o["slot_id"] for o in live_offers).values(), default=0) <= 1
    for o in live_offers:
        assert o["booking_status"] == "held"
    return offers


def test_cancellations_lapses_and_claims_racing_the_public(db_url: str, tmp_path: Path) -> None:
    world = _world(db_url)
    slot_ids = world.slots[MINI]
    log_path = tmp_path / "uvicorn.log"

    async def scenario(base: str) -> None:
        limits = httpx2.Limits(max_connections=40, max_keepalive_connections=0)
        async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
            bookers = [await _book(client, s, n) for n, s in enumerate(slot_ids)]
            for n in range(WAITING):
                joined = await client.post(f"/acme/{MINI}/waitlist", data=_details(f"wait{n}"))
                assert joined.status_code == 200, joined.text

            # 1. Every booking cancelled at once, while public clients try for those times
            #    and pages are read on every worker.
            results = await asyncio.gather(
                *(client.post(f"{p}/cancel", data={"confirm": "yes"}) for p in bookers),
                *(
                    client.post(f"/acme/{MINI}/book?slot={s}", data=_details(f"public{n}"))
                    for n, s in enumerate(slot_ids)
                ),
                *(client.get(f"/acme/{MINI}") for _ in slot_ids),
            )
            cancels, public, pages = (
                results[: len(slot_ids)],
                results[len(slot_ids) : 2 * len(slot_ids)],
                results[2 * len(slot_ids) :],
            )
            assert [r.status_code for r in cancels] == [303] * len(slot_ids)
            assert [r.status_code for r in public] == [409] * len(slot_ids)
            assert all(r.status_code == 200 for r in pages)
            for page in pages:
                assert not re.search(r"/book\?slot=\d+", page.text), "a held spot shown open"
            offers = await asyncio.to_thread(_check_invariants, db_url, slot_ids)
            first = [o for o in offers if o["state"] == "offered"]
            assert sorted(o["slot_id"] for o in first) == sorted(slot_ids)

            # 2. Every window lapses (as if hours passed); the first clients' claims race
            #    page views on every worker and the upkeep.
            await asyncio.to_thread(run_db, db_url, _lapse)
            claim_paths = [await _claim_path(client, db_url, o["booking_id"]) for o in first]
            up = asyncio.to_thread(run_db, db_url, _upkeep_now)
            results = await asyncio.gather(
                *(client.post(p) for p in claim_paths),
                *(client.get(f"/acme/{MINI}") for _ in range(10)),
                up,
            )
            assert [r.status_code for r in results[: len(first)]] == [410] * len(first)
            offers = await asyncio.to_thread(_check_invariants, db_url, slot_ids)
            second = [o for o in offers if o["state"] == "offered"]
            assert sorted(o["slot_id"] for o in second) == sorted(slot_ids)
            assert not {o["entry_id"] for o in second} & {o["entry_id"] for o in first}

            # 3. The next clients claim, twice each, while the public tries again.
            claim_paths = [await _claim_path(client, db_url, o["booking_id"]) for o in second]
            results = await asyncio.gather(
                *(client.post(p) for p in claim_paths + claim_paths),
                *(
                    client.post(f"/acme/{MINI}/book?slot={s}", data=_details(f"late{n}"))
                    for n, s in enumerate(slot_ids)
                ),
            )
            claims = results[: 2 * len(second)]
            assert {r.status_code for r in claims} == {303}
            assert all(r.headers["location"].endswith("/quote") for r in claims)
            assert [r.status_code for r in results[2 * len(second) :]] == [409] * len(slot_ids)
            offers = await asyncio.to_thread(_check_invariants, db_url, slot_ids)
            assert Counter(o["state"] for o in offers) == {"lapsed": 5, "claimed": 5}
            left = await asyncio.to_thread(
                rows,
                db_url,
                sa.select(waitlist_entries.c.state).where(waitlist_entries.c.state == "waiting"),
            )
            assert left == []

    with live_server(db_url, workers=workers_for(db_url), log_path=log_path) as base:
        asyncio.run(scenario(base))
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log and "database is locked" not in log, log[-3000:]


async def _lapse(db: Database) -> None:
    """Every live offer's window ends a second ago."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    live = sa.select(waitlist_offers.c.booking_id).where(waitlist_offers.c.state == "offered")
    await db.execute(bookings.update().where(bookings.c.id.in_(live)).values(expires_at=past))
    await db.execute(
        waitlist_offers.update().where(waitlist_offers.c.state == "offered").values(expires_at=past)
    )


async def _upkeep_now(db: Database) -> None:
    await upkeep(db, lambda: datetime.now(UTC), {})


async def _claim_path(client: httpx2.AsyncClient, db_url: str, booking_id: int) -> str:
    """The claim link of an offer, as its email has it (signed by the server's key)."""
    from tests.support.keys import STRONG_SECRET_KEY
    from widget_server.booking.tokens import BookingTokens

    query = sa.select(bookings.c.public_id).where(bookings.c.id == booking_id)
    public_id = (await asyncio.to_thread(rows, db_url, query))[0]["public_id"]
    return f"/b/{BookingTokens(STRONG_SECRET_KEY).make(public_id)}/claim"
