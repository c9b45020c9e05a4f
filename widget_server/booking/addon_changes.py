"""The studio changes a booking's add-ons (the client asked on the phone, say).

Same claims as the checkout (stock taken or given back under the slot's lock, the
booking's code applied again to the new lines), in one transaction; the quote is
repriced and the balance follows: what was paid stays paid. A quantity over an add-on's
maximum is allowed here only up to the maximum too, and stock is never oversold.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from databases import Database

from ..db.rows import fetch_one_as
from ..db.tables import coupons, quotes
from ..db.transactions import write_transaction
from ..formatting import slot_label
from .coupons import Coupon
from .errors import InvalidDetails, WrongState
from .events import record_event
from .extras import (
    AddonsGone,
    Choice,
    addons_of,
    check_choice,
    claim_addons,
    lock_addons,
    priced_quote,
    release_addons,
    taxes_of,
)
from .holds import lock_slot
from .quotes import Quote
from .views import BookingView


async def adjust_addons(
    db: Database, booking: BookingView, picked_raw: dict[int, int], now: datetime
) -> Quote:
    """Reprice ``booking`` with these add-on quantities, or InvalidDetails (nothing stored).
    WrongState for a booking without a quote or no longer held or booked."""
    if booking.quote is None or booking.status not in {"held", "booked"}:
        raise WrongState(booking.status)
    offered = await addons_of(db, booking.mini.id)
    picked = check_choice(
        booking.mini, offered, Choice(party_size=booking.quote.party_size, addons=picked_raw)
    )
    coupon = None
    if booking.quote.coupon_code:
        # The booking holds its use already: its terms apply whatever the code's dates say now.
        coupon = await fetch_one_as(
            db,
            sa.select(coupons).where(
                coupons.c.studio_id == booking.studio.id,
                coupons.c.code == booking.quote.coupon_code,
            ),
            Coupon,
        )
    quote = priced_quote(
        booking.mini,
        booking.currency,
        slot_label(booking.starts_at, booking.timezone),
        party_size=booking.quote.party_size,
        picked=picked,
        offered=offered,
        taxes=await taxes_of(db, booking.studio.id, booking.mini.id),
        coupon=coupon.terms if coupon else None,
    )
    # What was due to book stays what it was (it may be paid); never more than the total.
    due_now = min(booking.quote.due_now_minor, quote.total_minor)
    try:
        async with write_transaction(db):
            await lock_slot(db, booking.slot_id)
            await lock_addons(db, booking.id, picked)
            await release_addons(db, booking.id)
            await claim_addons(db, booking.id, booking.mini.id, picked)
            await db.execute(
                quotes.update()
                .where(quotes.c.booking_id == booking.id)
                .values(
                    items=quote.items_json(),
                    total_minor=quote.total_minor,
                    due_now_minor=due_now,
                )
            )
            await record_event(
                db,
                booking.id,
                "addons_adjusted",
                now,
                total_minor=quote.total_minor,
                addons=",".join(f"{k}x{v}" for k, v in sorted(picked.items())),
            )
    except AddonsGone as exc:
        raise InvalidDetails({"addons": f"{exc.name} is sold out."}) from exc
    return quote
