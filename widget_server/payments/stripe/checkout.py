"""Stripe Checkout Sessions: Stripe's hosted payment page, in the top window.

A checkout attempt is written first (attempts.py: it extends the hold to the
session's expiry); then Stripe is asked for the session with that attempt's
idempotency key, so a retry after an error or a timeout gets the same session back
and the client can never be charged twice. The payment itself is recorded from the
webhook or the return redirect, whichever comes first (events.py).
"""

from __future__ import annotations

from typing import Any

from databases import Database

from ...booking.pricing import charge_lines
from ...booking.views import BookingView
from ...formatting import slot_label
from ...i18n import gettext as _
from .api import StripeApi
from .attempts import CheckoutAttempt, session_created

# Stripe puts the session's id where this stands in the success URL.
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


def _product_name(booking: BookingView, purpose: str) -> str:
    slot = f"{booking.mini.title} — {slot_label(booking.starts_at, booking.timezone)}"
    if purpose == "balance":
        return _("Balance: %(session)s") % {"session": slot}
    if booking.quote is not None and booking.quote.is_deposit:
        return _("Deposit: %(session)s") % {"session": slot}
    return slot


def line_items(booking: BookingView, purpose: str, amount_minor: int) -> list[dict[str, Any]]:
    """What Stripe shows and charges: the quote's own lines when the whole total is paid
    at once, else one line (the deposit, the balance). Always exactly ``amount_minor``."""
    lines = [(_product_name(booking, purpose), amount_minor)]
    quote = booking.quote
    if purpose == "due_now" and quote is not None and amount_minor == quote.total_minor:
        lines = charge_lines(quote.items) or lines
    return [
        {
            "quantity": 1,
            "price_data": {
                "currency": booking.currency.lower(),
                "unit_amount": amount,
                "product_data": {"name": name},
            },
        }
        for name, amount in lines
    ]


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
        "line_items": line_items(booking, attempt.purpose, attempt.amount_minor),
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
    api: StripeApi,
    db: Database,
    booking: BookingView,
    attempt: CheckoutAttempt,
    return_url: str,
    cancel_url: str,
) -> str:
    """The hosted page of ``attempt``, creating its session at Stripe unless that happened.

    Stripe sends the client back to ``return_url`` with the session's id.
    """
    if attempt.url:
        return attempt.url
    success_url = f"{return_url}?session_id={SESSION_ID_PLACEHOLDER}"
    session = await api.call(
        api.client.v1.checkout.sessions.create,
        session_params(booking, attempt, success_url, cancel_url),
        {"idempotency_key": attempt.idempotency_key},
    )
    await session_created(db, attempt.id, session.id, session.url)
    return str(session.url)
