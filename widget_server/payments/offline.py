"""Offline payment: bank transfer, cash at the session, whatever the studio says.

The spot is booked at once with the whole amount still due; the photographer
marks it paid later (studio.offline_paid).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..booking.bookings import NewPayment, book
from ..booking.quotes import Quote
from ..i18n import gettext as _
from ..i18n import lazy_gettext, pgettext
from .base import PaymentMethod, PaymentStart, RefundRequest
from .refunds import record_settled_refund


class OfflinePayment(PaymentMethod):
    key = "offline"
    label = lazy_gettext("Pay the studio directly")
    summary = lazy_gettext(
        "Reserve now and pay as the studio describes (bank transfer, at the session...)."
    )

    def action_label(self, quote: Quote) -> str:
        if quote.total_minor > 0:
            return _("Reserve and pay the studio")
        return pgettext("checkout button", "Book")

    async def submit(self, start: PaymentStart, form: Mapping[str, str]) -> str | None:
        """Book with the whole amount pending: one pending record per booking, however often."""
        booking = start.booking
        payment = NewPayment(
            method=self.key,
            provider_ref=f"offline:{booking.public_id}",
            status="pending",
            amount_minor=booking.quote.total_minor if booking.quote else 0,
            currency=booking.currency,
        )
        await book(start.db, booking, payment, start.now)
        return None

    async def refund(self, request: RefundRequest) -> bool:
        # The studio gives the money back itself (it received it outside Minis): record that.
        reason = request.reason or "Refunded by the studio directly"
        return await record_settled_refund(request, reason=reason)
