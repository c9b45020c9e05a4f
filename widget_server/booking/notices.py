"""Which emails a booking change sends, queued in the change's own transaction.

Each change writes its emails to the outbox (db/outbox.py) inside the
transaction that makes the change: the email exists if and only if the change
committed. Each carries the booking's facts as they are in that transaction
(email_facts.py), so it says what was true when it was written, however late it
goes. One to the client, one to the photographer (studio.notify_email), except for
changes the photographer made themselves (``studio_copy=False``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from databases import Database

from ..db.outbox import enqueue
from ..db.rows import fetch_one_as
from ..db.tables import bookings, leads, studios
from .email_facts import FACTS_KEY, take_facts

# change: (client's email kind, photographer's email kind)
NOTICES = {
    "booked": ("booked", "new_booking"),
    "rescheduled": ("rescheduled", "rescheduled_studio"),
    "cancelled": ("cancelled", "cancelled_studio"),
}


class _Recipients(NamedTuple):
    email: str  # the client's
    studio_id: int
    notify_email: str


async def queue_notices(
    db: Database,
    booking_id: int,
    change: str,
    now: datetime,
    *,
    studio_copy: bool = True,
    **payload: Any,
) -> None:
    """Queue the client's (and the photographer's) email about ``change``, inside its
    transaction."""
    row = await fetch_one_as(
        db,
        sa.select(leads.c.email, studios.c.id.label("studio_id"), studios.c.notify_email)
        .select_from(bookings)
        .join(leads, leads.c.id == bookings.c.lead_id)
        .join(studios, studios.c.id == leads.c.studio_id)
        .where(bookings.c.id == booking_id),
        _Recipients,
    )
    assert row is not None, booking_id
    client_kind, studio_kind = NOTICES[change]
    recipients = [(client_kind, row.email)]
    if studio_copy:
        recipients.append((studio_kind, row.notify_email))
    facts = await take_facts(db, booking_id, old_slot_id=payload.get("old_slot_id"))
    for kind, recipient in recipients:
        await enqueue(
            db,
            studio_id=row.studio_id,
            booking_id=booking_id,
            kind=kind,
            recipient=recipient,
            payload={**payload, FACTS_KEY: facts},
            now=now,
        )
