"""The webhook racing the return redirect over real HTTP: live uvicorn (three workers on
PostgreSQL), ten deliveries of the same event and three returns, all at once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx2
from databases import Database

from tests.support.databases import run_db
from tests.support.live_server import live_server
from tests.support.queries import all_payments, event_kinds, taken
from tests.support.stripe_server import SECRET_KEY, WEBHOOK_SECRET, sign, stand_in_stripe
from tests.support.world import build_world, offer_stripe

DELIVERIES = 10
RETURNS = 3


async def _race(base: str, payload: bytes, return_path: str) -> list[httpx2.Response]:
    limits = httpx2.Limits(max_connections=DELIVERIES + RETURNS, max_keepalive_connections=0)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        await client.get("/healthz")
        headers = {"Stripe-Signature": sign(payload), "Content-Type": "application/json"}
        webhooks = [
            client.post("/webhooks/stripe", content=payload, headers=headers)
            for _ in range(DELIVERIES)
        ]
        returns = [client.get(return_path) for _ in range(RETURNS)]
        return await asyncio.gather(*webhooks, *returns)


def test_webhooks_racing_the_return_book_once_over_http(db_url: str, tmp_path: Path) -> None:
    async def seed(db: Database) -> list[int]:
        world = await build_world(db, datetime.now(UTC), edge_slots=False)
        await offer_stripe(db)
        return world.slots["card-only"]

    slot = run_db(db_url, seed)[0]
    workers = 1 if db_url.startswith("sqlite") else 3
    with stand_in_stripe(clock=time.time) as stripe_api:
        env = {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe_api.base_url,
        }
        log = tmp_path / "uvicorn.log"
        with live_server(db_url, workers=workers, extra_env=env, log_path=log) as base:
            with httpx2.Client(base_url=base, follow_redirects=False, timeout=30) as http:
                details = {
                    "name": "Ada Lovelace",
                    "email": "ada@example.com",
                    "phone": "+12125550143",
                }
                held = http.post(f"/acme/card-only/book?slot={slot}", data=details)
                booking_path = held.headers["location"].removesuffix("/quote")
                checkout = http.post(f"{booking_path}/quote").headers["location"]
            session_id = checkout.rsplit("/", 1)[1]
            session = stripe_api.pay(session_id)
            payload = stripe_api.event("checkout.session.completed", session)
            return_path = f"{booking_path}/stripe/return?session_id={session_id}"
            responses = asyncio.run(_race(base, payload, return_path))
    output = log.read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]
    outcomes = Counter(r.json()["outcome"] for r in responses[:DELIVERIES])
    assert all(r.status_code == 200 for r in responses[:DELIVERIES])
    assert all(r.status_code == 303 for r in responses[DELIVERIES:])
    assert outcomes["booked"] <= 1 and outcomes["booked"] + outcomes["duplicate"] == DELIVERIES
    [payment] = all_payments(db_url)
    assert payment["provider_ref"] == session_id and payment["status"] == "succeeded"
    assert event_kinds(db_url, payment["booking_id"]).count("booked") == 1
    assert taken(db_url, slot) == 1
