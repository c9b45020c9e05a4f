"""Driving card payments through the stand-in Stripe over HTTP, the way a browser would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from databases import Database
from httpx2 import Response
from starlette.testclient import TestClient

from widget_server.booking.views import BookingView, load_booking_view

from .databases import run_db
from .flow import checkout, start
from .keys import STRONG_SECRET_KEY
from .stripe_server import SECRET_KEY, WEBHOOK_SECRET, StandInStripe, sign


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
    return token, session_id_from(checkout(client, token), stripe_api)


def start_deposit_checkout(
    client: TestClient, stripe_api: StandInStripe, slot_id: int
) -> tuple[str, str]:
    """A hold on a "portraits" slot (deposit), card chosen: (booking token, session id)."""
    token = start(client, slot_id, "portraits")
    response = checkout(client, token, "stripe")
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


def run_stripe_worker(db_url: str, stripe_api: StandInStripe, done: Callable[[], bool]) -> str:
    """A `minis worker` process (its own settings from its environment, as in production)
    against the database and the stand-in Stripe, until ``done()`` (or 30 s); returns what
    it wrote to stderr."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MINIS_", "STRIPE_"))},
        "MINIS_DATABASE_URL": db_url,
        "MINIS_SECRET_KEY": STRONG_SECRET_KEY,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api.base_url,
    }
    minis = str(Path(sys.executable).with_name("minis"))
    worker = subprocess.Popen([minis, "worker"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not done() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGINT)
        errors = worker.communicate(timeout=15)[1]
    return errors
