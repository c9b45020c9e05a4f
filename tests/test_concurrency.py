"""No overbooking and no double payment under real concurrency: live uvicorn, real HTTP.

SQLite runs one worker process; PostgreSQL runs three, so the guarantee is
shown to hold across processes and not just inside one event loop.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest

from tests.support.databases import run_db
from tests.support.live_server import live_server
from tests.support.queries import all_payments, bookings_on, taken
from tests.support.world import World, build_world

CLIENTS = 100


def workers_for(db_url: str) -> int:
    return 1 if db_url.startswith("sqlite") else 3


async def _race(base: str, requests: list[tuple[str, dict[str, str]]]) -> list[httpx2.Response]:
    """POST every request at once, each from its own connection."""
    limits = httpx2.Limits(max_connections=len(requests), max_keepalive_connections=0)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        await client.get("/healthz")
        return await asyncio.gather(*(client.post(path, data=data) for path, data in requests))


def _world(db_url: str) -> World:
    return run_db(db_url, lambda db: build_world(db, datetime.now(UTC), edge_slots=False))


@pytest.mark.parametrize(("mini", "capacity"), [("portraits", 1), ("family", 3)])
def test_concurrent_clients_never_overbook(
    db_url: str, tmp_path: Path, mini: str, capacity: int
) -> None:
    world = _world(db_url)
    slot_id = world.slots[mini][0]
    requests = [
        (
            f"/acme/{mini}/book?slot={slot_id}",
            {"name": f"Client {n}", "email": f"client{n}@example.com", "phone": "+12125550143"},
        )
        for n in range(CLIENTS)
    ]
    with live_server(
        db_url, workers=workers_for(db_url), log_path=tmp_path / "uvicorn.log"
    ) as base:
        responses = asyncio.run(_race(base, requests))
    statuses = Counter(r.status_code for r in responses)
    log = (tmp_path / "uvicorn.log").read_text(errors="replace")
    assert statuses == {303: capacity, 409: CLIENTS - capacity}, (statuses, log[-3000:])
    for response in responses:
        if response.status_code == 409:
            assert "Someone else just booked this time" in response.text
    assert "database is locked" not in log and "Traceback" not in log
    held = bookings_on(db_url, slot_id)
    assert len(held) == capacity and {b["status"] for b in held} == {"held"}
    assert taken(db_url, slot_id) == capacity


def test_concurrent_payments_record_once(db_url: str, tmp_path: Path) -> None:
    world = _world(db_url)
    slot_id = world.slots["portraits"][0]
    details = {"name": "Ada", "email": "ada@example.com", "phone": "+12125550143"}
    with live_server(
        db_url, workers=workers_for(db_url), log_path=tmp_path / "uvicorn.log"
    ) as base:
        with httpx2.Client(base_url=base) as client:
            held = client.post(f"/acme/portraits/book?slot={slot_id}", data=details)
            token_path = held.headers["location"].removesuffix("/quote")
            assert client.get(f"{token_path}/quote").status_code == 200
        pay = (f"{token_path}/pay/demo", {"card": "4242424242424242"})
        responses = asyncio.run(_race(base, [pay] * 20))
    assert {r.status_code for r in responses} == {303}
    # The one that paid sees "?done=booked"; the others find it booked already.
    assert {r.headers["location"].removesuffix("?done=booked") for r in responses} == {token_path}
    assert len(all_payments(db_url)) == 1
    [booking] = bookings_on(db_url, slot_id)
    assert booking["status"] == "booked" and taken(db_url, slot_id) == 1
