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
