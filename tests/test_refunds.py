"""Refunds through the payment interface: recorded once per key, reflected in what was paid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import book_with_demo_card
from tests.support.mail import set_mini
from tests.support.queries import event_kinds
from tests.support.stripe_flow import post_event, run_stripe_worker, start_card_checkout, view_of
from tests.support.stripe_server import StandInStripe
from tests.support.world import World
from widget_server.booking.views import BookingView
from widget_server.config import Settings
from widget_server.db.refund_intents import (
    claim_due,
    claim_intent,
    mark_done,
    open_intents,
    owe_refund,
)
from widget_server.db.tables import refund_intents
from widget_server.db.transactions import write_transaction
from widget_server.payments import PaymentMethods, RefundRequest
from widget_server.payments.base import PaymentMethod, PaymentUnavailable
from widget_server.payments.refunds import (
    AUTO_RETRIES,
    carry_out,
    refund_owed_now,
    retry_due_refunds,
    retry_failed_refunds,
)

REFUNDS_PATH = "/v1/refunds"
DEMO_METHODS = PaymentMethods.from_settings(Settings(demo=True))


def _refund(db_url: str, booking: BookingView, amount: int, key: str, clock: FakeClock) -> bool:
    payment = booking.payments[0]

    async def work(db: Database) -> bool:
        request = RefundRequest(db, booking, payment, amount, key=key, reason="test", now=clock())
        return await DEMO_METHODS[payment.method].refund(request)

    return run_db(db_url, work)


def test_partial_refunds_are_recorded_once_per_key(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    token = book_with_demo_card(client, world.slots["portraits"][0])
    booking = view_of(client, db_url, token)
    assert booking.paid_minor == 5000 and booking.payments[0].refundable_minor == 5000
    assert _refund(db_url, booking, 2000, "first", clock) is True
    assert _refund(db_url, booking, 2000, "first", clock) is False  # same request again
    after = view_of(client, db_url, token)
    assert after.paid_minor == 3000 and after.refunded_minor == 2000
    assert after.payments[0].refundable_minor == 3000
    assert _refund(db_url, after, 3000, "second", clock) is True
    final = view_of(client, db_url, token)
    assert final.paid_minor == 0 and final.payments[0].refundable_minor == 0
    assert event_kinds(db_url, final.id).count("refund_recorded") == 2


def _background_round(client: TestClient, db_url: str, clock: FakeClock) -> int:
    methods = client.app.state.payments  # type: ignore[attr-defined]
    return run_db(db_url, lambda db: retry_due_refunds(methods, db, clock()))


def test_a_failed_refund_is_retried_in_the_background_with_growing_waits(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    post_event(stripe_client, stripe_api, "checkout.session.completed", stripe_api.pay(session_id))
    booking = view_of(stripe_client, db_url, token)
    # The provider is down for the first two tries (the library itself retries once each).
    stripe_api.fail_next_create(500, times=4, path=REFUNDS_PATH)

    async def refund_now(db: Database) -> bool | None:
        intent_id = await _owe(db, booking, 4000, "bg-1", clock())
        methods = stripe_client.app.state.payments  # type: ignore[attr-defined]
        return (await refund_owed_now(methods, db, intent_id, clock()))[1]

    assert run_db(db_url, refund_now) is None  # failed, logged as refund_failed
    assert _background_round(stripe_client, db_url, clock) == 0  # too soon: nothing sent
    assert len(stripe_api.creates(REFUNDS_PATH)) == 2
    clock.advance(minutes=5)
    assert _background_round(stripe_client, db_url, clock) == 0  # tried: still down, logged again
    assert len(stripe_api.creates(REFUNDS_PATH)) == 4
    clock.advance(minutes=5)
    assert _background_round(stripe_client, db_url, clock) == 0  # the second wait is 10 minutes
    assert len(stripe_api.creates(REFUNDS_PATH)) == 4
    clock.advance(minutes=5)
    assert _background_round(stripe_client, db_url, clock) == 1  # up again: refunded
    assert [r["amount"] for r in stripe_api.refunds.values()] == [4000]
    assert len(set(stripe_api.creates(REFUNDS_PATH))) == 1  # one idempotency key throughout
    clock.advance(hours=1)
    assert _background_round(stripe_client, db_url, clock) == 0  # nothing left to do
    assert len(stripe_api.refunds) == 1
    assert view_of(stripe_client, db_url, token).refunded_minor == 4000


async def _owe(db: Database, booking: BookingView, amount: int, key: str, now: datetime) -> int:
    """A refund intent of the booking's first payment, as a cancellation writes it."""
    async with write_transaction(db):
        intent_id = await owe_refund(
            db,
            booking_id=booking.id,
            payment_id=booking.payments[0].id,
            amount_minor=amount,
            key=key,
            reason="test",
            now=now,
        )
    assert intent_id is not None
    return intent_id


class _Down(PaymentMethod):
    """The demo card's provider, unreachable."""

    key = "demo"

    async def refund(self, request: RefundRequest) -> bool:
        raise PaymentUnavailable("down")


def test_background_retries_stop_after_a_few_and_leave_the_rest_to_the_photographer(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    token = book_with_demo_card(client, world.slots["portraits"][0])
    booking = view_of(client, db_url, token)
    start = clock()
    down = {"demo": _Down()}

    async def work(db: Database) -> None:
        async def failed(times: int, key: str) -> int:
            """An intent that failed ``times`` times, each at ``start``."""
            intent_id = await _owe(db, booking, 500, key, start)
            for _ in range(times):
                intent = await claim_intent(db, intent_id, start, even_if_waiting=True)
                assert intent is not None and await carry_out(down, db, intent, start) is None
            return intent_id

        async def due(at: datetime) -> int | None:
            """The intent the background would take at ``at`` (then put out of the way)."""
            intent = await claim_due(db, at)
            if intent is not None:
                await mark_done(db, intent, at)
            return None if intent is None else intent.id

        once = await failed(1, "once")
        assert await due(start + timedelta(minutes=4)) is None
        assert await due(start + timedelta(minutes=5)) == once
        await failed(3, "thrice")
        assert await due(start + timedelta(minutes=19)) is None
        assert await due(start + timedelta(minutes=20)) is not None
        await failed(AUTO_RETRIES, "often")
        assert await due(start + timedelta(days=1)) is not None
        given_up = await failed(AUTO_RETRIES + 1, "given-up")
        assert await due(start + timedelta(days=1)) is None
        await failed(1, "settled")
        payment = booking.payments[0]
        request = RefundRequest(db, booking, payment, 500, key="settled", reason="", now=start)
        assert await DEMO_METHODS["demo"].refund(request) is True  # made another way
        assert await due(start + timedelta(days=1)) is None
        # The photographer's Retry still reaches the one the background gave up on.
        assert [i.id for i in await open_intents(db, booking.id)] == [given_up]
        assert await retry_failed_refunds(DEMO_METHODS, db, booking, start) == (1, 0)
        assert await open_intents(db, booking.id) == []

    run_db(db_url, work)


def test_a_minis_worker_process_retries_a_failed_stripe_cancellation_refund(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
) -> None:
    """With MINIS_BACKGROUND_JOBS=worker the web processes leave retries to `minis worker`:
    that separate process must reach Stripe with the deployment's own keys."""
    set_mini(db_url, "card-only", change_cutoff_hours=0, cancel_refund_policy="full")
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    post_event(stripe_client, stripe_api, "checkout.session.completed", stripe_api.pay(session_id))
    stripe_api.fail_next_create(500, times=2, path=REFUNDS_PATH)  # down: the try and its retry
    cancelled = stripe_client.post(f"/b/{token}/cancel", data={"confirm": "yes", "message": ""})
    assert cancelled.status_code == 303
    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "cancelled" and booking.refunded_minor == 0
    assert "refund_failed" in event_kinds(db_url, booking.id) and not stripe_api.refunds

    async def failed_six_minutes_ago(db: Database) -> None:  # the worker runs on the real clock
        await db.execute(
            refund_intents.update().values(next_attempt_at=datetime.now(UTC) - timedelta(minutes=1))
        )

    run_db(db_url, failed_six_minutes_ago)
    errors = run_stripe_worker(
        db_url, stripe_api, lambda: view_of(stripe_client, db_url, token).refunded_minor > 0
    )
    assert [r["amount"] for r in stripe_api.refunds.values()] == [booking.paid_minor], errors
    assert len(set(stripe_api.creates(REFUNDS_PATH))) == 1  # the cancellation's own key
    after = view_of(stripe_client, db_url, token)
    assert after.refunded_minor == booking.paid_minor > 0
    assert "Traceback" not in errors, errors
