"""Demo payment: a clearly labelled test-card page that exists only in demo mode.

It lets anyone try the whole flow without a payment provider. It behaves like
a card processor's test mode: one number succeeds, one is declined.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..booking.bookings import NewPayment, book
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from .base import PaymentDeclined, PaymentMethod, PaymentStart, RefundRequest
from .refunds import record_settled_refund

SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


class DemoPayment(PaymentMethod):
    key = "demo"
    label = lazy_gettext("Card (demo)")
    summary = lazy_gettext("Test card payment. No real money moves.")

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled

    async def submit(self, start: PaymentStart, form: Mapping[str, str]) -> str | None:
        """Take the amount due now with a test card, then book."""
        check_card(form.get("card", ""))
        booking = start.booking
        payment = NewPayment(
            method=self.key,
            # One charge per booking and purpose: a double-submitted form pays once.
            provider_ref=f"demo:{booking.public_id}:due-now",
            status="succeeded",
            amount_minor=booking.quote.due_now_minor if booking.quote else 0,
            currency=booking.currency,
        )
        await book(start.db, booking, payment, start.now)
        return None

    async def refund(self, request: RefundRequest) -> bool:
        # The test card's refund succeeds at once.
        return await record_settled_refund(request)


def check_card(number: str) -> None:
    """Raise PaymentDeclined unless ``number`` is the success card."""
    digits = "".join(ch for ch in number if not ch.isspace() and ch != "-")
    if digits == DECLINED_CARD:
        raise PaymentDeclined(
            _("Your card was declined. No money was taken. Try the success card.")
        )
    if digits != SUCCESS_CARD:
        raise PaymentDeclined(_("Please enter one of the test card numbers shown below."))
