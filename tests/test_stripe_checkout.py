"""Card payments through Stripe Checkout over HTTP: starting, coming back, cancelling, failing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.flow import accept_quote, checkout
from tests.support.queries import all_payments, event_kinds, taken
from tests.support.stripe_flow import (
    return_from_checkout,
    session_id_from,
    start_card_checkout,
    start_deposit_checkout,
    view_of,
)
from tests.support.stripe_server import StandInStripe
from tests.support.world import World
from widget_server.payments.stripe import api as stripe_calls


def test_checkout_session_asks_for_what_is_due_with_an_idempotency_key(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    session = stripe_api.sessions[session_id]
    booking = view_of(stripe_client, db_url, token)
    assert session["amount_total"] == 9000 and session["currency"] == "usd"
    [item] = session["line_items_sent"]
    assert item["price_data"]["product_data"]["name"].startswith("Card Only — Thu, Nov 26")
    assert session["customer_email"] == "ada@example.com"
    assert session["metadata"]["booking_reference"] == booking.reference
    assert session["client_reference_id"] == booking.reference
    [key] = stripe_api.creates()
    assert key and booking.public_id in key
    # The hold now covers the session, which expires when the hold does.
    assert booking.status == "held" and booking.expires_at is not None
    assert booking.expires_at >= clock() + timedelta(minutes=30)
    assert session["expires_at"] == int(booking.expires_at.timestamp())
    assert "checkout_started" in event_kinds(db_url, booking.id)


def test_deposit_checkout_charges_the_deposit(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World
) -> None:
    _, session_id = start_deposit_checkout(stripe_client, stripe_api, world.slots["portraits"][0])
    session = stripe_api.sessions[session_id]
    assert session["amount_total"] == 5000
    name = session["line_items_sent"][0]["price_data"]["product_data"]["name"]
    assert name.startswith("Deposit: Portraits")


def test_the_return_url_books_only_what_stripe_confirms(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    slot = world.slots["card-only"][0]
    token, session_id = start_card_checkout(stripe_client, stripe_api, slot)
    # Coming back without having paid (a typed URL) books nothing.
    response = return_from_checkout(stripe_client, token, session_id)
    assert response.status_code == 303 and response.headers["location"] == f"/b/{token}"
    assert view_of(stripe_client, db_url, token).status == "held"
    # Someone else's (or an invented) session id is not believed either.
    assert return_from_checkout(stripe_client, token, "cs_test_invented").status_code == 303
    assert return_from_checkout(stripe_client, token, "<script>").status_code == 303
    # Nor one no database can hold (a NUL used to fail the lookup on PostgreSQL).
    assert return_from_checkout(stripe_client, token, "cs_test_%00").status_code == 303
    assert all_payments(db_url) == []

    stripe_api.pay(session_id)
    response = return_from_checkout(stripe_client, token, session_id)
    assert response.status_code == 303 and response.headers["location"] == f"/b/{token}"
    page = stripe_client.get(f"/b/{token}")
    assert page.status_code == 200 and "You're booked, Ada!" in page.text
    [payment] = all_payments(db_url)
    assert (payment["method"], payment["provider_ref"], payment["amount_minor"]) == (
        "stripe",
        session_id,
        9000,
    )
    assert payment["status"] == "succeeded" and payment["currency"] == "USD"
    assert taken(db_url, slot) == 1


def test_cancelling_on_stripe_returns_to_the_quote_with_the_hold_kept(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    cancel_url = stripe_api.sessions[session_id]["cancel_url"]
    assert cancel_url.endswith(f"/b/{token}/quote?payment=cancelled")
    page = stripe_client.get(f"/b/{token}/quote?payment=cancelled")
    assert page.status_code == 200 and "Payment cancelled: nothing was charged" in page.text
    assert view_of(stripe_client, db_url, token).status == "held"
    # Confirming again goes back to the same session: never a second one to pay.
    again = session_id_from(checkout(stripe_client, token), stripe_api)
    assert again == session_id and len(stripe_api.creates()) == 1


@pytest.mark.parametrize("status", [500, 402])
def test_an_api_error_shows_a_retry_page_and_the_retry_reuses_the_key(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    status: int,
) -> None:
    token = start_card_checkout_failing(stripe_client, stripe_api, world, status)
    page = stripe_client.post(f"/b/{token}/quote")
    assert page.status_code == 503
    assert "Payment didn&#39;t start" in page.text and "You have not been charged" in page.text
    assert f'href="/b/{token}/quote"' in page.text
    assert view_of(stripe_client, db_url, token).status == "held"

    retry_page = stripe_client.get(f"/b/{token}/quote")
    assert retry_page.status_code == 200 and "secure page" in retry_page.text
    session_id = session_id_from(checkout(stripe_client, token), stripe_api)
    keys = stripe_api.creates()
    assert len(keys) >= 2 and len(set(keys)) == 1
    assert list(stripe_api.sessions) == [session_id]


def start_card_checkout_failing(
    client: TestClient, stripe_api: StandInStripe, world: World, status: int
) -> str:
    from tests.support.flow import start

    token = start(client, world.slots["card-only"][0], "card-only")
    # Fail the first try and, for a server error, the library's own retry too.
    retries = stripe_calls.NETWORK_RETRIES if status >= 500 else 0
    stripe_api.fail_next_create(status, times=1 + retries)
    return token


def test_a_timeout_shows_a_retry_page_and_the_retry_gets_the_same_session(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.support.flow import start

    monkeypatch.setattr(stripe_calls, "TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(stripe_calls, "NETWORK_RETRIES", 0)
    token = start(stripe_client, world.slots["card-only"][0], "card-only")
    # Stripe creates the session, but its answer arrives after we stopped waiting.
    stripe_api.hang_next_create(1.5)
    page = stripe_client.post(f"/b/{token}/quote")
    assert page.status_code == 503 and "You have not been charged" in page.text
    [created] = stripe_api.sessions
    session_id = session_id_from(checkout(stripe_client, token), stripe_api)
    assert session_id == created and len(stripe_api.sessions) == 1
    keys = stripe_api.creates()
    assert len(keys) == 2 and len(set(keys)) == 1


def test_a_lapsed_checkout_is_replaced_with_a_new_session(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, clock: FakeClock
) -> None:
    token, first = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    clock.advance(minutes=45)  # the hold and the session both ran out; the slot is still free
    second = session_id_from(checkout(stripe_client, token), stripe_api)
    assert second != first
    keys = stripe_api.creates()
    assert len(set(keys)) == 2


def test_the_payment_choice_offers_card_payments_only_when_configured(
    client: TestClient, stripe_client: TestClient, world: World
) -> None:
    from tests.support.flow import start

    token = start(stripe_client, world.slots["portraits"][0], "portraits")
    assert 'value="stripe"' in accept_quote(stripe_client, token).text
    # The same session on an app without STRIPE_SECRET_KEY: no card payments.
    assert 'value="stripe"' not in accept_quote(client, token).text
    assert checkout(client, token, "stripe").status_code == 422


def test_webhooks_are_refused_when_card_payments_are_off(client: TestClient) -> None:
    response = client.post("/webhooks/stripe", content=b"{}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_configured"


def test_forms_may_lead_to_the_hosted_page_only_when_card_payments_are_on(
    client: TestClient, stripe_client: TestClient, stripe_api: StandInStripe
) -> None:
    def form_action(response: object) -> str:
        csp = response.headers["content-security-policy"]  # type: ignore[attr-defined]
        return next(p for p in csp.split("; ") if p.startswith("form-action"))

    assert form_action(client.get("/acme")) == "form-action 'self'"
    assert form_action(stripe_client.get("/acme")) == (
        f"form-action 'self' https://checkout.stripe.com {stripe_api.base_url}"
    )


def test_a_client_who_started_in_the_widget_comes_back_to_it(
    stripe_client: TestClient, stripe_api: StandInStripe, world: World, db_url: str
) -> None:
    """Only Stripe's page leaves the host site: its button posts to the top window, and
    both ways back (paid, cancelled) land on the host page, which reopens the widget."""
    host = {"parent": "https://jane.example", "page": "https://jane.example/minis", "theme": "auto"}
    started = stripe_client.post(
        "/embed/acme/card-only/book",
        params={**host, "slot": world.slots["card-only"][0]},
        data={"name": "Ada Lovelace", "email": "ada@example.com", "phone": "212 555 0143"},
        headers={"Sec-Fetch-Dest": "iframe"},
    )
    in_widget = started.headers["location"]
    token = in_widget.split("/")[3]
    page = stripe_client.get(in_widget).text
    assert f'formaction="/b/{token}/quote" formtarget="_top"' in page
    # With the new-tab option, Stripe's page opens in a new tab instead.
    new_tab = stripe_client.get(f"/embed/b/{token}/quote", params={**host, "tab": "new"}).text
    assert 'formtarget="_blank"' in new_tab and "opens in a new tab" in new_tab
    session_id = session_id_from(checkout(stripe_client, token), stripe_api)
    cancelled = stripe_client.get(f"/b/{token}/quote?payment=cancelled")
    assert cancelled.headers["location"] == f"https://jane.example/minis#minis-unpaid={token}"
    reopened = stripe_client.get(f"/embed/b/{token}", params={**host, "done": "unpaid"})
    assert "payment=cancelled" in reopened.headers["location"]
    assert "nothing was charged" in stripe_client.get(reopened.headers["location"]).text
    stripe_api.pay(session_id)
    paid = return_from_checkout(stripe_client, token, session_id)
    assert paid.headers["location"] == f"https://jane.example/minis#minis-booked={token}"
    confirmation = stripe_client.get(f"/embed/b/{token}", params={**host, "done": "booked"})
    assert confirmation.status_code == 200 and 'data-minis-event="booked"' in confirmation.text
    assert view_of(stripe_client, db_url, token).status == "booked"
