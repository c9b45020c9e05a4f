"""Refunds through the payment interface: recorded once per key, reflected in what was paid."""

from __future__ import annotations

from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import book_with_demo_card
from tests.support.queries import event_kinds
from tests.support.world import World
from widget_server.booking.views import BookingView, load_booking_view
from widget_server.payments import METHODS


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
        return await METHODS[payment.method].refund(
            db, booking, payment, amount, key=key, reason="test", now=clock()
        )

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
