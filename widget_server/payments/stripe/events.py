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
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from databases import Database

from ...booking.bookings import NewPayment, book
from ...booking.errors import SlotUnavailable, WrongState
from ...booking.views import BookingView, load_booking_by_id
from ..base import PaymentUnavailable, RefundRequest, WebhookRejected
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
from .shapes import (
    Charge,
    CheckoutSession,
    Event,
    read_charge,
    read_event,
    read_refund,
    read_session,
)

logger = logging.getLogger("minis.stripe")

# Stripe's own default: a signature more than five minutes old is refused (replay
# protection); we refuse one as far in the future too.
TOLERANCE_SECONDS = 300
PAID = ("paid", "no_payment_required")
T = TypeVar("T")


def verify_event(secret: str | None, payload: bytes, signature: str | None, now: float) -> Event:
    """The event in ``payload``, once it is genuine, current and shaped like an event.

    ``stripe.WebhookSignature.verify_header`` checks the signature (what
    ``stripe.Webhook.construct_event`` does first), but its tolerance only refuses
    timestamps that are too old: one far in the future would stay valid for as long as
    it is ahead, so both sides are checked here, against ``now`` (Unix seconds). Then the
    body must be the JSON of an event (shapes.read_event), not just any JSON.
    """
    if not secret:
        raise WebhookRejected("not_configured", "STRIPE_WEBHOOK_SECRET is not set")
    import stripe  # on first use: a deployment without Stripe never loads it (~7 MiB)

    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=None)
    except ValueError as exc:  # the body is not UTF-8 text
        raise WebhookRejected("invalid_payload", "the body is not a JSON event") from exc
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected("bad_signature", "the signature does not match") from exc
    assert signature is not None  # verified
    signed_at = _signed_at(signature)
    if signed_at < now - TOLERANCE_SECONDS:
        raise WebhookRejected("stale_timestamp", "the signature is too old")
    if signed_at > now + TOLERANCE_SECONDS:
        raise WebhookRejected("future_timestamp", "the signature's time is ahead of ours")
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # not JSON, or nested past Python's stack
        raise WebhookRejected("invalid_payload", "the body is not a JSON event") from exc
    return read_event(data)


def _signed_at(signature: str) -> int:
    """The header's timestamp, read the way ``verify_header`` read it (the first ``t``),
    so the time we check is the time that was signed."""
    items = [item.split("=", 2) for item in signature.split(",")]
    return int(next(item[1] for item in items if item[0] == "t"))


async def handle_event(api: StripeApi, db: Database, event: Event, now: datetime) -> str:
    """Apply one verified event; returns what happened, for the reply and the log.
    Raises WebhookRejected (invalid_payload) when the object is not what its type says."""
    kind, obj = event.type, event.object
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        return await session_settled(api, db, read_session(obj), now)
    if kind == "checkout.session.async_payment_failed":
        return await _session_failed(db, read_session(obj), now)
    if kind == "checkout.session.expired":
        return await _session_expired(db, read_session(obj), now)
    if kind == "charge.refunded":
        return await _charge_refunded(api, db, read_charge(obj), now)
    return "ignored"


async def _attempt_of(db: Database, session: CheckoutSession) -> CheckoutAttempt | None:
    attempt = await find_attempt(db, session_id=session.id, attempt_id=session.attempt_id)
    if attempt is not None and attempt.session_id not in (None, session.id):
        attempt = None  # metadata naming an attempt that belongs to another session
    if attempt is None:
        logger.info("Stripe event for unknown Checkout Session %s ignored", session.id)
    return attempt


async def _booking_of(db: Database, attempt: CheckoutAttempt) -> BookingView:
    booking = await load_booking_by_id(db, attempt.booking_id)
    assert booking is not None  # bookings are never deleted
    return booking


async def session_settled(
    api: StripeApi, db: Database, session: CheckoutSession, now: datetime
) -> str:
    """A Checkout Session completed (or its delayed payment succeeded): book, or refund."""
    attempt = await _attempt_of(db, session)
    if attempt is None:
        return "unknown_session"
    session_id, payment_intent = session.id, session.payment_intent
    if session.status != "complete":
        return "not_complete"  # a return URL opened before paying: nothing to do
    if session.payment_status not in PAID:
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
        amount_minor=session.amount_total or attempt.amount_minor,
        currency=(session.currency or attempt.currency).upper(),
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


async def _session_failed(db: Database, session: CheckoutSession, now: datetime) -> str:
    attempt = await _attempt_of(db, session)
    if attempt is None:
        return "unknown_session"
    await mark_attempt(db, attempt, "failed", now, event="payment_failed")
    return "failed"


async def _session_expired(db: Database, session: CheckoutSession, now: datetime) -> str:
    attempt = await _attempt_of(db, session)
    if attempt is None:
        return "unknown_session"
    return "hold_freed" if await checkout_expired(db, attempt, now) else "expired"


async def _charge_refunded(api: StripeApi, db: Database, charge: Charge, now: datetime) -> str:
    """Refunds made anywhere (our API calls, Stripe's dashboard) land in the booking's log."""
    payment_intent = charge.payment_intent
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
    refunds = charge.refunds
    if refunds is None:
        listed = await api.call(
            api.client.v1.refunds.list,
            {"payment_intent": payment_intent, "limit": 100},
        )
        refunds = [_from_api(read_refund, r.to_dict()) for r in listed.data]
    recorded = 0
    for refund in refunds:
        if not refund.amount:
            continue
        recorded += await record_refund(
            db,
            booking.id,
            NewRefund(
                payment_id=payment.id,
                method=KEY,
                provider_ref=refund.id,
                status=REFUND_STATUSES.get(refund.status, "pending"),
                amount_minor=refund.amount,
                reason=refund.reason or "Refunded in Stripe",
            ),
            now,
            # Ours carry the request's key: a request that timed out counts as done.
            key=refund.key or None,
        )
    return f"refunds_recorded:{recorded}"


def _from_api(read: Callable[[Any], T], obj: Any) -> T:
    """An object Stripe's API returned, read like an event's: one we can't read is an
    answer we can't use, like no answer (PaymentUnavailable: the caller retries later)."""
    try:
        return read(obj)
    except WebhookRejected as exc:
        logger.warning("Stripe's API returned a malformed object: %s", exc)
        raise PaymentUnavailable(str(exc)) from exc


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
    return await session_settled(api, db, _from_api(read_session, session.to_dict()), now)
