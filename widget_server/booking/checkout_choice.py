"""The client's choices on the checkout page: add-on quantities and a coupon code.

``read_choice`` reads the form (hostile values are field errors, never exceptions);
``apply_choice`` checks the choice against what the mini session sells, prices it, and
in ONE transaction (slot locked first, like every change to a booking) gives back what
the booking held, claims the new add-on stock and coupon use, and rewrites the quote.
Any refusal rolls it all back: nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from databases import Database

from ..db.tables import quotes
from ..db.transactions import write_transaction
from ..formatting import slot_label
from ..i18n import gettext as _
from .bookings import secure_spot
from .claims import release_extras
from .coupons import MAX_CODE, Coupon, CouponRefused, claim_coupon, find_coupon, normalise_code
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
    taxes_of,
)
from .holds import lock_slot
from .quotes import Quote
from .views import BookingView

ADDON_FIELD = "addon_"
MAX_QUANTITY_TEXT = 4  # digits: anything longer is over any maximum


def read_choice(form: Mapping[str, str]) -> tuple[dict[int, int], str]:
    """Add-on quantities (``addon_<id>`` fields) and the coupon code, as typed.

    A quantity that isn't a whole number is an InvalidDetails; ranges are checked
    against the add-ons themselves by ``apply_choice``.
    """
    picked: dict[int, int] = {}
    errors: dict[str, str] = {}
    for name, raw in form.items():
        if not name.startswith(ADDON_FIELD):
            continue
        key = name.removeprefix(ADDON_FIELD)
        text = raw.strip() or "0"
        if not key.isascii() or not key.isdigit() or len(key) > 9:
            errors["addons"] = _("That add-on isn't offered for this session.")
            continue
        sign = -1 if text.startswith("-") else 1
        digits = text.removeprefix("-")
        if not digits.isascii() or not digits.isdigit() or len(digits) > MAX_QUANTITY_TEXT:
            errors[name] = _("Enter a whole number.")
            continue
        picked[int(key)] = sign * int(digits)
    code = form.get("coupon", "")
    if len(code) > MAX_CODE * 2:
        errors["coupon"] = _("We don't know that code. Check the spelling?")
    if errors:
        raise InvalidDetails(errors)
    return picked, code


def unchanged(quote: Quote, picked: dict[int, int], code: str) -> bool:
    return {k: v for k, v in picked.items() if v} == quote.addons and normalise_code(
        code
    ) == quote.coupon_code


async def apply_choice(
    db: Database, booking: BookingView, picked_raw: dict[int, int], code: str, now: datetime
) -> Quote:
    """Price the client's choice and claim it with the booking, or raise InvalidDetails
    (field -> why) and store nothing. WrongState when the booking is no longer held."""
    assert booking.quote is not None
    if booking.status not in {"held", "expired"}:
        raise WrongState(booking.status)
    offered = await addons_of(db, booking.mini.id)
    picked = check_choice(
        booking.mini, offered, Choice(party_size=booking.quote.party_size, addons=picked_raw)
    )
    coupon: Coupon | None = None
    if normalise_code(code):
        try:
            coupon = await find_coupon(
                db,
                booking.studio.id,
                booking.mini.id,
                code,
                booking.client_email,
                now,
                booking_id=booking.id,
            )
        except CouponRefused as exc:
            raise InvalidDetails({"coupon": exc.message}) from exc
    taxes = await taxes_of(db, booking.studio.id, booking.mini.id)
    quote = priced_quote(
        booking.mini,
        booking.currency,
        slot_label(booking.starts_at, booking.timezone),
        party_size=booking.quote.party_size,
        picked=picked,
        offered=offered,
        taxes=taxes,
        coupon=coupon.terms if coupon else None,
    )
    hold_until = booking.expires_at
    if hold_until is None or booking.hold_lapsed(now):
        hold_until = now + timedelta(minutes=booking.mini.hold_minutes)
    try:
        async with write_transaction(db):
            await lock_slot(db, booking.slot_id)
            # Before a lapsed hold takes its old add-ons again: all of them, in id order.
            await lock_addons(db, booking.id, {**booking.quote.addons, **picked})
            if await secure_spot(db, booking.id, hold_until, now) != "held":
                raise WrongState("booked")
            await release_extras(db, booking.id)
            await claim_addons(db, booking.id, booking.mini.id, picked)
            if coupon is not None and quote.coupon_code:
                await claim_coupon(db, coupon, booking.id, booking.client_email)
            await db.execute(
                quotes.update()
                .where(quotes.c.booking_id == booking.id)
                .values(
                    items=quote.items_json(),
                    total_minor=quote.total_minor,
                    due_now_minor=quote.due_now_minor,
                    coupon_code=quote.coupon_code,
                )
            )
            await record_event(
                db,
                booking.id,
                "quote_changed",
                now,
                total_minor=quote.total_minor,
                addons=",".join(f"{k}x{v}" for k, v in sorted(picked.items())),
                coupon=quote.coupon_code,
            )
    except AddonsGone as exc:
        raise InvalidDetails({"addons": f"{exc.name} just sold out."}) from exc
    except CouponRefused as exc:
        raise InvalidDetails({"coupon": exc.message}) from exc
    return quote
