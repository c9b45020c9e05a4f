"""The photographer received an offline payment (bank transfer, cash): mark it paid.

Idempotent by construction: the conditional UPDATE only moves a *pending* offline
payment of this booking, so a double submit, two tabs or a replayed form change
nothing the second time and log no second event.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from databases import Database

from ..booking.events import record_event
from ..db.rows import fetch_one_as
from ..db.tables import payments
from ..db.transactions import write_transaction


class _Received(NamedTuple):
    amount_minor: int
    currency: str


async def mark_offline_paid(db: Database, booking_id: int, payment_id: int, now: datetime) -> bool:
    """Flip the booking's pending offline payment to succeeded; False when nothing changed.

    The caller has checked that the booking belongs to the viewer's studio; the
    payment must belong to that booking (checked here, in the same UPDATE).
    """
    async with write_transaction(db):
        row = await fetch_one_as(
            db,
            payments.update()
            .where(
                payments.c.id == payment_id,
                payments.c.booking_id == booking_id,
                payments.c.method == "offline",
                payments.c.status == "pending",
            )
            .values(status="succeeded")
            .returning(payments.c.amount_minor, payments.c.currency),
            _Received,
        )
        if row is None:
            return False
        await record_event(
            db,
            booking_id,
            "offline_payment_received",
            now,
            payment_id=payment_id,
            amount_minor=row.amount_minor,
            currency=row.currency,
            by="studio",
        )
    return True
