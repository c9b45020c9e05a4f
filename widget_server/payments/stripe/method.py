"""Card payments through Stripe Checkout, end to end: the method web/ sees.

Paying starts a checkout attempt and sends the client to Stripe's hosted page
(checkout.py); the payment is recorded from the webhook or the client's return,
whichever comes first (events.py); refunds go through Stripe's API with one
idempotency key per request.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from ...db.limits import storable
from ...i18n import lazy_gettext
from ..base import (
    PaymentMethod,
    PaymentStart,
    RefundRequest,
    WebhookDelivery,
)
from .api import KEY, StripeApi
from .attempts import start_checkout
from .charges import refund_through_stripe
from .checkout import open_checkout
from .events import handle_event, settle_from_return, verify_event

# Checkout Session ids are short; anything longer in a return URL is not one.
MAX_SESSION_ID = 255


class StripePayment(PaymentMethod):
    """Stripe, configured where the process starts::

    stripe = StripePayment(secret_key="sk_test_…", webhook_secret="whsec_…")
    """

    key = KEY
    label = "Card"
    summary = lazy_gettext("Pay securely by card on Stripe's checkout page.")
    collects_balance = True
    provider_name = "Stripe"
    # Read by photographers on their settings page: what to ask for, not how to configure it.
    how_to_enable = (
        "Not available yet: card payments need a Stripe account connected to this server. "
        "Ask whoever runs Minis for you to connect it."
    )
    leaves_site = True

    def __init__(
        self,
        *,
        secret_key: str | None,
        webhook_secret: str | None = None,
        api_base: str | None = None,
    ) -> None:
        self.api = StripeApi(secret_key, api_base)
        self.webhook_secret = webhook_secret
        self.enabled = bool(secret_key)
        self.form_origins = self.api.hosted_page_origins()

    def return_url(self, start: PaymentStart) -> str:
        """Where Stripe sends the client back after paying (web/ routes it to us)."""
        return f"{start.confirmation_url}/{self.key}/return"

    async def begin(self, start: PaymentStart) -> str:
        return await self._checkout(start, "due_now", f"{start.quote_url}?payment=cancelled")

    async def submit(self, start: PaymentStart, form: Mapping[str, str]) -> str | None:
        return await self.begin(start)

    async def begin_balance(self, start: PaymentStart) -> str:
        """Pay what is left after the deposit; the booking stays booked whatever happens."""
        return await self._checkout(start, "balance", start.confirmation_url)

    async def _checkout(self, start: PaymentStart, purpose: str, cancel_url: str) -> str:
        """Stripe's page for ``purpose`` of the booking: a live attempt's, or a new one's."""
        attempt = await start_checkout(start.db, start.booking, purpose, start.now)
        return await open_checkout(
            self.api, start.db, start.booking, attempt, self.return_url(start), cancel_url
        )

    async def confirm_return(self, start: PaymentStart, query: Mapping[str, str]) -> str | None:
        """The query string proves nothing: the session is retrieved from the API and
        settled like its webhook would be (whichever comes first books)."""
        session_id = query.get("session_id", "")
        if (
            not session_id.startswith("cs_")
            or len(session_id) > MAX_SESSION_ID
            or not storable(session_id)  # a NUL would fail the lookup on PostgreSQL
        ):
            return None
        return await settle_from_return(self.api, start.db, start.booking, session_id, start.now)

    async def receive_webhook(self, delivery: WebhookDelivery) -> str:
        # Signatures carry Stripe's wall-clock time: compared with ours, not the app's clock.
        event = verify_event(
            self.webhook_secret,
            delivery.body,
            delivery.headers.get("stripe-signature"),
            now=time.time(),
        )
        return await handle_event(self.api, delivery.db, event, delivery.now)

    async def refund(self, request: RefundRequest) -> bool:
        return await refund_through_stripe(self.api, request)
