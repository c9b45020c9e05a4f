"""Refunding a payment, whatever method took it: the entry point for the studio's refunds.

The method moves the money (Stripe through its API; offline and demo just record it)
and ``booking.refunds.record_refund`` writes it, with a ``refund_recorded`` event, once
per request ``key``. When the provider can't be reached, ``attempt_refund`` logs a
``refund_failed`` event instead; ``retry_failed_refunds`` repeats those requests with
their own keys, so a retry never refunds twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from databases import Database

from ..booking.errors import BookingError
from ..booking.events import events_for
from ..booking.refunds import (
    FailedRefund,
    OverRefund,
    bookings_with_recent_refund_failures,
    due_for_retry,
    record_refund_confirmed,
    record_refund_failure,
)
from ..booking.views import BookingView, PaymentLine, load_booking_by_id
from . import METHODS
from .base import PaymentUnavailable

logger = logging.getLogger("minis")
MAX_ERROR = 300


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
    try:
        return await METHODS[payment.method].refund(
            db, booking, payment, amount_minor, key=key, reason=reason, now=now
        )
    except OverRefund as exc:  # another refund of this payment got in first
        raise RefundNotAllowed("less is left to refund than that") from exc


async def attempt_refund(
    db: Database,
    booking: BookingView,
    payment: PaymentLine,
    amount_minor: int,
    *,
    key: str,
    reason: str,
    now: datetime,
) -> bool | None:
    """One refund that must not be lost: True done, False done before, None failed and
    logged as ``refund_failed`` for the dashboard to retry."""
    method = METHODS.get(payment.method)
    try:
        if method is None:
            raise PaymentUnavailable(f"this server has no {payment.method!r} payment method")
        return await method.refund(
            db, booking, payment, amount_minor, key=key, reason=reason, now=now
        )
    except PaymentUnavailable as exc:
        logger.warning("refund %s of booking %s failed: %s", key, booking.id, exc)
        failed = FailedRefund(payment.id, amount_minor, key, reason, str(exc)[:MAX_ERROR])
        await record_refund_failure(db, booking.id, failed, now)
        return None


async def retry_failed_refunds(
    db: Database, booking: BookingView, failures: list[FailedRefund], now: datetime
) -> tuple[int, int]:
    """Retry ``failures`` (from ``booking``'s log), each with its own key: (made now, still
    failing). A retry that fails again is logged again, which is what spaces out the
    background's next try."""
    made = still_failing = 0
    for failed in failures:
        payment = next((p for p in booking.payments if p.id == failed.payment_id), None)
        if payment is None:
            continue
        done = await attempt_refund(
            db,
            booking,
            payment,
            failed.amount_minor,
            key=failed.key,
            reason=failed.reason,
            now=now,
        )
        if done is None:
            still_failing += 1
        elif done:
            made += 1
        else:
            await record_refund_confirmed(db, booking.id, failed.key, now)
            made += 1
    return made, still_failing


async def retry_due_refunds(db: Database, now: datetime) -> int:
    """The background's part: retry the failed refunds whose wait is over; returns how many
    went through. Two workers doing this at once are harmless: each retry reuses its
    request's key, which the provider and ``record_refund`` both honour."""
    made = 0
    for booking_id in await bookings_with_recent_refund_failures(db, now):
        due = due_for_retry(await events_for(db, booking_id), now)
        booking = await load_booking_by_id(db, booking_id) if due else None
        if booking is not None:
            done, _ = await retry_failed_refunds(db, booking, due, now)
            made += done
    return made
