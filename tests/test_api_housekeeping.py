"""The upkeep forgets what the API and the webhooks no longer need: Idempotency-Keys after a
day (a key is then free to run again), settled webhook deliveries and their attempts after
30 days; a delivery still waiting to be sent is kept, however old."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.api import bearer, make_key
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.queries import rows
from tests.support.webhook_receiver import webhook_receiver
from tests.support.world import World
from tests.test_webhooks_out import CLIENT, add_endpoint, deliver
from widget_server.db.tables import api_idempotency, webhook_attempts, webhook_deliveries
from widget_server.upkeep import upkeep


def _run_upkeep(db_url: str, clock: FakeClock) -> None:
    run_db(db_url, lambda db: upkeep(db, clock, {}))


def test_idempotency_keys_are_forgotten_after_a_day(
    client: TestClient, db_url: str, clock: FakeClock, world: World
) -> None:
    key = make_key(db_url, clock())
    slot = world.slots["family"][0]

    def book(idempotency_key: str, email: str) -> int:
        response = client.post(
            "/api/v1/bookings",
            json={"slot_id": slot, **CLIENT, "email": email},
            headers={**bearer(key), "Idempotency-Key": idempotency_key},
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    first = book("order-1", "ada@example.com")
    clock.advance(hours=12)
    book("order-2", "grace@example.com")
    clock.advance(hours=12, seconds=1)  # order-1 is a day and a second old; order-2 half that
    assert book("order-1", "ada@example.com") == first  # still a replay until the upkeep runs
    _run_upkeep(db_url, clock)
    assert [r["idempotency_key"] for r in rows(db_url, api_idempotency.select())] == ["order-2"]
    # Forgotten: the same key now makes a new booking.
    assert book("order-1", "linus@example.com") != first


def test_settled_deliveries_are_kept_30_days_pending_ones_until_sent(
    client: TestClient, db_url: str, clock: FakeClock, world: World
) -> None:
    key = make_key(db_url, clock())

    def attempts() -> list[int]:
        return [a["delivery_id"] for a in rows(db_url, webhook_attempts.select())]

    with webhook_receiver() as receiver:
        add_endpoint(db_url, receiver.url, clock(), ["booking.booked"])
        for slot, email in (
            (world.slots["portraits"][0], "ada@example.com"),
            (world.slots["family"][0], "grace@example.com"),
        ):
            made = client.post(
                "/api/v1/bookings",
                json={"slot_id": slot, **CLIENT, "email": email},
                headers=bearer(key),
            )
            assert made.status_code == 201
        receiver.script = ["ok", "fail"]
        deliver(db_url, clock)
        first, second = rows(db_url, webhook_deliveries.select().order_by(webhook_deliveries.c.id))
        assert (first["status"], second["status"]) == ("delivered", "pending")
        assert attempts() == [first["id"], second["id"]]

        clock.advance(days=30, seconds=1)
        _run_upkeep(db_url, clock)
        # The delivered one is gone with its attempt; the one still to send stays.
        assert [d["id"] for d in rows(db_url, webhook_deliveries.select())] == [second["id"]]
        assert attempts() == [second["id"]]

        receiver.script = ["ok"]
        deliver(db_url, clock)  # made 30 days ago, delivered now: its 30 days start now
        _run_upkeep(db_url, clock)
        assert [d["status"] for d in rows(db_url, webhook_deliveries.select())] == ["delivered"]
        assert attempts() == [second["id"], second["id"]]

    clock.advance(days=29)
    _run_upkeep(db_url, clock)
    assert len(rows(db_url, webhook_deliveries.select())) == 1
    clock.advance(days=1, seconds=1)
    _run_upkeep(db_url, clock)
    assert rows(db_url, webhook_deliveries.select()) == [] and attempts() == []
