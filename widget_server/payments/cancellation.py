"""Refunds on a client's cancellation, through each payment's own method.

Runs after the cancellation has committed (a provider's refund API must not
be called inside a database transaction). Each refund uses the key
"cancel", so running this again, after a crash or a retry, refunds nothing
twice (PaymentMethod.refund is idempotent per key).
"""

from __future__ import annotations

import logging
from datetime import datetime

from databases import Database

from ..booking.cancel import refund_plan
from ..booking.views import BookingView
from . import METHODS

logger = logging.getLogger("minis")

CANCEL_KEY = "cancel"


async def refund_cancellation(db: Database, booking: BookingView, now: datetime) -> int:
    """Refund what the policy gives back; returns the amount refunded now (minor units)."""
    refunded = 0
    for planned in refund_plan(booking):
        method = METHODS.get(planned.payment.method)
        if method is None:  # a method this deployment no longer has: the studio refunds by hand
            logger.warning("no refund method %r for booking %s", planned.payment.method, booking.id)
            continue
        done = await method.refund(
            db,
            booking,
            planned.payment,
            planned.amount_minor,
            key=f"{CANCEL_KEY}-{planned.payment.id}",
            reason="Cancelled by the client",
            now=now,
        )
        if done:
            refunded += planned.amount_minor
    return refunded
