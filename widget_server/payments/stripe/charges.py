"""Money Stripe holds for a booking, given back: a refund through Stripe's API, recorded
once (payments.refunds.record_refund) and keyed so that a repeated request refunds once."""

from __future__ import annotations

from ..base import RefundRequest
from ..refunds import NewRefund, record_refund
from .api import KEY, REFUND_STATUSES, StripeApi
from .attempts import find_attempt


async def refund_through_stripe(api: StripeApi, request: RefundRequest) -> bool:
    """Refund ``request`` at Stripe with an idempotency key made of the booking, the payment
    and the request's key; False when that refund was recorded before."""
    booking, payment = request.booking, request.payment
    attempt = await find_attempt(request.db, session_id=payment.provider_ref)
    payment_intent = attempt.payment_intent if attempt else None
    if not payment_intent:
        session = await api.call(api.client.v1.checkout.sessions.retrieve, payment.provider_ref)
        payment_intent = session.payment_intent
    refund = await api.call(
        api.client.v1.refunds.create,
        {
            "payment_intent": payment_intent,
            "amount": request.amount_minor,
            "metadata": {"booking_reference": booking.reference, "minis_key": request.key},
        },
        {"idempotency_key": f"minis-refund-{booking.public_id}-{payment.id}-{request.key}"},
    )
    recorded = NewRefund(
        payment_id=payment.id,
        method=KEY,
        provider_ref=refund.id,
        status=REFUND_STATUSES.get(refund.status, "pending"),
        amount_minor=refund.amount,
        reason=request.reason,
    )
    return await record_refund(request.db, booking.id, recorded, request.now, key=request.key)
