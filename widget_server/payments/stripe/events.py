"""What Stripe tells us, by webhook or on the return redirect, and its effect: exactly once.

Every effect is keyed so that a repeat changes nothing: the payment by
(stripe, Checkout Session id) in ``book``; a refund by its ``re_`` id in
``record_refund``; a session's state by a conditional UPDATE. So an event
delivered ten times, events out of order, and the webhook racing the client's
return all leave one booking, one payment and one "booked" event.

A session paid after its hold lapsed books the slot if it is still free; if
someone else took it, the payment is recorded with a "paid_after_slot_taken"
event and refunded in full through the API, so no money is silently kept.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any

import stripe
from databases import Database

from ...booking.bookings import NewPayment, book
from ...booking.errors import SlotUnavailable, WrongState
from ...booking.views import BookingView, load_booking_by_id
from ..base import RefundRequest, WebhookRejected
from ..late_payments import record_unbookable_payment, was_unbookable
from ..refunds import NewRefund, record_refund
from .api import KEY, REFUND_STATUSES, StripeApi
from .attempts import (
    CheckoutAttempt,
    attempt_by_payment_intent,
    checkout_expired,
    find_attempt,
    mark_attempt,
)
from .charges import refund_through_stripe

logger = logging.getLogger("minis.stripe")

# Stripe's own default: a signature older than five minutes is refused (replay protection).
TOLERANCE_SECONDS = 300
PAID = ("paid", "no_payment_required")


def verify_event(secret: str | None, payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event in ``payload``, after ``stripe.Webhook.construct_event`` checked it."""
    if not secret:
        raise WebhookRejected("not_configured", "STRIPE_WEBHOOK_SECRET is not set")
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
    except ValueError as exc:
        raise WebhookRejected("invalid_payload", "the body is not a JSON event") from exc
    except stripe.SignatureVerificationError as exc:
        if _stale(signature):
            raise WebhookRejected("stale_timestamp", "the signature is too old") from exc
        raise WebhookRejected("bad_signature", "the signature does not match") from exc
    event = json.loads(payload)
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        raise WebhookRejected("invalid_payload", "the body is not a Stripe event")
    return event


def _stale(signature: str | None) -> bool:
    for part in (signature or "").split(","):
        name, _, value = part.partition("=")
        if name.strip() == "t" and value.strip().isdigit():
            return abs(time.time() - int(value)) > TOLERANCE_SECONDS
    return False


async def handle_event(api: StripeApi, db: Database, event: dict[str, Any], now: datetime) -> str:
    """Apply one verified event; returns what happened, for the reply and the log."""
    kind = event.get("type", "")
    obj = event["data"].get("object")
    if not isinstance(obj, dict):
        return "ignored"
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        return await session_settled(api, db, obj, now)
    if kind == "checkout.session.async_payment_failed":
        return await _session_failed(db, obj, now)
    if kind == "checkout.session.expired":
        return await _session_expired(db, obj, now)
    if kind == "charge.refunded":
        return await _charge_refunded(api, db, obj, now)
    return "ignored"


async def _attempt_of(db: Database, session: dict[str, Any]) -> CheckoutAttempt | None:
    metadata = session.get("metadata") or {}
    raw = str(metadata.get("minis_checkout", ""))
    attempt = await find_attempt(
        db, session_id=session.get("id"), attempt_id=int(raw) if raw.isdigit() else None
    )
    if attempt is not None and attempt.session_id not in (None, session.get("id")):
        attempt = None  # metadata naming an attempt that belongs to another session
    if attempt is None:
        logger.info("Stripe event for unknown Checkout Session %s ignored", session.get("id"))
    return attempt


async def _booking_of(db: Database, attempt: CheckoutAttempt) -> BookingView:
    booking = await load_booking_by_id(db, attempt.booking_id)
    assert booking is not None  # bookings are never deleted
    return booking


async def session_settled(
    api: StripeApi, db: Database, session: dict[str, Any], now: datetime
) -> str:
    """A Checkout Session completed (or its delayed payment succeeded): book, or refund."""
    attempt = await _attempt_of(db, session)
    if attempt is None:
        return "unknown_session"
    session_id, payment_intent = str(session.get("id") or ""), session.get("payment_intent")
    if session.get("status") != "complete":
        return "not_complete"  # a return URL opened before paying: nothing to do
    if session.get("payment_status") not in PAID:
        # A delayed method (bank debit): wait for async_payment_succeeded.
        await mark_attempt(
            db,
            attempt,
            "processing",
            now,
            session_id=session_id,
            payment_intent=payment_intent,
            event="payment_processing",
        )
        return "processing"
    await mark_attempt(
        db, attempt, "complete", now, session_id=session_id, payment_intent=payment_intent
    )
    booking = await _booking_of(db, attempt)
    payment = NewPayment(
        method=KEY,
        provider_ref=session_id,
        status="succeeded",
        amount_minor=int(session.get("amount_total") or attempt.amount_minor),
        currency=str(session.get("currency") or attempt.currency).upper(),
    )
    try:
        if _already_paid_otherwise(booking, attempt, session_id):
            raise WrongState("already_paid")
        if await book(db, booking, payment, now):
            return "booked"
        if not await was_unbookable(db, booking.id, session_id):
            return "duplicate"
        # Recorded before but not yet refunded (Stripe was down): try again now.
        await refund_unbookable(api, db, booking.id, session_id, now)
        return "refunded"
    except SlotUnavailable as exc:
        reason = exc.reason
    except WrongState as exc:
        reason = str(exc)
    await record_unbookable_payment(db, booking, payment, reason, now)
    await refund_unbookable(api, db, booking.id, session_id, now)
    return "refunded"


def _already_paid_otherwise(
    booking: BookingView, attempt: CheckoutAttempt, session_id: str
) -> bool:
    """The amount due now was already paid another way (the demo card, another tab) while this
    session stayed open: paying it too would charge the client twice."""
    if attempt.purpose != "due_now" or booking.status != "booked" or booking.quote is None:
        return False
    if any(p.method == KEY and p.provider_ref == session_id for p in booking.payments):
        return False  # this very payment, delivered again
    return booking.paid_minor >= booking.quote.due_now_minor > 0


async def refund_unbookable(
    api: StripeApi, db: Database, booking_id: int, session_id: str, now: datetime
) -> None:
    """Give back all of a payment that could not book; safe to repeat (one idempotency key)."""
    booking = await load_booking_by_id(db, booking_id)
    assert booking is not None
    payment = next(
        (p for p in booking.payments if p.method == KEY and p.provider_ref == session_id),
        None,
    )
    if payment is None or payment.refundable_minor <= 0:
        return
    await refund_through_stripe(
        api,
        RefundRequest(
            db,
            booking,
            payment,
            payment.refundable_minor,
            key="not-bookable",
            reason="Paid after the time was no longer available; refunded automatically",
            now=now,
        ),
    )


async def _session_failed(db: Database, session: dict[str, Any], now: datetime) -> str:
    attempt = await _attempt_of(db, session)
    if attempt is None:
        return "unknown_session"
    await mark_attempt(db, attempt, "failed", now, event="payment_failed")
    return "failed"


async def _session_expired(db: Database, session: dict[str, Any], now: datetime) -> str:
    attempt = await _attempt_of(db, session)
    if attempt is None:
        return "unknown_session"
    return "hold_freed" if await checkout_expired(db, attempt, now) else "expired"


async def _charge_refunded(
    api: StripeApi, db: Database, charge: dict[str, Any], now: datetime
) -> str:
    """Refunds made anywhere (our API calls, Stripe's dashboard) land in the booking's log."""
    payment_intent = charge.get("payment_intent")
    attempt = await attempt_by_payment_intent(db, payment_intent) if payment_intent else None
    if attempt is None:
        logger.info("charge.refunded for unknown payment %s ignored", payment_intent)
        return "unknown_payment"
    booking = await _booking_of(db, attempt)
    payment = next(
        (p for p in booking.payments if p.method == KEY and p.provider_ref == attempt.session_id),
        None,
    )
    if payment is None:
        return "unknown_payment"
    refunds = (charge.get("refunds") or {}).get("data")
    if refunds is None:
        listed = await api.call(
            api.client.v1.refunds.list,
            {"payment_intent": payment_intent, "limit": 100},
        )
        refunds = [r.to_dict() for r in listed.data]
    recorded = 0
    for refund in refunds:
        if not refund.get("amount"):
            continue
        recorded += await record_refund(
            db,
            booking.id,
            NewRefund(
                payment_id=payment.id,
                method=KEY,
                provider_ref=refund["id"],
                status=REFUND_STATUSES.get(refund.get("status", ""), "pending"),
                amount_minor=int(refund["amount"]),
                reason=refund.get("reason") or "Refunded in Stripe",
            ),
            now,
            # Ours carry the request's key: a request that timed out counts as done.
            key=(refund.get("metadata") or {}).get("minis_key") or None,
        )
    return f"refunds_recorded:{recorded}"


async def settle_from_return(
    api: StripeApi, db: Database, booking: BookingView, session_id: str, now: datetime
) -> str | None:
    """The client came back from Checkout: ask Stripe about the session before believing it.

    Returns what ``session_settled`` did, or None when the session is not one of this
    booking's. Raises PaymentUnavailable when Stripe cannot be asked (the webhook will
    still arrive).
    """
    attempt = await find_attempt(db, session_id=session_id)
    if attempt is None or attempt.booking_id != booking.id:
        return None
    session = await api.call(api.client.v1.checkout.sessions.retrieve, session_id)
    return await session_settled(api, db, session.to_dict(), now)
