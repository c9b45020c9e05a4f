"""Refunds of any method: asked for once per request key, recorded once, never lost.

``refund_payment`` is the studio's refund: it checks the amount and asks the payment's
method (``PaymentMethod.refund`` with a ``RefundRequest``). The method moves the money
(Stripe through its API; offline and demo just record it) and ``record_refund`` writes
the outcome, keyed by the method and the provider's refund id (or our request key), so
a refund requested twice or reported twice by a webhook counts once.

A refund the provider could not make (it was down) is logged as ``refund_failed``
with its request key; ``failed_refunds`` lists those not yet made since, which the
dashboard offers to retry with the same key (so nothing is ever refunded twice).
``due_for_retry`` picks those the background retry may try again now: after 5, 10,
20... minutes, ``AUTO_RETRIES`` times, then only the photographer's Retry button.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from databases import Database

from ..booking.errors import BookingError
from ..booking.events import events_for, record_event
from ..booking.views import BookingView, load_booking_by_id
from ..db.insert_once import insert_once
from ..db.rows import IdRow, fetch_all_as
from ..db.tables import booking_events, payments, refunds
from ..db.transactions import write_transaction
from .base import PaymentMethod, PaymentUnavailable, RefundRequest


@dataclass(frozen=True)
class NewRefund:
    payment_id: int
    method: str
    provider_ref: str
    status: str  # pending, succeeded, failed
    amount_minor: int
    reason: str = ""


class OverRefund(BookingError):
    """Recording this refund would give back more than the payment took; nothing recorded."""

    code = "over_refund"


async def record_refund(
    db: Database,
    booking_id: int,
    refund: NewRefund,
    now: datetime,
    *,
    key: str | None = None,
    cap_minor: int | None = None,
) -> bool:
    """Record ``refund`` and its event; False (and no change) when it was already recorded.

    ``key`` (the request's idempotency key) goes into the event, so a failed request
    can be seen as done later. With ``cap_minor`` (refunds we settle ourselves), raises
    OverRefund when the payment's refunds would exceed it: checked after the insert,
    in its transaction, so two different requests racing can't both pass.
    """
    async with write_transaction(db):
        if cap_minor is not None:
            # Lock the payment first: two refunds of it queue here, so the second one's
            # sum below sees the first (PostgreSQL), and SQLite takes its write lock at once.
            await db.execute(
                payments.update()
                .where(payments.c.id == refund.payment_id)
                .values(amount_minor=payments.c.amount_minor)
            )
        new_id = await insert_once(
            db,
            refunds,
            {**refund.__dict__, "booking_id": booking_id, "created_at": now},
            unique=["method", "provider_ref"],
        )
        if new_id is None:
            return False
        if cap_minor is not None:
            total = await db.fetch_val(
                sa.select(sa.func.coalesce(sa.func.sum(refunds.c.amount_minor), 0)).where(
                    refunds.c.payment_id == refund.payment_id, refunds.c.status != "failed"
                )
            )
            if int(total) > cap_minor:
                raise OverRefund(f"refunds would exceed {cap_minor}")
        await record_event(
            db,
            booking_id,
            "refund_recorded",
            now,
            method=refund.method,
            status=refund.status,
            amount_minor=refund.amount_minor,
            reason=refund.reason,
            **({"key": key} if key else {}),
        )
    return True


async def record_settled_refund(request: RefundRequest, *, reason: str | None = None) -> bool:
    """A refund that is done once recorded, with no provider to wait for (the demo card,
    money the studio hands back itself); the request's key makes it count once."""
    booking, payment = request.booking, request.payment
    refund = NewRefund(
        payment_id=payment.id,
        method=payment.method,
        provider_ref=f"{payment.method}-refund:{booking.public_id}:{request.key}",
        status="succeeded",
        amount_minor=request.amount_minor,
        reason=request.reason if reason is None else reason,
    )
    return await record_refund(
        request.db, booking.id, refund, request.now, key=request.key, cap_minor=payment.amount_minor
    )


@dataclass(frozen=True)
class FailedRefund:
    """A refund request the provider could not carry out; retried with the same key."""

    payment_id: int
    amount_minor: int
    key: str
    reason: str
    error: str


async def record_refund_failure(
    db: Database, booking_id: int, failed: FailedRefund, now: datetime
) -> None:
    async with write_transaction(db):
        await record_event(db, booking_id, "refund_failed", now, **failed.__dict__)


async def record_refund_confirmed(db: Database, booking_id: int, key: str, now: datetime) -> None:
    """A retried request turned out to be done already (e.g. the provider's webhook recorded
    it first): note that its key is settled."""
    async with write_transaction(db):
        await record_event(db, booking_id, "refund_confirmed", now, key=key)


SETTLING_EVENTS = {"refund_recorded", "refund_confirmed"}


def failed_refunds(events: list[dict[str, Any]]) -> list[FailedRefund]:
    """Refund requests that failed and have not been carried out since, from a booking's log."""
    failed: dict[str, FailedRefund] = {}
    for event in events:
        key = event["detail"].get("key")
        if not isinstance(key, str):
            continue
        if event["kind"] == "refund_failed":
            failed[key] = FailedRefund(**event["detail"])
        elif event["kind"] in SETTLING_EVENTS:
            failed.pop(key, None)
    return list(failed.values())


# Automatic retries of a failed refund: the n-th waits RETRY_AFTER * 2**(n-1) after the
# n-th failure (5, 10, 20, 40, 80, 160 minutes: about 5 hours in all), then the
# photographer's Retry button is the way (the booking page shows the failure).
AUTO_RETRIES = 6
RETRY_AFTER = timedelta(minutes=5)
# Failures older than this are left to the photographer (and to the button).
RETRY_WINDOW = timedelta(days=2)


def due_for_retry(events: list[dict[str, Any]], now: datetime) -> list[FailedRefund]:
    """The failed refunds in a booking's log that the background retry should try now."""
    outstanding = {f.key: f for f in failed_refunds(events)}
    failures: Counter[str] = Counter()
    last_failure: dict[str, datetime] = {}
    for event in events:
        key = event["detail"].get("key")
        if event["kind"] == "refund_failed" and key in outstanding:
            failures[key] += 1
            last_failure[key] = event["created_at"]
    return [
        failed
        for key, failed in outstanding.items()
        if failures[key] <= AUTO_RETRIES
        and now - last_failure[key] >= RETRY_AFTER * 2 ** (failures[key] - 1)
    ]


async def bookings_with_recent_refund_failures(db: Database, now: datetime) -> list[int]:
    """Bookings with a ``refund_failed`` event in the retry window (by the kind index)."""
    rows = await fetch_all_as(
        db,
        sa.select(booking_events.c.booking_id.label("id"))
        .where(
            booking_events.c.kind == "refund_failed",
            booking_events.c.created_at >= now - RETRY_WINDOW,
        )
        .distinct()
        .order_by(booking_events.c.booking_id),
        IdRow,
    )
    return [r.id for r in rows]


logger = logging.getLogger("minis")
MAX_ERROR = 300


class RefundNotAllowed(BookingError):
    """Nothing (or less than asked) is left to refund on that payment, or it isn't ours."""

    code = "refund_not_allowed"


async def refund_payment(methods: Mapping[str, PaymentMethod], request: RefundRequest) -> bool:
    """Give back ``request.amount_minor`` (all or part) of one of the booking's payments.

    Returns False when this key was refunded before (nothing happens twice). Raises
    RefundNotAllowed for a payment that isn't the booking's or an amount it can't cover,
    and PaymentUnavailable when the provider can't be reached (retry with the same key).
    """
    payment = request.payment
    ours = any(p.id == payment.id for p in request.booking.payments)
    if not ours or payment.method not in methods:
        raise RefundNotAllowed("no such payment on this booking")
    if not 0 < request.amount_minor <= payment.refundable_minor:
        raise RefundNotAllowed(f"between 1 and {payment.refundable_minor} can be refunded")
    try:
        return await methods[payment.method].refund(request)
    except OverRefund as exc:  # another refund of this payment got in first
        raise RefundNotAllowed("less is left to refund than that") from exc


async def attempt_refund(
    methods: Mapping[str, PaymentMethod], request: RefundRequest
) -> bool | None:
    """One refund that must not be lost: True done, False done before, None failed and
    logged as ``refund_failed`` for the background and the dashboard to retry."""
    method = methods.get(request.payment.method)
    try:
        if method is None:
            raise PaymentUnavailable(f"this server has no {request.payment.method!r} method")
        return await method.refund(request)
    except PaymentUnavailable as exc:
        logger.warning("refund %s of booking %s failed: %s", request.key, request.booking.id, exc)
        failed = FailedRefund(
            request.payment.id,
            request.amount_minor,
            request.key,
            request.reason,
            str(exc)[:MAX_ERROR],
        )
        await record_refund_failure(request.db, request.booking.id, failed, request.now)
        return None


async def retry_failed_refunds(
    methods: Mapping[str, PaymentMethod],
    db: Database,
    booking: BookingView,
    failures: list[FailedRefund],
    now: datetime,
) -> tuple[int, int]:
    """Retry ``failures`` (from ``booking``'s log), each with its own key: (made now, still
    failing). A retry that fails again is logged again, which is what spaces out the
    background's next try."""
    made = still_failing = 0
    for failed in failures:
        payment = next((p for p in booking.payments if p.id == failed.payment_id), None)
        if payment is None:
            continue
        request = RefundRequest(
            db, booking, payment, failed.amount_minor, failed.key, failed.reason, now
        )
        done = await attempt_refund(methods, request)
        if done is None:
            still_failing += 1
        elif done:
            made += 1
        else:
            await record_refund_confirmed(db, booking.id, failed.key, now)
            made += 1
    return made, still_failing


async def retry_due_refunds(
    methods: Mapping[str, PaymentMethod], db: Database, now: datetime
) -> int:
    """The background's part: retry the failed refunds whose wait is over; returns how many
    went through. Two workers doing this at once are harmless: each retry reuses its
    request's key, which the provider and ``record_refund`` both honour."""
    made = 0
    for booking_id in await bookings_with_recent_refund_failures(db, now):
        due = due_for_retry(await events_for(db, booking_id), now)
        booking = await load_booking_by_id(db, booking_id) if due else None
        if booking is not None:
            done, _ = await retry_failed_refunds(methods, db, booking, due, now)
            made += done
    return made
