"""Driving card payments through the stand-in Stripe over HTTP, the way a browser would."""

from __future__ import annotations

from typing import Any

from databases import Database
from httpx2 import Response
from starlette.testclient import TestClient

from widget_server.booking.views import BookingView, load_booking_view

from .databases import run_db
from .flow import accept_quote, start
from .stripe_server import StandInStripe, sign


def session_id_from(response: Response, stripe_api: StandInStripe) -> str:
    """The Checkout Session a response redirected the client to."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"{stripe_api.base_url}/pay/cs_test_"), location
    return location.rsplit("/", 1)[1]


def start_card_checkout(
    client: TestClient, stripe_api: StandInStripe, slot_id: int
) -> tuple[str, str]:
    """A hold on a "card-only" slot, sent on to Checkout: (booking token, session id)."""
    token = start(client, slot_id, "card-only")
    return token, session_id_from(accept_quote(client, token), stripe_api)


def start_deposit_checkout(
    client: TestClient, stripe_api: StandInStripe, slot_id: int
) -> tuple[str, str]:
    """A hold on a "portraits" slot (deposit), card chosen: (booking token, session id)."""
    token = start(client, slot_id, "portraits")
    accept_quote(client, token)
    response = client.post(f"/b/{token}/pay", data={"method": "stripe"})
    return token, session_id_from(response, stripe_api)


def post_event(
    client: TestClient, stripe_api: StandInStripe, kind: str, obj: dict[str, Any]
) -> Response:
    payload = stripe_api.event(kind, obj)
    return client.post(
        "/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": sign(payload), "Content-Type": "application/json"},
    )


def return_from_checkout(client: TestClient, token: str, session_id: str) -> Response:
    return client.get(f"/b/{token}/stripe/return?session_id={session_id}")


def view_of(client: TestClient, db_url: str, token: str) -> BookingView:
    public_id = client.app.state.tokens.read(token)  # type: ignore[attr-defined]

    async def work(db: Database) -> BookingView:
        view = await load_booking_view(db, public_id)
        assert view is not None
        return view

    return run_db(db_url, work)
