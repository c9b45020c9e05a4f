"""Cancel and refund: the one use case behind the client's cancel page and the studio's
cancel action.

The cancellation commits first (booking.cancel: the spot freed, the event and the
emails in one transaction); then each planned refund goes through its payment's own
method (a provider's API must not be called inside a database transaction). Each
refund uses the key "cancel-<payment id>" (a booking is cancelled once), so running
it again refunds nothing twice. A refund the provider can't make now is logged as
``refund_failed`` and retried in the background and from the dashboard; the
cancellation stands either way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from databases import Database

from ..booking.cancel import PlannedRefund, cancel, cancel_for_client
from ..booking.views import BookingView
from .base import PaymentMethod, RefundRequest
from .refunds import attempt_refund

logger = logging.getLogger("minis")

CANCEL_KEY = "cancel"
BY_CLIENT = "Cancelled by the client"
BY_STUDIO = "Cancelled by the studio"


@dataclass(frozen=True)
class Cancelled:
    """What a cancellation gave back: refunded now, and refunds left to retry."""

    refunded_minor: int
    refund_failures: int


async def cancel_and_refund(
    methods: Mapping[str, PaymentMethod],
    db: Database,
    booking: BookingView,
    message: str,
    now: datetime,
    *,
    studio_refund: str | None = None,
) -> Cancelled:
    """Cancel ``booking`` and refund what is owed, or raise and change nothing.

    The client cancels within the mini session's rules and refund policy (raises
    ChangeNotAllowed, WrongState). With ``studio_refund`` (a key of
    ``booking.cancel.STUDIO_REFUNDS``) the studio cancels for them, whatever the rules
    say, refunding what it chose (raises WrongState when not booked).
    """
    if studio_refund is None:
        plan = await cancel(db, booking, message, now)
    else:
        plan = await cancel_for_client(db, booking, message, studio_refund, now)
    reason = BY_CLIENT if studio_refund is None else BY_STUDIO
    return await _refund(methods, db, booking, plan, reason, now)


async def _refund(
    methods: Mapping[str, PaymentMethod],
    db: Database,
    booking: BookingView,
    plan: list[PlannedRefund],
    reason: str,
    now: datetime,
) -> Cancelled:
    refunded = failures = 0
    for planned in plan:
        request = RefundRequest(
            db,
            booking,
            planned.payment,
            planned.amount_minor,
            key=f"{CANCEL_KEY}-{planned.payment.id}",
            reason=reason,
            now=now,
        )
        try:
            done = await attempt_refund(methods, request)
        except Exception:  # the cancellation stands; the refund is retried by its key
            logger.exception("refund after cancelling booking %s failed", booking.id)
            done = None
        if done is None:
            failures += 1
        elif done:
            refunded += planned.amount_minor
    return Cancelled(refunded, failures)
