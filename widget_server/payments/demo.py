"""Demo payment: a clearly labelled test-card page that exists only in demo mode.

It lets anyone try the whole flow without a payment provider. It behaves like
a card processor's test mode: one number succeeds, one is declined.
"""

from __future__ import annotations

from datetime import datetime

from databases import Database

from ..booking.bookings import NewPayment, book
from ..booking.refunds import record_settled_refund
from ..booking.views import BookingView, PaymentLine
from ..config import Settings
from .base import PaymentStart

SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


class CardDeclined(Exception):
    pass


class InvalidCard(Exception):
    pass


class DemoPayment:
    key = "demo"
    label = "Card (demo)"
    summary = "Test card payment. No real money moves."

    def enabled(self, settings: Settings) -> bool:
        return settings.demo

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
        # The test card's refund succeeds at once.
        return await record_settled_refund(db, booking, payment, amount_minor, key, reason, now)


def check_card(number: str) -> None:
    digits = "".join(ch for ch in number if not ch.isspace() and ch != "-")
    if digits == DECLINED_CARD:
        raise CardDeclined
    if digits != SUCCESS_CARD:
        raise InvalidCard


async def charge_demo_card(db: Database, booking: BookingView, number: str, now: datetime) -> bool:
    """Take the amount due now with a test card, then book. Raises CardDeclined, InvalidCard."""
    check_card(number)
    amount = booking.quote.due_now_minor if booking.quote else 0
    payment = NewPayment(
        method="demo",
        # One charge per booking and purpose: a double-submitted form pays once.
        provider_ref=f"demo:{booking.public_id}:due-now",
        status="succeeded",
        amount_minor=amount,
        currency=booking.currency,
    )
    return await book(db, booking, payment, now)
