"""Outgoing webhooks against a real receiver: every event of a booking, exactly one delivery
id each, in order, through failures, timeouts and recovery; signatures the Standard Webhooks
library accepts; the address guard; pausing; and a `minis worker` killed mid-send."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from databases import Database
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient

from tests.support.api import bearer, make_key
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.keys import STRONG_SECRET_KEY
from tests.support.queries import rows
from tests.support.webhook_receiver import Received, webhook_receiver
from tests.support.world import World
from tests.test_cli import MINIS
from widget_server.booking.webhook_events import EVENT_TYPES
from widget_server.db.tables import outbox, studios, webhook_attempts, webhook_deliveries
from widget_server.db.webhook_outbox import PAUSE_AFTER
from widget_server.outgoing.addresses import AddressRefused, is_public, resolve
from widget_server.outgoing.sender import deliver_due
from widget_server.studio.webhooks import check_endpoint, create_endpoint, studio_endpoint

CLIENT = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+12125550143"}


def add_endpoint(db_url: str, url: str, now: datetime, events: list[str] | None = None) -> str:
    """An endpoint of Acme's for ``events`` (all by default); its signing secret."""

    async def work(db: Database) -> str:
        studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == "acme"))
        endpoint_id = await create_endpoint(db, studio_id, url, events or list(EVENT_TYPES), now)
        endpoint = await studio_endpoint(db, studio_id, endpoint_id)
        assert endpoint is not None
        return endpoint.secret

    return run_db(db_url, work)


def deliver(db_url: str, clock: FakeClock, *, allow_private: bool = True) -> tuple[int, int]:
    return run_db(
        db_url, lambda db: deliver_due(db, clock, allow_private=allow_private, request_seconds=0.5)
    )


def pending(db_url: str) -> int:
    return sum(r["status"] == "pending" for r in rows(db_url, webhook_deliveries.select()))


def make_changes(client: TestClient, key: str, world: World) -> dict[str, Any]:
    """One booking through its whole life, another just booked, a lead closed."""
    first, second = world.slots["portraits"][:2]
    a = client.post("/api/v1/bookings", json={"slot_id": first, **CLIENT}, headers=bearer(key))
    booking = a.json()
    path = f"/api/v1/bookings/{booking['id']}"
    payment = booking["payments"][0]["id"]
    assert client.post(f"{path}/payments/{payment}/mark-paid", headers=bearer(key)).is_success
    assert client.post(f"{path}/move", json={"slot_id": second}, headers=bearer(key)).is_success
    assert client.post(f"{path}/cancel", json={"refund": "full"}, headers=bearer(key)).is_success
    lead = f"/api/v1/leads/{booking['lead_id']}/close"
    assert client.post(lead, headers=bearer(key)).is_success
    other = client.post(
        "/api/v1/bookings",
        json={"slot_id": world.slots["family"][0], **CLIENT, "email": "grace@example.com"},
        headers=bearer(key),
    ).json()
    return {
        f"booking:{booking['id']}": [
            "booking.held",
            "booking.booked",
            "payment.received",
            "booking.rescheduled",
            "booking.cancelled",
            "payment.refunded",
        ],
        f"lead:{booking['lead_id']}": ["lead.closed"],
        f"booking:{other['id']}": ["booking.held", "booking.booked"],
    }


def ordering_key(event: dict[str, Any]) -> str:
    if event["type"] == "lead.closed":
        return f"lead:{event['data']['lead']['id']}"
    return f"booking:{event['data']['booking']['id']}"


def check_signature(secret: str, received: Received) -> None:
    """The library's own signing of what we sent must equal our signature."""
    headers = received.headers
    at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(headers["webhook-id"], at, received.body.decode())
    assert headers["webhook-signature"] == expected


def first_arrivals(received: list[Received]) -> dict[str, list[tuple[str, str]]]:
    """Per booking (or lead): (event type, delivery id) in the order each id first arrived."""
    seen: set[str] = set()
    order: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in received:
        msg_id = r.headers["webhook-id"]
        if msg_id in seen:
            continue
        seen.add(msg_id)
        event = json.loads(r.body)
        order[ordering_key(event)].append((event["type"], msg_id))
    return order


def test_a_failing_then_slow_then_healthy_receiver_gets_every_event_once_in_order(
    client: TestClient, db_url: str, clock: FakeClock, world: World
) -> None:
    key = make_key(db_url, clock())
    with webhook_receiver() as receiver:
        receiver.slow_seconds = 1.5
        receiver.script = ["fail", "slow", "ok", "fail", "fail", "ok", "slow", "ok", "fail"]
        secret = add_endpoint(db_url, receiver.url, clock())
        expected = make_changes(client, key, world)
        total = sum(len(v) for v in expected.values())
        assert pending(db_url) == total  # written with the changes, nothing sent yet
        for _ in range(40):
            deliver(db_url, clock)
            if not pending(db_url):
                break
            clock.advance(minutes=15)  # past every backoff so far
        received = list(receiver.received)
    deliveries = rows(db_url, webhook_deliveries.select())
    assert {d["status"] for d in deliveries} == {"delivered"} and len(deliveries) == total
    for r in received:
        check_signature(secret, r)
        assert r.headers["content-type"] == "application/json"
    # Each event under exactly one delivery id, each id the same on every attempt…
    order = first_arrivals(received)
    assert {k: [t for t, _ in v] for k, v in order.items()} == expected
    ids = {msg_id for v in order.values() for _, msg_id in v}
    assert ids == {d["msg_id"] for d in deliveries}
    # …and repeated only when an attempt failed (a 500, or no answer in time).
    per_id: dict[str, list[str]] = defaultdict(list)
    for r in received:
        per_id[r.headers["webhook-id"]].append(r.answer)
    for answers in per_id.values():
        assert answers[-1] == "ok" and "ok" not in answers[:-1], answers
    assert sum(len(a) for a in per_id.values()) == len(received) > total
    attempts = rows(db_url, webhook_attempts.select())
    assert len(attempts) == len(received)
    assert {a["status_code"] for a in attempts} == {200, 500, None}
    assert any(a["error"] == "no answer in time" for a in attempts)
    # What a receiver gets: the booking, its client, time and place, and the money.
    booked = next(
        json.loads(r.body) for r in received if json.loads(r.body)["type"] == "payment.received"
    )
    assert booked["data"]["amount_minor"] == 20000 and booked["data"]["currency"] == "USD"
    assert booked["data"]["booking"]["client"]["email"] == CLIENT["email"]


def test_only_the_events_an_endpoint_wants_are_queued(
    client: TestClient, db_url: str, clock: FakeClock, world: World
) -> None:
    key = make_key(db_url, clock())
    add_endpoint(db_url, "https://hooks.example.com/a", clock(), ["booking.cancelled"])
    make_changes(client, key, world)
    assert [d["event_type"] for d in rows(db_url, webhook_deliveries.select())] == [
        "booking.cancelled"
    ]


def test_no_endpoint_no_deliveries(
    client: TestClient, db_url: str, clock: FakeClock, world: World
) -> None:
    make_changes(client, make_key(db_url, clock()), world)
    assert rows(db_url, webhook_deliveries.select()) == []


def test_a_refused_change_queues_nothing(
    client: TestClient, db_url: str, clock: FakeClock, world: World
) -> None:
    key = make_key(db_url, clock())
    add_endpoint(db_url, "https://hooks.example.com/a", clock())
    slot = world.slots["portraits"][0]
    assert (
        client.post(
            "/api/v1/bookings", json={"slot_id": slot, **CLIENT}, headers=bearer(key)
        ).status_code
        == 201
    )
    before = len(rows(db_url, webhook_deliveries.select()))
    taken = client.post(
        "/api/v1/bookings",
        json={"slot_id": slot, **CLIENT, "email": "late@example.com"},
        headers=bearer(key),
    )
    assert taken.status_code == 409
    assert len(rows(db_url, webhook_deliveries.select())) == before


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_only_public_addresses_are_called(address: str, public: bool) -> None:
    assert is_public(address) is public


def test_private_destinations_are_refused_at_send_time_unless_allowed(
    client: TestClient, db_url: str, clock: FakeClock, world: World
) -> None:
    import asyncio

    with pytest.raises(AddressRefused, match="private or local"):
        asyncio.run(resolve("http://localhost:9/x", allow_private=False))
    assert asyncio.run(resolve("http://localhost:9/x", allow_private=True)).address in (
        "127.0.0.1",
        "::1",
    )
    assert check_endpoint("http://127.0.0.1/x", ["booking.booked"], allow_private=False)["url"]
    assert check_endpoint("http://[::1]/x", ["booking.booked"], allow_private=False)["url"]
    assert not check_endpoint("http://127.0.0.1/x", ["booking.booked"], allow_private=True)
    assert check_endpoint("ftp://example.com/x", ["booking.booked"], allow_private=True)["url"]
    assert check_endpoint("https://example.com/x", [], allow_private=True)["events"]
    key = make_key(db_url, clock())
    with webhook_receiver() as receiver:
        # Saved while allowed (or pointing at a name that resolves here later): still refused.
        add_endpoint(db_url, receiver.url, clock())
        client.post(
            "/api/v1/bookings",
            json={"slot_id": world.slots["family"][0], **CLIENT},
            headers=bearer(key),
        )
        assert deliver(db_url, clock, allow_private=False) == (0, 1)
        assert receiver.received == []
    [delivery] = [d for d in rows(db_url, webhook_deliveries.select()) if d["attempts"]]
    assert "private or local address" in delivery["last_error"]
    assert delivery["status"] == "pending"  # retried later: the operator may allow it


def test_an_endpoint_that_keeps_failing_is_paused_and_the_photographer_told(
    client: TestClient, db_url: str, clock: FakeClock, world: World
) -> None:
    key = make_key(db_url, clock())
    with webhook_receiver() as receiver:
        receiver.default = "fail"
        add_endpoint(db_url, receiver.url, clock())
        for slot_id in world.slots["family"][:3]:
            for n in range(4):
                client.post(
                    "/api/v1/bookings",
                    json={"slot_id": slot_id, **CLIENT, "email": f"c{slot_id}-{n}@example.com"},
                    headers=bearer(key),
                )
        for _ in range(PAUSE_AFTER + 5):
            deliver(db_url, clock)
            clock.advance(hours=1)
        assert len(receiver.received) == PAUSE_AFTER  # then nothing more is sent
        [notice] = [r for r in rows(db_url, outbox.select()) if r["kind"] == "webhook_paused"]
        assert notice["recipient"] == "acme@studio.test" and notice["booking_id"] is None

        from widget_server.booking.tokens import BookingTokens
        from widget_server.db.outbox import OutboxEmail
        from widget_server.mail.render import render_email

        async def rendered(db: Database) -> Any:
            email = OutboxEmail.from_row(
                await db.fetch_one(outbox.select().where(outbox.c.id == notice["id"]))
            )
            return await render_email(
                db, email, base_url="https://book.test", tokens=BookingTokens("k" * 40), now=clock()
            )

        email = run_db(db_url, rendered)
        assert email.subject.startswith("Webhooks paused: http://127.0.0.1")
        assert "/admin/integrations/webhooks/" in email.text and "Open the endpoint" in email.html

        # Fixed and resumed: what waited goes out, in order.
        receiver.default = "ok"
        from widget_server.studio.webhooks import resume_endpoint

        endpoint_id = rows(db_url, webhook_deliveries.select())[0]["endpoint_id"]

        async def resume(db: Database) -> bool:
            studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == "acme"))
            return await resume_endpoint(db, studio_id, endpoint_id)

        assert run_db(db_url, resume)
        for _ in range(20):
            deliver(db_url, clock)
            clock.advance(hours=1)
            if not pending(db_url):
                break
    assert {d["status"] for d in rows(db_url, webhook_deliveries.select())} <= {
        "delivered",
        "failed",
    }
    assert pending(db_url) == 0


def test_a_worker_killed_mid_send_loses_nothing(
    client: TestClient, db_url: str, clock: FakeClock, world: World
) -> None:
    """A `minis worker` is SIGKILLed while the receiver holds a delivery. Another worker
    sends everything else, in order per booking, and the one in flight again once its lease
    runs out, with the same webhook-id; the library verifies every signature (real clock)."""
    key = make_key(db_url, clock())
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MINIS_")},
        "MINIS_DATABASE_URL": db_url,
        "MINIS_SECRET_KEY": STRONG_SECRET_KEY,
        "MINIS_WEBHOOKS_ALLOW_PRIVATE": "1",
    }
    worker = [MINIS, "worker", "--mail-interval", "0.1"]
    with webhook_receiver() as receiver:
        receiver.script = ["hold"]
        secret = add_endpoint(db_url, receiver.url, clock())
        expected = make_changes(client, key, world)
        total = sum(len(v) for v in expected.values())

        async def due_now(db: Database) -> None:  # the workers run on the real clock
            await db.execute(webhook_deliveries.update().values(next_attempt_at=datetime.now(UTC)))

        run_db(db_url, due_now)
        doomed = subprocess.Popen(worker, env=env, stderr=subprocess.DEVNULL)
        try:
            assert receiver.holding.wait(30), "the first worker sent nothing"
        finally:
            doomed.kill()  # SIGKILL: no chance to record anything
            doomed.wait(timeout=15)
        receiver.release.set()
        [in_flight] = [r.headers["webhook-id"] for r in receiver.received]

        survivor = subprocess.Popen(worker, env=env, stderr=subprocess.PIPE, text=True)
        try:
            # Everything not held back by the dead worker's lease goes out at once.
            blocked = next(k for k, v in first_arrivals(receiver.received).items())
            others = total - len(expected[blocked])
            receiver.wait_for(1 + others, timeout=30)
            time.sleep(0.5)

            async def lease_runs_out(db: Database) -> None:  # as 30 s passing would
                await db.execute(
                    webhook_deliveries.update()
                    .where(webhook_deliveries.c.msg_id == in_flight)
                    .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
                )

            run_db(db_url, lease_runs_out)
            receiver.wait_for(total + 1, timeout=30)
            time.sleep(1)  # time for a duplicate to show up, were there one
        finally:
            survivor.send_signal(signal.SIGINT)
            errors = survivor.communicate(timeout=15)[1]
        received = list(receiver.received)
    assert "Traceback" not in errors, errors
    assert len(received) == total + 1
    assert [r.headers["webhook-id"] for r in received].count(in_flight) == 2
    for r in received:
        Webhook(secret).verify(r.body, r.headers)  # raises unless genuine and current
    order = first_arrivals(received)
    assert {k: [t for t, _ in v] for k, v in order.items()} == expected
    assert {d["status"] for d in rows(db_url, webhook_deliveries.select())} == {"delivered"}
