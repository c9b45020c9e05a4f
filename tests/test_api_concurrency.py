"""The write API under real concurrency: a live uvicorn, real HTTP, 100 clients at once.

SQLite runs one worker process; PostgreSQL runs three, so the guarantees hold across
processes: one slot's last spot goes to exactly one request, and an Idempotency-Key sent
by many racing requests runs its change once, every answer being that first one's.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2

from tests.support.api import bearer, make_key
from tests.support.databases import run_db
from tests.support.live_server import live_server
from tests.support.queries import bookings_on, taken
from tests.support.world import World, build_world

CLIENTS = 100


def workers_for(db_url: str) -> int:
    return 1 if db_url.startswith("sqlite") else 3


def _world(db_url: str) -> World:
    return run_db(db_url, lambda db: build_world(db, datetime.now(UTC), edge_slots=False))


async def _race(
    base: str, key: str, bodies: list[tuple[dict[str, Any], dict[str, str]]]
) -> list[httpx2.Response]:
    limits = httpx2.Limits(max_connections=len(bodies), max_keepalive_connections=0)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=90) as client:
        await client.get("/healthz")
        return await asyncio.gather(
            *(
                client.post("/api/v1/bookings", json=body, headers={**bearer(key), **extra})
                for body, extra in bodies
            )
        )


def test_100_concurrent_bookings_of_one_slot_exactly_one_wins(db_url: str, tmp_path: Path) -> None:
    world = _world(db_url)
    key = make_key(db_url, datetime.now(UTC))
    slot_id = world.slots["portraits"][0]
    bodies = [
        (
            {
                "slot_id": slot_id,
                "name": f"Client {n}",
                "email": f"client{n}@example.com",
                "phone": "+12125550143",
            },
            {},
        )
        for n in range(CLIENTS)
    ]
    log = tmp_path / "uvicorn.log"
    with live_server(db_url, workers=workers_for(db_url), log_path=log, log_level="info") as base:
        responses = asyncio.run(_race(base, key, bodies))
    statuses = Counter(r.status_code for r in responses)
    text = log.read_text(errors="replace")
    assert statuses == {201: 1, 409: CLIENTS - 1}, (statuses, text[-3000:])
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "slot_unavailable"
    [booking] = bookings_on(db_url, slot_id)
    assert booking["status"] == "booked" and taken(db_url, slot_id) == 1
    assert "Traceback" not in text and "database is locked" not in text
    # The access log has every request, and never the key that made it.
    assert text.count("POST /api/v1/bookings") == CLIENTS
    assert key not in text and key[3:20] not in text


def test_racing_requests_with_one_idempotency_key_book_once(db_url: str, tmp_path: Path) -> None:
    world = _world(db_url)
    key = make_key(db_url, datetime.now(UTC))
    slot_id = world.slots["family"][0]  # three spots: a second run would find room
    body = {
        "slot_id": slot_id,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+12125550143",
    }
    racers = 20
    with live_server(
        db_url, workers=workers_for(db_url), log_path=tmp_path / "uvicorn.log"
    ) as base:
        responses = asyncio.run(_race(base, key, [(body, {"Idempotency-Key": "once"})] * racers))
        with httpx2.Client(base_url=base) as client:
            replay = client.post(
                "/api/v1/bookings", json=body, headers={**bearer(key), "Idempotency-Key": "once"}
            )
    statuses = Counter(r.status_code for r in responses)
    # Every racer got the first answer, or was told the first one was still running.
    assert set(statuses) <= {201, 409} and statuses[201] >= 1, statuses
    created = [r.json() for r in responses if r.status_code == 201]
    assert all(c == created[0] for c in created)
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_in_progress"
    assert replay.status_code == 201 and replay.json() == created[0]
    assert len(bookings_on(db_url, slot_id)) == 1 and taken(db_url, slot_id) == 1
