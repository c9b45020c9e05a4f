"""Offline payment: bank transfer, cash at the session, whatever the studio says.

The spot is booked at once with the whole amount still due; the photographer
marks it paid later.
"""

from __future__ import annotations

from datetime import datetime

from databases import Database

from ..booking.bookings import NewPayment, book
from ..booking.refunds import record_settled_refund
from ..booking.views import BookingView, PaymentLine
from ..config import Settings
from .base import PaymentStart


class OfflinePayment:
    key = "offline"
    label = "Pay the studio directly"
    summary = "Reserve now and pay as the studio describes (bank transfer, at the session...)."

    def enabled(self, settings: Settings) -> bool:
        return True

    async def begin(self, start: PaymentStart) -> str:
        return start.method_page_url

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
        # The studio gives the money back itself (it received it outside Minis): record that.
        reason = reason or "Refunded by the studio directly"
        return await record_settled_refund(db, booking, payment, amount_minor, key, reason, now)


async def reserve_offline(db: Database, booking: BookingView, now: datetime) -> bool:
    """Book with the whole amount pending. One pending record per booking, however often called."""
    amount = booking.quote.total_minor if booking.quote else 0
    payment = NewPayment(
        method="offline",
        provider_ref=f"offline:{booking.public_id}",
        status="pending",
        amount_minor=amount,
        currency=booking.currency,
    )
    return await book(db, booking, payment, now)
