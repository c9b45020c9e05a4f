"""A booking's claims beyond its spot: add-on stock and a coupon's use.

They live and die with the spot: taken in the transaction that writes the client's
choice (checkout_choice.py), given back in the one that lets the spot go (a lapsed or
replaced hold, a cancellation), and taken again from the quote when a lapsed hold is
picked up (``reclaim_extras``). Every caller holds the booking's slot lock first.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from databases import Database

from ..db.tables import bookings, leads, mini_sessions, quotes, slots
from .coupons import CouponRefused, claim_coupon, find_coupon, release_coupon
from .errors import SlotUnavailable
from .extras import AddonsGone, claim_addons, release_addons
from .quotes import QUOTE_COLUMNS, quote_from_row


async def release_extras(db: Database, booking_id: int) -> None:
    await release_addons(db, booking_id)
    await release_coupon(db, booking_id)


async def reclaim_extras(db: Database, booking_id: int, now: datetime) -> None:
    """Take again what the booking's quote sold (add-ons, the coupon's use) after its hold
    lapsed and gave them back; SlotUnavailable("extras") when one of them is gone now."""
    row = await db.fetch_one(
        sa.select(quotes, leads.c.email, slots.c.mini_session_id, mini_sessions.c.studio_id)
        .select_from(
            bookings.join(quotes, quotes.c.booking_id == bookings.c.id)
            .join(leads, leads.c.id == bookings.c.lead_id)
            .join(slots, slots.c.id == bookings.c.slot_id)
            .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
        )
        .where(bookings.c.id == booking_id)
    )
    if row is None:
        return
    quote = quote_from_row({k: row[k] for k in QUOTE_COLUMNS})
    try:
        if quote.addons:
            await claim_addons(db, booking_id, row["mini_session_id"], quote.addons)
        if quote.coupon_code:
            coupon = await find_coupon(
                db,
                row["studio_id"],
                row["mini_session_id"],
                quote.coupon_code,
                row["email"],
                now,
                booking_id=booking_id,
            )
            await claim_coupon(db, coupon, booking_id, row["email"])
    except (AddonsGone, CouponRefused) as exc:
        raise SlotUnavailable("extras") from exc
