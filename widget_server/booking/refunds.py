"""Refunds: money given back on a payment, recorded exactly once.

The payment method moves the money (payments/); this module only records the
outcome, keyed by the method and the provider's refund id (or our idempotency
key), so a refund requested twice or reported twice by a webhook counts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from databases import Database

from ..db.insert_once import insert_once
from ..db.tables import refunds
from ..db.transactions import write_transaction
from .events import record_event
from .views import BookingView, PaymentLine


@dataclass(frozen=True)
class NewRefund:
    payment_id: int
    method: str
    provider_ref: str
    status: str  # pending, succeeded, failed
    amount_minor: int
    reason: str = ""


async def record_refund(db: Database, booking_id: int, refund: NewRefund, now: datetime) -> bool:
    """Record ``refund`` and its event; False (and no change) when it was already recorded."""
    async with write_transaction(db):
        new_id = await insert_once(
            db,
            refunds,
            {**refund.__dict__, "booking_id": booking_id, "created_at": now},
            unique=["method", "provider_ref"],
        )
        if new_id is None:
            return False
        await record_event(
            db,
            booking_id,
            "refund_recorded",
            now,
            method=refund.method,
            status=refund.status,
            amount_minor=refund.amount_minor,
            reason=refund.reason,
        )
    return True


async def record_settled_refund(
    db: Database,
    booking: BookingView,
    payment: PaymentLine,
    amount_minor: int,
    key: str,
    reason: str,
    now: datetime,
) -> bool:
    """A refund that is done once recorded, with no provider to wait for (the demo card,
    money the studio hands back itself); ``key`` names the request, so it counts once."""
    refund = NewRefund(
        payment_id=payment.id,
        method=payment.method,
        provider_ref=f"{payment.method}-refund:{booking.public_id}:{key}",
        status="succeeded",
        amount_minor=amount_minor,
        reason=reason,
    )
    return await record_refund(db, booking.id, refund, now)
