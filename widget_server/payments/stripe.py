"""Card payments through Stripe Checkout: Stripe's hosted page, in the top window.

``begin`` writes a checkout attempt (booking/checkout.py: it extends the hold to
the session's expiry) and then asks Stripe for the session with that attempt's
idempotency key, so a retry after an error or a timeout gets the same session
back and the client can never be charged twice. The payment itself is recorded
from the webhook or the return redirect, whichever comes first
(payments/stripe_events.py); ``book`` makes the second one a no-op.

Calls go through the official ``stripe`` library (a ``StripeClient`` whose API
base ``STRIPE_API_BASE`` can point elsewhere, which the tests use) on a worker
thread, so a slow provider never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import stripe
from databases import Database

from ..booking.checkout import CheckoutAttempt, find_attempt, session_created, start_checkout
from ..booking.refunds import NewRefund, record_refund
from ..booking.views import BookingView, PaymentLine
from ..config import Settings
from ..formatting import slot_label
from .base import PaymentStart, PaymentUnavailable

logger = logging.getLogger("minis.stripe")

KEY = "stripe"
HOSTED_PAGE_ORIGIN = "https://checkout.stripe.com"
# Seconds to wait for an answer; the client sees a "try again" page after that.
TIMEOUT_SECONDS = 20.0
# The library retries connection errors and 5xx itself, with the same idempotency key.
NETWORK_RETRIES = 1
REFUND_STATUSES = {
    "succeeded": "succeeded",
    "pending": "pending",
    "requires_action": "pending",
    "failed": "failed",
    "canceled": "failed",
}


@functools.lru_cache(maxsize=8)
def _client(secret_key: str, api_base: str | None, timeout: float, retries: int) -> Any:
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base} if api_base else None,
        http_client=stripe.RequestsClient(timeout=timeout),
        max_network_retries=retries,
    )


def client_for(settings: Settings) -> Any:
    """The StripeClient for this deployment's account."""
    if not settings.stripe_secret_key:
        raise PaymentUnavailable("STRIPE_SECRET_KEY is not set")
    return _client(
        settings.stripe_secret_key, settings.stripe_api_base, TIMEOUT_SECONDS, NETWORK_RETRIES
    )


def hosted_page_origins(settings: Settings) -> list[str]:
    """Origins the client's browser is sent to from our forms (for CSP ``form-action``)."""
    if not settings.stripe_secret_key:
        return []
    origins = [HOSTED_PAGE_ORIGIN]
    if settings.stripe_api_base:
        parts = urlsplit(settings.stripe_api_base)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


async def call(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking library call on a thread; any Stripe error becomes PaymentUnavailable."""
    try:
        return await asyncio.to_thread(fn, *args)
    except stripe.StripeError as exc:
        logger.warning("Stripe call failed: %s", exc)
        raise PaymentUnavailable(str(exc)) from exc


def _product_name(booking: BookingView, purpose: str) -> str:
    slot = f"{booking.mini.title} — {slot_label(booking.starts_at, booking.timezone)}"
    if purpose == "balance":
        return f"Balance: {slot}"
    if booking.quote is not None and booking.quote.is_deposit:
        return f"Deposit: {slot}"
    return slot


def session_params(
    booking: BookingView, attempt: CheckoutAttempt, success_url: str, cancel_url: str
) -> dict[str, Any]:
    """The Checkout Session to create: the same attempt always gives the same parameters,
    as Stripe refuses a reused idempotency key with different ones."""
    metadata = {
        "booking_reference": booking.reference,
        "minis_checkout": str(attempt.id),
        "purpose": attempt.purpose,
    }
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": attempt.currency.lower(),
                    "unit_amount": attempt.amount_minor,
                    "product_data": {"name": _product_name(booking, attempt.purpose)},
                },
            }
        ],
        "customer_email": booking.client_email,
        "client_reference_id": booking.reference,
        "metadata": metadata,
        "payment_intent_data": {
            "metadata": metadata,
            "description": f"{booking.studio.name}: {booking.reference}",
        },
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(attempt.expires_at.timestamp()),
    }


async def open_checkout(
    settings: Settings,
    db: Database,
    booking: BookingView,
    attempt: CheckoutAttempt,
    confirmation_url: str,
    cancel_url: str,
) -> str:
    """The hosted page of ``attempt``, creating its session at Stripe unless that happened."""
    if attempt.url:
        return attempt.url
    success_url = f"{confirmation_url}/stripe/return?session_id={{CHECKOUT_SESSION_ID}}"
    session = await call(
        client_for(settings).v1.checkout.sessions.create,
        session_params(booking, attempt, success_url, cancel_url),
        {"idempotency_key": attempt.idempotency_key},
    )
    await session_created(db, attempt.id, session.id, session.url)
    return session.url


async def begin_balance(
    settings: Settings, db: Database, booking: BookingView, confirmation_url: str, now: datetime
) -> str:
    """Pay what is left after the deposit; the booking stays booked whatever happens."""
    attempt = await start_checkout(db, booking, "balance", now)
    return await open_checkout(settings, db, booking, attempt, confirmation_url, confirmation_url)


class StripePayment:
    key = KEY
    label = "Card"
    summary = "Pay securely by card on Stripe's checkout page."

    def __init__(self) -> None:
        self._settings: Settings | None = None

    def configure(self, settings: Settings) -> None:
        """The deployment's Stripe account, for calls made without a request (refunds)."""
        self._settings = settings

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            raise PaymentUnavailable("Stripe is not configured in this process")
        return self._settings

    def enabled(self, settings: Settings) -> bool:
        return bool(settings.stripe_secret_key)

    async def begin(self, start: PaymentStart) -> str:
        attempt = await start_checkout(start.db, start.booking, "due_now", start.now)
        return await open_checkout(
            start.settings,
            start.db,
            start.booking,
            attempt,
            start.confirmation_url,
            f"{start.quote_url}?payment=cancelled",
        )

    async def refund(
        self,
        db: Database,
        booking: BookingView,
        payment: PaymentLine,
        amount_minor: int,
        *,
        key: str,
        reason: str,
        now: datetime,
    ) -> bool:
        client = client_for(self.settings)
        attempt = await find_attempt(db, session_id=payment.provider_ref)
        payment_intent = attempt.payment_intent if attempt else None
        if not payment_intent:
            session = await call(client.v1.checkout.sessions.retrieve, payment.provider_ref)
            payment_intent = session.payment_intent
        refund = await call(
            client.v1.refunds.create,
            {
                "payment_intent": payment_intent,
                "amount": amount_minor,
                "metadata": {"booking_reference": booking.reference, "minis_key": key},
            },
            {"idempotency_key": f"minis-refund-{booking.public_id}-{payment.id}-{key}"},
        )
        recorded = NewRefund(
            payment_id=payment.id,
            method=KEY,
            provider_ref=refund.id,
            status=REFUND_STATUSES.get(refund.status, "pending"),
            amount_minor=refund.amount,
            reason=reason,
        )
        return await record_refund(db, booking.id, recorded, now, key=key)


# The one instance: payments.METHODS offers it, the webhook handlers refund through it.
STRIPE = StripePayment()
