"""Stripe's API as Minis uses it: one account per deployment, called off the event loop.

Calls go through the official ``stripe`` library (a ``StripeClient`` whose API base
``STRIPE_API_BASE`` can point elsewhere, which the tests use) on a worker thread, so
a slow provider never blocks the event loop. Every failure becomes PaymentUnavailable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..base import PaymentUnavailable

if TYPE_CHECKING:
    import stripe

logger = logging.getLogger("minis.stripe")

KEY = "stripe"  # the method's key: in payments' rows, URLs and settings
HOSTED_PAGE_ORIGIN = "https://checkout.stripe.com"
# Seconds to wait for an answer; the client sees a "try again" page after that.
TIMEOUT_SECONDS = 20.0
# The library retries connection errors and 5xx itself, with the same idempotency key.
NETWORK_RETRIES = 1
# Stripe's refund statuses, in ours (pending, succeeded, failed).
REFUND_STATUSES = {
    "succeeded": "succeeded",
    "pending": "pending",
    "requires_action": "pending",
    "failed": "failed",
    "canceled": "failed",
}


class StripeApi:
    """The deployment's Stripe account::

    api = StripeApi("sk_test_…")
    session = await api.call(api.client.v1.checkout.sessions.retrieve, "cs_…")
    """

    def __init__(self, secret_key: str | None, api_base: str | None = None) -> None:
        self.secret_key = secret_key
        self.api_base = api_base
        self._client: stripe.StripeClient | None = None

    @property
    def client(self) -> stripe.StripeClient:
        """The library's client, made on first use (PaymentUnavailable without a key)."""
        if not self.secret_key:
            raise PaymentUnavailable("STRIPE_SECRET_KEY is not set")
        if self._client is None:
            import stripe  # on first use: a deployment without Stripe never loads it (~7 MiB)

            self._client = stripe.StripeClient(
                self.secret_key,
                base_addresses={"api": self.api_base} if self.api_base else None,
                http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
                max_network_retries=NETWORK_RETRIES,
            )
        return self._client

    def hosted_page_origins(self) -> tuple[str, ...]:
        """Origins the client's browser is sent to from our forms (for CSP ``form-action``)."""
        if not self.secret_key:
            return ()
        if not self.api_base:
            return (HOSTED_PAGE_ORIGIN,)
        parts = urlsplit(self.api_base)
        return (HOSTED_PAGE_ORIGIN, f"{parts.scheme}://{parts.netloc}")

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking library call on a thread; any Stripe error becomes
        PaymentUnavailable."""
        import stripe  # loaded already: ``fn`` is one of the client's methods

        try:
            return await asyncio.to_thread(fn, *args)
        except stripe.StripeError as exc:
            logger.warning("Stripe call failed: %s", exc)
            raise PaymentUnavailable(str(exc)) from exc
