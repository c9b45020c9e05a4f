"""The interface every payment method implements.

A method decides whether it is enabled in this deployment and where the client
goes to pay (``begin``). Our own methods (offline, demo) send the client to a
page of ours that then records the payment through ``booking.bookings.book``;
a provider (Stripe) sends them to its hosted page and records the payment from
its webhook. Either way ``book`` makes the effect idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from databases import Database

from ..booking.views import BookingView, PaymentLine
from ..config import Settings


@dataclass(frozen=True)
class PaymentStart:
    """What ``begin`` needs: the booking, the URLs of its pages, and (for a provider that
    tracks its sessions) the database and the time."""

    booking: BookingView
    settings: Settings
    db: Database
    now: datetime
    method_page_url: str  # our page for this method: /b/{token}/pay/{key}
    confirmation_url: str
    quote_url: str


class PaymentUnavailable(Exception):
    """The provider could not be reached or refused the request; nothing was charged.

    Retrying is safe: a provider method repeats its idempotency key.
    """


class PaymentMethod(Protocol):
    key: str
    label: str
    summary: str

    def enabled(self, settings: Settings) -> bool: ...

    async def begin(self, start: PaymentStart) -> str:
        """The URL the client's browser goes to next to pay."""
        ...

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
        """Give ``amount_minor`` of ``payment`` back and record it (booking.refunds).

        ``key`` names this refund request ("cancel", "admin-3", ...): asking
        twice with the same key refunds once. Returns False on such a repeat.
        Callers check ``payment.refundable_minor`` first.
        """
        ...
