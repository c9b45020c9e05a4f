"""Refunding a payment, whatever method took it: the entry point for the studio's refunds.

The method moves the money (Stripe through its API; offline and demo just record it)
and ``booking.refunds.record_refund`` writes it, with a ``refund_recorded`` event, once
per request ``key``.
"""

from __future__ import annotations

from datetime import datetime

from databases import Database

from ..booking.errors import BookingError
from ..booking.views import BookingView
from . import METHODS


class RefundNotAllowed(BookingError):
    """Nothing (or less than asked) is left to refund on that payment, or it isn't ours."""

    code = "refund_not_allowed"


async def refund_payment(
    db: Database,
    booking: BookingView,
    payment_id: int,
    amount_minor: int,
    *,
    key: str,
    reason: str,
    now: datetime,
) -> bool:
    """Give back ``amount_minor`` (all or part) of one of ``booking``'s payments.

    Returns False when this ``key`` was refunded before (nothing happens twice).
    Raises RefundNotAllowed for an unknown payment or an amount it can't cover, and
    payments.base.PaymentUnavailable when the provider can't be reached (retry with
    the same key).
    """
    payment = next((p for p in booking.payments if p.id == payment_id), None)
    if payment is None or payment.method not in METHODS:
        raise RefundNotAllowed("no such payment on this booking")
    if not 0 < amount_minor <= payment.refundable_minor:
        raise RefundNotAllowed(f"between 1 and {payment.refundable_minor} can be refunded")
    return await METHODS[payment.method].refund(
        db, booking, payment, amount_minor, key=key, reason=reason, now=now
    )
