"""Stripe webhooks: signatures, replays, order, races, late payments, balances and refunds."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import book_with_demo_card
from tests.support.queries import all_payments, event_kinds, rows, taken
from tests.support.stripe_flow import (
    post_event,
    return_from_checkout,
    session_id_from,
    start_card_checkout,
    start_deposit_checkout,
    view_of,
)
from tests.support.stripe_server import WEBHOOK_SECRET, StandInStripe, sign
from tests.support.world import World
from widget_server.booking.views import load_booking_view
from widget_server.config import Settings
from widget_server.db.tables import refunds
from widget_server.payments import RefundRequest
from widget_server.payments.refunds import RefundNotAllowed, refund_payment
from widget_server.payments.stripe import api as stripe_calls
from widget_server.payments.stripe.events import session_settled, settle_from_return
from widget_server.payments.stripe.shapes import read_session


def _post_raw(client: TestClient, payload: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post("/webhooks/stripe", content=payload, headers=headers)


def test_signatures_are_checked(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    payload = stripe_api.event("checkout.session.completed", stripe_api.pay(session_id))
    now = int(time.time())
    cases = {
        "bad_signature": sign(payload, secret="whsec_someone_else"),
        "stale_timestamp": sign(payload, timestamp=now - 3600),
        # The tolerance applies both ways: stripe's library only refuses the old side.
        "future_timestamp": sign(payload, timestamp=now + 400),
    }
    for code, signature in cases.items():
        response = _post_raw(stripe_client, payload, signature)
        assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert _post_raw(stripe_client, payload, None).json()["error"]["code"] == "bad_signature"
    tampered = payload.replace(b'"paid"', b'"PAID"')
    assert _post_raw(stripe_client, tampered, sign(payload)).status_code == 400
    junk = b"not json"
    response = _post_raw(stripe_client, junk, sign(junk))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_payload"
    assert all_payments(db_url) == []
    # The genuine delivery books, its clock a little ahead of ours or not.
    signature = sign(payload, secret=WEBHOOK_SECRET, timestamp=now + 200)
    response = _post_raw(stripe_client, payload, signature)
    assert response.status_code == 200 and response.json()["outcome"] == "booked"
    assert view_of(stripe_client, db_url, token).status == "booked"


def _replace(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set ``data.object.<path>`` (dots for nesting) of an event to ``value``."""

    def change(event: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = event
        for key in parents:
            node = node[key]
        node[last] = value

    return change


# Correctly signed, yet not what Stripe sends: each used to be an HTML 500 (or worse, to
# reach a query), and must be a JSON 400 that changes nothing.
MALFORMED_EVENTS: dict[str, Callable[[dict[str, Any]], None] | bytes] = {
    "a list": b"[]",
    "a number": b"1.5",
    "null": b"null",
    "a string": b'"evt_1"',
    "nested past the recursion limit": b"[" * 100_000 + b"]" * 100_000,
    "the event id a number": _replace("id", 5),
    "the type a list": _replace("type", ["checkout.session.completed"]),
    "data a string": _replace("data", "x"),
    "data.object a list": _replace("data.object", []),
    "metadata a string": _replace("data.object.metadata", "minis_checkout=1"),
    "minis_checkout a superscript two": _replace("data.object.metadata.minis_checkout", "²"),
    "minis_checkout past the integer": _replace(
        "data.object.metadata.minis_checkout", "2147483648"
    ),
    "minis_checkout a number": _replace("data.object.metadata.minis_checkout", 1),
    "the session id a number": _replace("data.object.id", 5),
    "the session id a dict": _replace("data.object.id", {"id": "cs_1"}),
    "the session id with a NUL": _replace("data.object.id", "cs_\x00"),
    "the session id a lone surrogate": _replace("data.object.id", "cs_\ud800"),
    "the amount a string": _replace("data.object.amount_total", "9000"),
    "the amount a float": _replace("data.object.amount_total", 1e308),
    "the amount negative": _replace("data.object.amount_total", -9000),
    "the amount past the integer": _replace("data.object.amount_total", 2**31),
    "the amount a bool": _replace("data.object.amount_total", True),
    "the currency a word": _replace("data.object.currency", "dollars"),
    "the payment intent a dict": _replace("data.object.payment_intent", {"id": "pi_1"}),
    "the status a list": _replace("data.object.status", ["complete"]),
}


@pytest.mark.parametrize("case", MALFORMED_EVENTS)
def test_malformed_events_get_a_json_400_and_change_nothing(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str, case: str
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    session = stripe_api.pay(session_id)
    malformed = MALFORMED_EVENTS[case]
    if isinstance(malformed, bytes):
        payload = malformed
    else:
        event = json.loads(stripe_api.event("checkout.session.completed", session))
        malformed(event)
        payload = json.dumps(event).encode()
    response = _post_raw(stripe_client, payload, sign(payload))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == "invalid_payload"
    assert view_of(stripe_client, db_url, token).status == "held"
    assert all_payments(db_url) == []


@pytest.mark.parametrize(
    "listed",
    [
        "all of them",
        {"data": "x"},
        {"data": [{"id": "re_1", "amount": -5, "status": "succeeded"}]},
        {"data": [{"id": "re_1", "amount": 1e308, "status": "succeeded"}]},
        {"data": [{"id": 5, "amount": 500, "status": "succeeded"}]},
        {"data": [{"id": "re_1", "amount": 500, "status": "succeeded", "reason": ["x"]}]},
        {"data": [{"id": "re_1", "amount": 500, "status": "succeeded", "metadata": "x"}]},
    ],
)
def test_malformed_refunds_get_a_json_400_and_record_nothing(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    listed: Any,
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    session = stripe_api.pay(session_id)
    assert (
        post_event(stripe_client, stripe_api, "checkout.session.completed", session).json()[
            "outcome"
        ]
        == "booked"
    )
    charge = {"id": "ch_1", "payment_intent": session["payment_intent"], "refunds": listed}
    response = post_event(stripe_client, stripe_api, "charge.refunded", charge)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_payload"
    assert rows(db_url, refunds.select()) == []
    assert view_of(stripe_client, db_url, token).status == "booked"


def test_an_event_for_an_unknown_session_is_acknowledged_and_ignored(
    stripe_client: TestClient, stripe_api: StandInStripe, db_url: str
) -> None:
    session = {
        "id": "cs_test_unknown",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 100,
        "currency": "usd",
        "metadata": {},
    }
    response = post_event(stripe_client, stripe_api, "checkout.session.completed", session)
    assert response.status_code == 200 and response.json()["outcome"] == "unknown_session"
    response = post_event(stripe_client, stripe_api, "customer.created", {"id": "cus_1"})
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert all_payments(db_url) == []


def test_an_event_delivered_ten_times_books_once(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    slot = world.slots["card-only"][0]
    token, session_id = start_card_checkout(stripe_client, stripe_api, slot)
    session = stripe_api.pay(session_id)
    outcomes = [
        post_event(stripe_client, stripe_api, "checkout.session.completed", session).json()[
            "outcome"
        ]
        for _ in range(10)
    ]
    assert outcomes == ["booked"] + ["duplicate"] * 9
    # The client's return after the webhook changes nothing either.
    assert return_from_checkout(stripe_client, token, session_id).status_code == 303
    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "booked" and len(booking.payments) == 1
    assert event_kinds(db_url, booking.id).count("booked") == 1
    assert taken(db_url, slot) == 1


def test_events_out_of_order(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    processing = stripe_api.pay(session_id, delayed=True)
    cleared = stripe_api.settle_delayed(session_id)
    # The delayed payment's success arrives before the session's completion.
    kinds = [
        ("checkout.session.async_payment_succeeded", cleared, "booked"),
        ("checkout.session.completed", processing, "processing"),
        ("checkout.session.async_payment_succeeded", cleared, "duplicate"),
        ("checkout.session.expired", {**cleared, "status": "expired"}, "expired"),
    ]
    for kind, obj, outcome in kinds:
        assert post_event(stripe_client, stripe_api, kind, obj).json()["outcome"] == outcome
    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "booked" and len(booking.payments) == 1
    assert event_kinds(db_url, booking.id).count("booked") == 1


def test_a_delayed_payment_books_when_it_clears(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    processing = stripe_api.pay(session_id, delayed=True)
    post_event(stripe_client, stripe_api, "checkout.session.completed", processing)
    page = return_from_checkout(stripe_client, token, session_id)
    assert page.status_code == 202 and "Payment processing" in page.text
    assert view_of(stripe_client, db_url, token).status == "held"
    cleared = stripe_api.settle_delayed(session_id)
    event = "checkout.session.async_payment_succeeded"
    assert post_event(stripe_client, stripe_api, event, cleared).json()["outcome"] == "booked"
    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "booked"
    assert "payment_processing" in event_kinds(db_url, booking.id)


def test_a_failed_delayed_payment_keeps_the_hold_until_it_runs_out(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    processing = stripe_api.pay(session_id, delayed=True)
    event = "checkout.session.async_payment_failed"
    assert post_event(stripe_client, stripe_api, event, processing).json()["outcome"] == "failed"
    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "held" and booking.payments == []
    assert event_kinds(db_url, booking.id).count("payment_failed") == 1


def test_an_expired_session_frees_the_hold(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    clock.now = clock.now.replace(microsecond=654321)  # Stripe's expires_at is whole seconds
    slot = world.slots["card-only"][0]
    token, session_id = start_card_checkout(stripe_client, stripe_api, slot)
    assert taken(db_url, slot) == 1
    expired = stripe_api.expire(session_id)
    for outcome in ("hold_freed", "expired"):
        response = post_event(stripe_client, stripe_api, "checkout.session.expired", expired)
        assert response.json()["outcome"] == outcome
    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "expired" and taken(db_url, slot) == 0
    assert event_kinds(db_url, booking.id).count("hold_expired") == 1


def test_the_webhook_racing_the_return_books_once(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    stripe_settings: Settings,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    slot = world.slots["card-only"][0]
    token, session_id = start_card_checkout(stripe_client, stripe_api, slot)
    session = stripe_api.pay(session_id)
    public_id = stripe_client.app.state.tokens.read(token)  # type: ignore[attr-defined]

    async def race(db: Database) -> list[str | None]:
        booking = await load_booking_view(db, public_id)
        assert booking is not None
        api = stripe_client.app.state.payments["stripe"].api  # type: ignore[attr-defined]
        settled = read_session(dict(session))
        deliveries = [session_settled(api, db, settled, clock()) for _ in range(10)]
        returns = [settle_from_return(api, db, booking, session_id, clock())] * 1
        return list(await asyncio.gather(*deliveries, *returns))

    outcomes = run_db(db_url, race)
    assert outcomes.count("booked") == 1 and outcomes.count("duplicate") == 10
    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "booked" and len(booking.payments) == 1
    assert event_kinds(db_url, booking.id).count("booked") == 1
    assert taken(db_url, slot) == 1


def test_paid_after_the_hold_lapsed_books_when_the_slot_is_still_free(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    slot = world.slots["card-only"][0]
    token, session_id = start_card_checkout(stripe_client, stripe_api, slot)
    clock.advance(minutes=40)
    session = stripe_api.pay(session_id)
    response = post_event(stripe_client, stripe_api, "checkout.session.completed", session)
    assert response.json()["outcome"] == "booked"
    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "booked" and taken(db_url, slot) == 1
    assert stripe_api.refunds == {}


def test_paid_after_someone_else_took_the_slot_is_refunded_and_explained(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    slot = world.slots["portraits"][0]
    token, session_id = start_deposit_checkout(stripe_client, stripe_api, slot)
    clock.advance(minutes=40)  # Ada's hold lapses; Grace books the time with the demo card
    other = book_with_demo_card(stripe_client, slot)
    session = stripe_api.pay(session_id)
    for _ in range(3):  # replays refund nothing more
        response = post_event(stripe_client, stripe_api, "checkout.session.completed", session)
        assert response.status_code == 200
    assert return_from_checkout(stripe_client, token, session_id).status_code == 303

    [refund] = stripe_api.refunds.values()
    assert refund["amount"] == 5000 and refund["payment_intent"] == session["payment_intent"]
    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "expired" and booking.paid_minor == 0
    [payment] = booking.payments
    assert payment.amount_minor == 5000 and payment.refunded_minor == 5000
    kinds = event_kinds(db_url, booking.id)
    assert kinds.count("paid_after_slot_taken") == 1 and kinds.count("refund_recorded") == 1
    assert "booked" not in kinds
    assert view_of(stripe_client, db_url, other).status == "booked" and taken(db_url, slot) == 1

    page = stripe_client.get(f"/b/{token}")
    assert page.status_code == 409
    assert "This time was taken while you paid" in page.text
    assert "We refunded your payment of $50.00 in full" in page.text
    assert 'href="/acme/portraits"' in page.text and "Choose another time" in page.text
    # Stripe reports the refund too: still one.
    charge = stripe_api.charge_of(session_id)
    post_event(stripe_client, stripe_api, "charge.refunded", charge)
    assert len(rows(db_url, refunds.select())) == 1


def test_the_balance_is_paid_online_from_the_confirmation(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    token, deposit = start_deposit_checkout(stripe_client, stripe_api, world.slots["portraits"][0])
    stripe_api.pay(deposit)
    return_from_checkout(stripe_client, token, deposit)
    page = stripe_client.get(f"/b/{token}")
    assert "Balance due</dt><dd>$150.00" in page.text
    assert f'action="/b/{token}/balance"' in page.text
    assert "Pay the balance of $150.00 by card" in page.text

    balance = session_id_from(stripe_client.post(f"/b/{token}/balance"), stripe_api)
    assert balance != deposit and stripe_api.sessions[balance]["amount_total"] == 15000
    name = stripe_api.sessions[balance]["line_items_sent"][0]["price_data"]["product_data"]
    assert name["name"].startswith("Balance: Portraits")
    assert stripe_api.sessions[balance]["cancel_url"].endswith(f"/b/{token}")
    # Asking again before paying reuses the same session.
    assert session_id_from(stripe_client.post(f"/b/{token}/balance"), stripe_api) == balance
    session = stripe_api.pay(balance)
    post_event(stripe_client, stripe_api, "checkout.session.completed", session)
    return_from_checkout(stripe_client, token, balance)

    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "booked" and booking.balance_minor == 0
    assert sorted(p.provider_ref for p in booking.payments) == sorted([deposit, balance])
    assert event_kinds(db_url, booking.id).count("booked") == 1
    page = stripe_client.get(f"/b/{token}")
    assert "Balance due</dt><dd>$0.00" in page.text and "/balance" not in page.text
    # Nothing left to pay: the balance page sends the client back.
    assert stripe_client.post(f"/b/{token}/balance").headers["location"] == f"/b/{token}"


def test_photographer_refunds_go_through_the_api_and_the_log(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    session = stripe_api.pay(session_id)
    post_event(stripe_client, stripe_api, "checkout.session.completed", session)
    public_id = stripe_client.app.state.tokens.read(token)  # type: ignore[attr-defined]

    async def refund(db: Database, amount: int, key: str) -> bool:
        booking = await load_booking_view(db, public_id)
        assert booking is not None
        [payment] = booking.payments
        request = RefundRequest(
            db, booking, payment, amount, key=key, reason="Rain date", now=clock()
        )
        return await refund_payment(stripe_client.app.state.payments, request)  # type: ignore[attr-defined]

    assert run_db(db_url, lambda db: refund(db, 2000, "admin-1")) is True
    assert run_db(db_url, lambda db: refund(db, 2000, "admin-1")) is False  # same request
    for too_much in (0, -5, 9001):
        with pytest.raises(RefundNotAllowed):
            run_db(db_url, lambda db, amount=too_much: refund(db, amount, "admin-2"))
    assert [r["amount"] for r in stripe_api.refunds.values()] == [2000]
    booking = view_of(stripe_client, db_url, token)
    assert booking.refunded_minor == 2000 and booking.paid_minor == 7000
    assert booking.status == "booked"

    # Stripe's charge.refunded for our refund adds nothing; one made in Stripe's dashboard is
    # recorded from the same event.
    charge = stripe_api.charge_of(session_id)
    post_event(stripe_client, stripe_api, "charge.refunded", charge)
    assert len(rows(db_url, refunds.select())) == 1
    stripe_api.handle(
        "POST", "/v1/refunds", "", f"payment_intent={session['payment_intent']}&amount=3000", None
    )
    response = post_event(
        stripe_client, stripe_api, "charge.refunded", stripe_api.charge_of(session_id)
    )
    assert response.json()["outcome"] == "refunds_recorded:1"
    booking = view_of(stripe_client, db_url, token)
    assert booking.refunded_minor == 5000 and booking.paid_minor == 4000
    kinds = event_kinds(db_url, booking.id)
    assert kinds.count("refund_recorded") == 2


def test_paying_on_stripe_after_paying_another_way_is_refunded(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    token, session_id = start_deposit_checkout(
        stripe_client, stripe_api, world.slots["portraits"][0]
    )
    # Back on our site, the client pays the deposit with the demo card instead...
    assert (
        stripe_client.post(f"/b/{token}/pay/demo", data={"card": "4242424242424242"}).status_code
        == 303
    )
    # ... and then pays the Stripe page left open in another tab as well.
    session = stripe_api.pay(session_id)
    response = post_event(stripe_client, stripe_api, "checkout.session.completed", session)
    assert response.json()["outcome"] == "refunded"
    [refund] = stripe_api.refunds.values()
    assert refund["amount"] == 5000
    booking = view_of(stripe_client, db_url, token)
    assert booking.status == "booked" and booking.paid_minor == 5000
    kinds = event_kinds(db_url, booking.id)
    assert kinds.count("paid_when_not_bookable") == 1 and kinds.count("booked") == 1


def test_a_refund_stripe_refuses_is_retried_with_the_next_delivery(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    slot = world.slots["portraits"][0]
    token, session_id = start_deposit_checkout(stripe_client, stripe_api, slot)
    clock.advance(minutes=40)
    book_with_demo_card(stripe_client, slot)
    session = stripe_api.pay(session_id)
    stripe_api.fail_next_create(500, times=1 + stripe_calls.NETWORK_RETRIES, path="/v1/refunds")
    response = post_event(stripe_client, stripe_api, "checkout.session.completed", session)
    # Stripe is asked to deliver again later; the payment is already on record.
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "provider_unavailable"
    assert stripe_api.refunds == {}
    booking = view_of(stripe_client, db_url, token)
    assert [p.amount_minor for p in booking.payments] == [5000]
    assert "paid_after_slot_taken" in event_kinds(db_url, booking.id)
    page = stripe_client.get(f"/b/{token}")
    assert page.status_code == 409 and "is being refunded in full" in page.text

    response = post_event(stripe_client, stripe_api, "checkout.session.completed", session)
    assert response.status_code == 200 and response.json()["outcome"] == "refunded"
    assert [r["amount"] for r in stripe_api.refunds.values()] == [5000]
    assert view_of(stripe_client, db_url, token).refunded_minor == 5000
    page = stripe_client.get(f"/b/{token}")
    assert "We refunded your payment of $50.00 in full" in page.text


def test_metadata_cannot_point_an_event_at_another_sessions_attempt(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    forged = {**stripe_api.pay(session_id), "id": "cs_test_someone_else"}
    response = post_event(stripe_client, stripe_api, "checkout.session.completed", forged)
    assert response.json()["outcome"] == "unknown_session"
    assert view_of(stripe_client, db_url, token).status == "held" and all_payments(db_url) == []


def test_no_balance_to_pay_online_after_a_refund(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    post_event(stripe_client, stripe_api, "checkout.session.completed", stripe_api.pay(session_id))
    stripe_api.handle(
        "POST",
        "/v1/refunds",
        "",
        f"payment_intent={stripe_api.sessions[session_id]['payment_intent']}&amount=1000",
        None,
    )
    post_event(stripe_client, stripe_api, "charge.refunded", stripe_api.charge_of(session_id))
    booking = view_of(stripe_client, db_url, token)
    assert booking.refunded_minor == 1000 and booking.balance_minor == 1000
    assert "/balance" not in stripe_client.get(f"/b/{token}").text
    assert stripe_client.post(f"/b/{token}/balance").headers["location"] == f"/b/{token}"
    assert len(stripe_api.sessions) == 1


def test_a_large_event_is_received(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    """Stripe's events carry whole objects; one past the 64 KB cap of our forms still books."""
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    session = {**stripe_api.pay(session_id), "custom_text": {"submit": "x" * 300_000}}
    response = post_event(stripe_client, stripe_api, "checkout.session.completed", session)
    assert response.status_code == 200 and response.json()["outcome"] == "booked"
    assert view_of(stripe_client, db_url, token).status == "booked"


def test_an_oversized_webhook_is_refused_before_reading_it(stripe_client: TestClient) -> None:
    payload = b"{" + b" " * (600 * 1024) + b"}"
    response = stripe_client.post("/webhooks/stripe", content=payload)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
