"""Reschedule under real concurrency: live uvicorn, real HTTP, SQLite and PostgreSQL (3 workers).

A move claims the new spot under the same conditional UPDATE as a new booking
and frees the old one only once it has it, so racing moves and new clients
never overbook, never lose a client's spot, and (locking slots in id order)
never deadlock.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import sqlalchemy as sa

from tests.support.databases import run_db
from tests.support.live_server import live_server
from tests.support.mail import set_mini
from tests.support.queries import all_bookings, rows
from tests.support.world import World, build_world
from widget_server.db.tables import booking_events, slots

PHONE = "+12125550143"


def _world(db_url: str) -> World:
    world = run_db(db_url, lambda db: build_world(db, datetime.now(UTC), edge_slots=False))
    for slug in ("portraits", "family"):
        set_mini(db_url, slug, change_cutoff_hours=0)
    return world


def _workers(db_url: str) -> int:
    return 1 if db_url.startswith("sqlite") else 3


def _book(client: httpx2.Client, mini: str, slot_id: int, n: int) -> str:
    """Book client ``n`` on the slot (offline payment); the booking's path /b/{token}."""
    details = {"name": f"Client {n}", "email": f"c{n}@example.com", "phone": PHONE}
    held = client.post(f"/acme/{mini}/book?slot={slot_id}", data=details)
    assert held.status_code == 303, held.text
    path = held.headers["location"].removesuffix("/quote")
    # The one checkout: reserve, paying the studio (offline).
    assert client.post(f"{path}/quote", data={"method": "offline"}).status_code == 303
    return path


async def _race(base: str, requests: list[tuple[str, dict[str, str]]]) -> list[httpx2.Response]:
    limits = httpx2.Limits(max_connections=len(requests), max_keepalive_connections=0)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        await client.get("/healthz")
        return await asyncio.gather(*(client.post(path, data=data) for path, data in requests))


def _assert_taken_matches_bookings(db_url: str) -> None:
    """Every slot's ``taken`` equals its live bookings: nothing leaked, nothing double-counted."""
    live = Counter(b["slot_id"] for b in all_bookings(db_url) if b["status"] in {"booked", "held"})
    for row in rows(db_url, sa.select(slots.c.id, slots.c.taken, slots.c.capacity)):
        assert row["taken"] == live.get(row["id"], 0) <= row["capacity"], row


def test_moves_and_new_clients_racing_for_the_last_spot(db_url: str, tmp_path: Path) -> None:
    world = _world(db_url)
    target, *others = world.slots["portraits"][:5]
    log = tmp_path / "uvicorn.log"
    with live_server(db_url, workers=_workers(db_url), log_path=log) as base:
        with httpx2.Client(base_url=base) as client:
            paths = [_book(client, "portraits", slot, n) for n, slot in enumerate(others)]
        moves = [(f"{path}/reschedule", {"slot": str(target)}) for path in paths]
        newcomers = [
            (
                f"/acme/portraits/book?slot={target}",
                {"name": f"New {n}", "email": f"new{n}@example.com", "phone": PHONE},
            )
            for n in range(6)
        ]
        responses = asyncio.run(_race(base, moves + newcomers))
    output = log.read_text(errors="replace")
    assert "Traceback" not in output and "deadlock" not in output, output[-3000:]
    assert {r.status_code for r in responses} <= {303, 409}, [r.status_code for r in responses]
    winners = [r for r in responses if r.status_code == 303]
    assert len(winners) == 1
    on_target = [b for b in all_bookings(db_url) if b["slot_id"] == target]
    assert len(on_target) == 1
    for loser in (r for r in responses if r.status_code == 409):
        assert "Someone else just booked this time" in loser.text
    # Everyone who lost kept their old time.
    for booking in all_bookings(db_url):
        if booking not in on_target:
            assert booking["status"] == "booked" and booking["slot_id"] in others
    _assert_taken_matches_bookings(db_url)


def test_opposite_moves_and_two_tabs_never_deadlock_or_leak(db_url: str, tmp_path: Path) -> None:
    world = _world(db_url)
    a, b, c = world.slots["family"][:3]  # three spots each
    log = tmp_path / "uvicorn.log"
    with live_server(db_url, workers=_workers(db_url), log_path=log) as base:
        with httpx2.Client(base_url=base) as client:
            on_a = [_book(client, "family", a, n) for n in range(2)]
            on_b = [_book(client, "family", b, n + 2) for n in range(2)]
            tabs = _book(client, "family", c, 9)
        requests = [(f"{p}/reschedule", {"slot": str(b)}) for p in on_a]
        requests += [(f"{p}/reschedule", {"slot": str(a)}) for p in on_b]
        # One booking moved from two tabs at once, to two different times.
        requests += [(f"{tabs}/reschedule", {"slot": str(a)})]
        requests += [(f"{tabs}/reschedule", {"slot": str(b)})]
        responses = asyncio.run(_race(base, requests))
    output = log.read_text(errors="replace")
    assert "Traceback" not in output and "deadlock" not in output, output[-3000:]
    assert {r.status_code for r in responses} <= {303, 409}, [r.status_code for r in responses]
    bookings = all_bookings(db_url)
    assert len(bookings) == 5 and {x["status"] for x in bookings} == {"booked"}
    # Every move the client was told about happened, once; nothing else moved.
    told = sum(r.headers.get("location", "").endswith("?done=rescheduled") for r in responses)
    moves = rows(db_url, sa.select(booking_events).where(booking_events.c.kind == "rescheduled"))
    assert told == len(moves) >= 1
    _assert_taken_matches_bookings(db_url)
