"""Refunds on a cancellation, through each payment's own method.

Runs after the cancellation has committed (a provider's refund API must not
be called inside a database transaction). Each refund uses the key
"cancel-<payment id>" (a booking is cancelled once), so running this again,
after a crash or a retry, refunds nothing twice (PaymentMethod.refund is
idempotent per key). A refund the provider can't make now is logged as
``refund_failed``; the cancellation stands and the dashboard offers a retry.
"""

from __future__ import annotations

from datetime import datetime

from databases import Database

from ..booking.cancel import PlannedRefund, refund_plan
from ..booking.views import BookingView
from .refunds import attempt_refund

CANCEL_KEY = "cancel"
BY_CLIENT = "Cancelled by the client"
BY_STUDIO = "Cancelled by the studio"


async def refund_cancellation(
    db: Database,
    booking: BookingView,
    now: datetime,
    plan: list[PlannedRefund] | None = None,
    *,
    reason: str = BY_CLIENT,
) -> tuple[int, int]:
    """Refund ``plan`` (by default the mini session's policy): (refunded now, failures)."""
    refunded = failures = 0
    for planned in refund_plan(booking) if plan is None else plan:
        done = await attempt_refund(
            db,
            booking,
            planned.payment,
            planned.amount_minor,
            key=f"{CANCEL_KEY}-{planned.payment.id}",
            reason=reason,
            now=now,
        )
        if done is None:
            failures += 1
        elif done:
            refunded += planned.amount_minor
    return refunded, failures
