"""The checkout's add-ons and coupon code: its block's context, and its steps.

``apply_extras`` runs first on every submission: a changed choice is claimed with the
booking (booking/checkout_choice.py, one transaction) before anything is paid, and
"Apply" / "Update total" (``action=update``) show the checkout again with the new
total. ``book_when_nothing_due`` books a hold whose code took the whole price off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..booking.bookings import accept_quote, book
from ..booking.checkout_choice import apply_choice, read_choice, unchanged
from ..booking.coupons import offers_coupons
from ..booking.errors import InvalidDetails, SlotUnavailable, WrongState
from ..booking.extras import addons_of
from ..booking.views import BookingView, load_booking_view
from .booking_access import to_booking
from .public import slot_unavailable

if TYPE_CHECKING:
    from .checkout import Checkout

BLOCK = "partials/checkout_extras.html"


async def extras_context(
    request: Request, booking: BookingView, form: dict[str, str]
) -> dict[str, Any]:
    """What the block shows: the add-ons with the quantities chosen (or typed), the code."""
    db, now = request.app.state.db, request.app.state.clock()
    quote = booking.quote
    chosen = quote.addons if quote else {}
    offered = await addons_of(db, booking.mini.id)
    code = quote.coupon_code if quote else ""
    return {
        "addons": offered,
        "addon_values": {
            a.id: form.get(f"addon_{a.id}", str(chosen.get(a.id, 0)))[:6] for a in offered
        },
        "coupon_value": form.get("coupon", code)[:80],
        "offer_coupon": bool(code)
        or await offers_coupons(db, booking.studio.id, booking.mini.id, now),
    }


async def _reload(request: Request, booking: BookingView) -> BookingView:
    fresh = await load_booking_view(request.app.state.db, booking.public_id)
    assert fresh is not None  # bookings are never deleted
    return fresh


async def apply_extras(checkout: Checkout) -> Response | None:
    """Claim the add-ons and code chosen when they differ from the quote's."""
    request, booking, form = checkout.request, checkout.booking, checkout.form
    try:
        picked, code = read_choice(form)
        quote = booking.quote
        # A form without the block's fields (an old /pay link, say) keeps the quote's choice.
        if quote is not None and not any(k.startswith("addon_") for k in form):
            picked = dict(quote.addons)
        if quote is not None and "coupon" not in form:
            code = quote.coupon_code
        if quote is not None and not unchanged(quote, picked, code):
            await apply_choice(
                request.app.state.db, booking, picked, code, request.app.state.clock()
            )
            checkout.booking = await _reload(request, booking)
    except InvalidDetails as exc:
        checkout.errors.update(exc.errors)
        return None
    except SlotUnavailable as exc:
        return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
    except WrongState:
        return to_booking(request, booking)
    if form.get("action") == "update":  # "Apply" / "Update total": the new quote, no payment
        return to_booking(request, checkout.booking, "quote")
    return None


async def book_when_nothing_due(checkout: Checkout) -> Response | None:
    """A code took the whole price off: booked now, nothing to pay."""
    request, booking = checkout.request, checkout.booking
    if booking.quote is None or booking.quote.due_now_minor > 0:
        return None
    db, now = request.app.state.db, request.app.state.clock()
    try:
        await accept_quote(db, booking, now, checkout.signature)
        await book(db, await _reload(request, booking), None, now)
    except InvalidDetails as exc:  # a contract to sign and no signature
        checkout.errors |= exc.errors
        return None
    except SlotUnavailable as exc:
        return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
    except WrongState:
        return to_booking(request, booking)
    return to_booking(request, booking, done="booked")
