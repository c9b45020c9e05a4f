"""A refund owed is never lost and never made twice: refund intents, written with the
cancellation, carried out after the commit, by the background upkeep of any process, and
by a `minis worker`, one runner at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from databases import Database
from starlette.testclient import TestClient

import widget_server.booking.cancel as cancel_module
import widget_server.payments.stripe.charges as charges_module
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import book_with_demo_card
from tests.support.mail import set_mini
from tests.support.queries import event_kinds, rows
from tests.support.stripe_flow import post_event, run_stripe_worker, start_card_checkout, view_of
from tests.support.stripe_server import StandInStripe
from tests.support.world import World
from widget_server.db.connection import create_database
from widget_server.db.refund_intents import LEASE, claim_due, open_intents, owe_refund
from widget_server.db.tables import refund_intents, refunds
from widget_server.db.transactions import write_transaction
from widget_server.payments.refunds import retry_due_refunds
from widget_server.upkeep import upkeep

REFUNDS_PATH = "/v1/refunds"
# Database calls that reach the server; during an outage every one of them fails.
DATABASE_CALLS = ("connection", "transaction", "execute", "execute_many", "fetch_one")
DATABASE_CALLS += ("fetch_all", "fetch_val", "iterate")


class Outage:
    """The app's database goes away on cue: every call to it raises, as a dropped
    connection does, until ``end``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
        self.down = False
        for name in DATABASE_CALLS:
            monkeypatch.setattr(db, name, self._guard(getattr(db, name)))

    def _guard(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise ConnectionResetError("the database went away")
            return call(*args, **kwargs)

        return guarded

    def start_after(self, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
        """Go down the moment ``owner.name`` (a coroutine function) returns."""
        original = getattr(owner, name)

        async def then_down(*args: Any, **kwargs: Any) -> Any:
            result = await original(*args, **kwargs)
            self.down = True
            return result

        monkeypatch.setattr(owner, name, then_down)

    def end(self) -> None:
        self.down = False


def _paid_card_booking(client: TestClient, stripe_api: StandInStripe, world: World) -> str:
    """A "card-only" booking paid through Stripe, cancellable with a full refund."""
    token, session_id = start_card_checkout(client, stripe_api, world.slots["card-only"][0])
    post_event(client, stripe_api, "checkout.session.completed", stripe_api.pay(session_id))
    return token


def _intents(db_url: str) -> list[dict[str, Any]]:
    return rows(db_url, refund_intents.select().order_by(refund_intents.c.id))


def _intent_done(db_url: str) -> bool:
    return bool(_intents(db_url)[0]["state"] == "done")


@pytest.mark.parametrize("runner", ["upkeep", "worker"])
def test_a_refund_owed_outlives_the_database_going_away_right_after_the_cancellation(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    runner: str,
) -> None:
    """The incident: the cancellation committed, then the database went away before the
    refund. The intent committed with the cancellation, so a later upkeep round (in
    this process) or a separate `minis worker` process refunds it, exactly once."""
    set_mini(db_url, "card-only", change_cutoff_hours=0, cancel_refund_policy="full")
    token = _paid_card_booking(stripe_client, stripe_api, world)
    paid = view_of(stripe_client, db_url, token)
    outage = Outage(monkeypatch, stripe_client.app.state.db)  # type: ignore[attr-defined]
    outage.start_after(monkeypatch, cancel_module, "_cancel_booked")

    cancelled = stripe_client.post(f"/b/{token}/cancel", data={"confirm": "yes", "message": ""})
    outage.end()
    assert cancelled.status_code == 303  # the client's cancellation stands
    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "cancelled" and booking.refunded_minor == 0
    assert stripe_api.creates(REFUNDS_PATH) == []  # the provider was never asked
    [owed] = _intents(db_url)
    assert (owed["state"], owed["request_key"], owed["amount_minor"]) == (
        "pending",
        f"cancel-{paid.payments[0].id}",
        paid.paid_minor,
    )

    if runner == "upkeep":
        methods = stripe_client.app.state.payments  # type: ignore[attr-defined]
        for _ in range(2):  # the second round finds nothing left to do
            run_db(db_url, lambda db: upkeep(db, clock, methods))
    else:
        errors = run_stripe_worker(
            db_url, stripe_api, lambda: _intents(db_url)[0]["state"] == "done"
        )
        assert "Traceback" not in errors, errors
    assert [r["amount"] for r in stripe_api.refunds.values()] == [paid.paid_minor]
    assert len(stripe_api.creates(REFUNDS_PATH)) == 1
    assert view_of(stripe_client, db_url, token).refunded_minor == paid.paid_minor
    assert len(rows(db_url, refunds.select())) == 1
    assert event_kinds(db_url, booking.id).count("refund_recorded") == 1
    assert [i["state"] for i in _intents(db_url)] == ["done"]


def test_a_refund_the_provider_made_but_we_failed_to_record_is_recorded_once_later(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stripe refunded, then recording it failed: the retry repeats the request key, Stripe
    answers with the same refund, and it is recorded once."""
    set_mini(db_url, "card-only", change_cutoff_hours=0, cancel_refund_policy="full")
    token = _paid_card_booking(stripe_client, stripe_api, world)
    record = charges_module.record_refund
    calls = []

    async def record_fails_once(*args: Any, **kwargs: Any) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("the database went away")
        return await record(*args, **kwargs)

    monkeypatch.setattr(charges_module, "record_refund", record_fails_once)
    cancelled = stripe_client.post(f"/b/{token}/cancel", data={"confirm": "yes", "message": ""})
    assert cancelled.status_code == 303
    assert len(stripe_api.refunds) == 1 and rows(db_url, refunds.select()) == []
    clock.advance(minutes=5)
    methods = stripe_client.app.state.payments  # type: ignore[attr-defined]
    run_db(db_url, lambda db: upkeep(db, clock, methods))
    keys = stripe_api.creates(REFUNDS_PATH)
    assert len(keys) == 2 and len(set(keys)) == 1  # asked again with the same key
    assert len(stripe_api.refunds) == 1 and len(rows(db_url, refunds.select())) == 1
    assert [i["state"] for i in _intents(db_url)] == ["done"]


async def _round(db: Database, clock: FakeClock, methods: Any) -> int:
    """One background round of refunds owed, as upkeep runs it."""
    return await retry_due_refunds(methods, db, clock())


def _race(
    db_url: str, work: Callable[[Database], Awaitable[int]], delays: list[float]
) -> list[int]:
    """A runner per delay, each on a connection of its own (as separate processes hold),
    starting ``delay`` seconds from now; what each returned."""

    async def runner(db: Database, delay: float) -> int:
        await asyncio.sleep(delay)
        return await work(db)

    async def go() -> list[int]:
        dbs = [create_database(db_url) for _ in delays]
        for db in dbs:
            await db.connect()
        try:
            return list(await asyncio.gather(*map(runner, dbs, delays)))
        finally:
            for db in dbs:
                await db.disconnect()

    return asyncio.run(go())


def test_two_runners_at_once_ask_the_provider_once(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    """Upkeep rounds of several processes reach a due refund together: one leases it and
    asks Stripe, the others leave it alone; two start at the same moment (racing for the
    claim), a third while Stripe is still answering the first (the lease holds it off)."""
    set_mini(db_url, "card-only", change_cutoff_hours=0, cancel_refund_policy="full")
    token = _paid_card_booking(stripe_client, stripe_api, world)
    stripe_api.fail_next_create(500, times=2, path=REFUNDS_PATH)  # down at the cancellation
    cancelled = stripe_client.post(f"/b/{token}/cancel", data={"confirm": "yes", "message": ""})
    assert cancelled.status_code == 303 and not stripe_api.refunds
    asked_at_cancellation = len(stripe_api.creates(REFUNDS_PATH))
    clock.advance(minutes=5)
    stripe_api.hang_next_create(1.5, path=REFUNDS_PATH)
    methods = stripe_client.app.state.payments  # type: ignore[attr-defined]
    made = _race(db_url, lambda db: _round(db, clock, methods), delays=[0, 0, 0.5])
    assert len(stripe_api.creates(REFUNDS_PATH)) == asked_at_cancellation + 1  # asked once
    assert sorted(made) == [0, 0, 1]
    paid = view_of(stripe_client, db_url, token)
    assert len(stripe_api.refunds) == 1 and paid.refunded_minor == paid.payments[0].amount_minor
    assert len(rows(db_url, refunds.select())) == 1


def test_a_runner_that_dies_holding_a_refund_leaves_it_to_another_after_the_lease(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    set_mini(db_url, "card-only", change_cutoff_hours=0, cancel_refund_policy="full")
    token = _paid_card_booking(stripe_client, stripe_api, world)
    stripe_api.fail_next_create(500, times=2, path=REFUNDS_PATH)
    stripe_client.post(f"/b/{token}/cancel", data={"confirm": "yes", "message": ""})
    clock.advance(minutes=5)
    held = run_db(db_url, lambda db: claim_due(db, clock()))  # ...and the runner dies
    assert held is not None
    methods = stripe_client.app.state.payments  # type: ignore[attr-defined]
    clock.advance(minutes=1)
    assert run_db(db_url, lambda db: _round(db, clock, methods)) == 0  # its lease is live
    assert not stripe_api.refunds
    clock.advance(seconds=LEASE.total_seconds())
    assert run_db(db_url, lambda db: _round(db, clock, methods)) == 1
    assert run_db(db_url, lambda db: _round(db, clock, methods)) == 0
    assert len(stripe_api.refunds) == 1 and len(rows(db_url, refunds.select())) == 1


def test_a_claim_leases_one_refund_and_leaves_the_others_to_other_runners(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    token = book_with_demo_card(client, world.slots["portraits"][0])
    booking = view_of(client, db_url, token)

    async def work(db: Database) -> tuple[int | None, list[int]]:
        async with write_transaction(db):
            for key in ("first", "second", "third"):
                await owe_refund(
                    db,
                    booking_id=booking.id,
                    payment_id=booking.payments[0].id,
                    amount_minor=100,
                    key=key,
                    reason="",
                    now=clock(),
                )
        held = await claim_due(db, clock())
        others = [i.id for i in await open_intents(db, booking.id) if i.id != (held and held.id)]
        return None if held is None else held.id, others

    held, others = run_db(db_url, work)
    assert held is not None and len(others) == 2
    leased = [i["id"] for i in _intents(db_url) if i["lease_until"] is not None]
    assert leased == [held]
