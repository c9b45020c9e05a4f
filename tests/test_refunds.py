"""Refunds through the payment interface: recorded once per key, reflected in what was paid."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import book_with_demo_card
from tests.support.keys import STRONG_SECRET_KEY
from tests.support.mail import set_mini
from tests.support.queries import event_kinds
from tests.support.stripe_flow import post_event, start_card_checkout
from tests.support.stripe_server import SECRET_KEY, WEBHOOK_SECRET, StandInStripe
from tests.support.world import World
from tests.test_cli import MINIS
from widget_server.booking.views import BookingView, load_booking_view
from widget_server.config import Settings
from widget_server.db.tables import booking_events
from widget_server.payments import PaymentMethods, RefundRequest
from widget_server.payments.refunds import (
    AUTO_RETRIES,
    attempt_refund,
    due_for_retry,
    retry_due_refunds,
)

REFUNDS_PATH = "/v1/refunds"
DEMO_METHODS = PaymentMethods.from_settings(Settings(demo=True))


def _view(db_url: str, token: str, client: TestClient) -> BookingView:
    public_id = client.app.state.tokens.read(token)  # type: ignore[attr-defined]

    async def work(db: Database) -> BookingView:
        view = await load_booking_view(db, public_id)
        assert view is not None
        return view

    return run_db(db_url, work)


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
    booking = _view(db_url, token, client)
    assert booking.paid_minor == 5000 and booking.payments[0].refundable_minor == 5000
    assert _refund(db_url, booking, 2000, "first", clock) is True
    assert _refund(db_url, booking, 2000, "first", clock) is False  # same request again
    after = _view(db_url, token, client)
    assert after.paid_minor == 3000 and after.refunded_minor == 2000
    assert after.payments[0].refundable_minor == 3000
    assert _refund(db_url, after, 3000, "second", clock) is True
    final = _view(db_url, token, client)
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
    booking = _view(db_url, token, stripe_client)
    payment = booking.payments[0]
    # The provider is down for the first two tries (the library itself retries once each).
    stripe_api.fail_next_create(500, times=4, path=REFUNDS_PATH)

    async def refund_now(db: Database) -> bool | None:
        request = RefundRequest(db, booking, payment, 4000, key="bg-1", reason="test", now=clock())
        return await attempt_refund(stripe_client.app.state.payments, request)  # type: ignore[attr-defined]

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
    assert _view(db_url, token, stripe_client).refunded_minor == 4000


def test_background_retries_stop_after_a_few_and_leave_the_rest_to_the_photographer() -> None:
    start = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    failure = {"payment_id": 1, "amount_minor": 500, "key": "k", "reason": "", "error": "down"}

    def log(times: int) -> list[dict[str, Any]]:
        return [
            {"kind": "refund_failed", "detail": failure, "created_at": start} for _ in range(times)
        ]

    assert due_for_retry(log(1), start + timedelta(minutes=4)) == []
    assert [f.key for f in due_for_retry(log(1), start + timedelta(minutes=5))] == ["k"]
    assert due_for_retry(log(3), start + timedelta(minutes=19)) == []
    assert len(due_for_retry(log(3), start + timedelta(minutes=20))) == 1
    assert len(due_for_retry(log(AUTO_RETRIES), start + timedelta(days=1))) == 1
    assert due_for_retry(log(AUTO_RETRIES + 1), start + timedelta(days=1)) == []
    settled = {"kind": "refund_recorded", "detail": {"key": "k"}, "created_at": start}
    assert due_for_retry([*log(1), settled], start + timedelta(days=1)) == []


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
    booking = _view(db_url, token, stripe_client)
    assert booking.status == "cancelled" and booking.refunded_minor == 0
    assert "refund_failed" in event_kinds(db_url, booking.id) and not stripe_api.refunds

    async def failed_six_minutes_ago(db: Database) -> None:  # the worker runs on the real clock
        await db.execute(
            booking_events.update()
            .where(booking_events.c.kind == "refund_failed")
            .values(created_at=datetime.now(UTC) - timedelta(minutes=6))
        )

    run_db(db_url, failed_six_minutes_ago)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MINIS_", "STRIPE_"))},
        "MINIS_DATABASE_URL": db_url,
        "MINIS_SECRET_KEY": STRONG_SECRET_KEY,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api.base_url,
    }
    worker = subprocess.Popen([MINIS, "worker"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not stripe_api.refunds and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        time.sleep(0.5)  # the refund's row is written after Stripe answers
    finally:
        worker.send_signal(signal.SIGINT)
        errors = worker.communicate(timeout=15)[1]
    assert [r["amount"] for r in stripe_api.refunds.values()] == [booking.paid_minor], errors
    assert len(set(stripe_api.creates(REFUNDS_PATH))) == 1  # the cancellation's own key
    after = _view(db_url, token, stripe_client)
    assert after.refunded_minor == booking.paid_minor > 0
    assert "Traceback" not in errors, errors
