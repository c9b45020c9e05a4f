"""The client's pages behind a booking token: quote, confirmation, calendar file, and the
embed's hand-over to the top window. Paying is web/payments.py."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..booking.bookings import accept_quote, book
from ..booking.changes import change_options
from ..booking.checkout_choice import apply_choice, read_choice, unchanged
from ..booking.coupons import offers_coupons
from ..booking.errors import InvalidDetails, SlotUnavailable, WrongState
from ..booking.extras import Addon, addons_of
from ..booking.unpaid import offline_deadline
from ..booking.views import BookingView, load_booking_view
from ..formatting import money as format_money
from ..mail.ics import booking_ics, google_calendar_link
from .booking_access import booking_or_404, to_booking
from .change_text import why_not
from .embed import event_detail, origin_allowed, page_origin
from .forms import read_form
from .pages import error_page, render
from .payments import balance_url, ended, go_pay, offered_methods
from .public import not_taking_payments, slot_unavailable
from .urls import absolute, booking_url, mini_url


async def quote_page(request: Request) -> Response:
    booking = await booking_or_404(request)
    if (elsewhere := ended(request, booking)) is not None:
        return elsewhere
    now = request.app.state.clock()
    db = request.app.state.db
    offered = await addons_of(db, booking.mini.id)
    if request.method == "POST":
        methods = offered_methods(request, booking)
        if not methods:  # before accepting: nothing to pay with, so nothing to renew the hold for
            return not_taking_payments(request, booking.studio)
        form = await read_form(request)
        try:
            booking = await _apply_choice(request, booking, form, now)
        except InvalidDetails as exc:
            return await _quote_page(request, booking, offered, form, exc.errors)
        except SlotUnavailable as exc:
            return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
        except WrongState:
            return to_booking(request, booking)
        if form.get("action") == "update":  # "Update total": show the new quote, no payment yet
            return to_booking(request, booking, "quote")
        try:
            await accept_quote(db, booking, now)
            if booking.quote is not None and booking.quote.due_now_minor == 0:
                # A code took the whole price off: nothing to pay, booked now.
                await book(db, booking, None, now)
                return to_booking(request, booking)
        except SlotUnavailable as exc:
            return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
        except WrongState:
            return to_booking(request, booking)
        if len(methods) == 1:
            return await go_pay(request, booking, methods[0])
        return to_booking(request, booking, "pay")
    return await _quote_page(request, booking, offered, None, {})


async def _apply_choice(
    request: Request, booking: BookingView, form: dict[str, str], now: datetime
) -> BookingView:
    """Claim the add-ons and code chosen on the page when they differ from the quote's;
    the booking as it is now."""
    picked, code = read_choice(form)
    if booking.quote is None or unchanged(booking.quote, picked, code):
        return booking
    await apply_choice(request.app.state.db, booking, picked, code, now)
    fresh = await load_booking_view(request.app.state.db, booking.public_id)
    assert fresh is not None  # it was there a moment ago; bookings are never deleted
    return fresh


async def _quote_page(
    request: Request,
    booking: BookingView,
    offered: list[Addon],
    form: dict[str, str] | None,
    errors: dict[str, str],
) -> Response:
    now = request.app.state.clock()
    quote = booking.quote
    chosen = quote.addons if quote else {}
    coupons = bool(quote and quote.coupon_code) or await offers_coupons(
        request.app.state.db, booking.studio.id, booking.mini.id, now
    )
    return render(
        request,
        "public/quote.html",
        {
            "booking": booking,
            "quote": quote,
            "lapsed": booking.hold_lapsed(now),
            "payment_cancelled": request.query_params.get("payment") == "cancelled",
            "addons": offered,
            "chosen": {
                a.id: (form or {}).get(f"addon_{a.id}", str(chosen.get(a.id, 0)))[:6]
                for a in offered
            },
            "coupon_value": (form or {}).get("coupon", quote.coupon_code if quote else "")[:80],
            "offer_coupon": coupons,
            "errors": errors,
        },
        status_code=422 if errors else 200,
        studio=booking.studio,
    )


async def confirmation_page(request: Request) -> Response:
    booking = await booking_or_404(request)
    if booking.status == "held":
        return to_booking(request, booking, "quote")
    if booking.status == "expired" and any(p.status == "succeeded" for p in booking.payments):
        return paid_after_slot_taken(request, booking)
    if booking.status == "expired":
        return error_page(
            request,
            409,
            "We held this time for you, but the hold ran out before payment. "
            "If the time is still free you can pick up where you left off.",
            studio=booking.studio,
            title="Your hold expired",
            back_url=booking_url(request, booking.public_id, "quote"),
            back_label="Continue booking",
        )
    manage_url = absolute(request, booking_url(request, booking.public_id))
    options = change_options(booking, request.app.state.clock())
    done = request.query_params.get("done")
    return render(
        request,
        "public/confirmation.html",
        {
            "booking": booking,
            "options": options,
            "reschedule_note": why_not(booking, options, options.reschedule_reason, "reschedule"),
            "cancel_note": why_not(booking, options, options.cancel_reason, "cancel"),
            "done": done if done in {"rescheduled", "cancelled"} else None,
            "reschedule_url": booking_url(request, booking.public_id, "reschedule"),
            "cancel_url": booking_url(request, booking.public_id, "cancel"),
            "google_url": google_calendar_link(booking, manage_url),
            "ics_url": booking_url(request, booking.public_id, "calendar.ics"),
            "mini_url": mini_url(booking.studio.slug, booking.mini.slug),
            "back_to_site": back_to_site(booking),
            "pay_balance_url": balance_url(request, booking),
            "pay_by": offline_deadline(booking),
        },
        studio=booking.studio,
    )


async def handoff_page(request: Request) -> Response:
    """In the iframe, after the details: hand the client over to the top-level quote page."""
    booking = await booking_or_404(request)
    page = "quote" if booking.status in {"held", "expired"} else ""
    return render(
        request,
        "embed/handoff.html",
        {
            "booking": booking,
            "next_url": booking_url(request, booking.public_id, page),
            "event_detail": event_detail(booking.mini, booking.starts_at, booking.location.name),
        },
        studio=booking.studio,
    )


def back_to_site(booking: BookingView) -> tuple[str, str] | None:
    """(URL, host name) of the page the client booked from, if that site may still embed us.

    The fragment tells the loader there to fire ``minis:booked`` for the site's analytics.
    """
    origin = page_origin(booking.return_url) if booking.return_url else None
    if booking.status != "booked" or not origin_allowed(booking.studio, origin):
        return None
    fragment = f"#minis-booked={booking.reference}"
    return booking.return_url.split("#")[0] + fragment, urlsplit(booking.return_url).hostname or ""


async def calendar_file(request: Request) -> Response:
    booking = await booking_or_404(request)
    if booking.status != "booked":
        raise HTTPException(404)
    manage_url = absolute(request, booking_url(request, booking.public_id))
    body = booking_ics(booking, manage_url, request.app.state.clock())
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{booking.reference}.ics"'},
    )


def paid_after_slot_taken(request: Request, booking: BookingView) -> Response:
    """The client paid after their hold ran out and someone else took the time: say so plainly."""
    paid = sum(p.amount_minor for p in booking.payments if p.status == "succeeded")
    amount = format_money(paid, booking.currency)
    done = booking.refunded_minor >= paid
    refund = (
        f"We refunded your payment of {amount} in full"
        if done
        else f"Your payment of {amount} is being refunded in full"
    )
    return error_page(
        request,
        409,
        f"Your hold ran out while you were paying, and someone else booked this time meanwhile. "
        f"{refund}; it reaches your card within 5 to 10 business days. "
        f"Please choose another time.",
        studio=booking.studio,
        title="This time was taken while you paid",
        back_url=mini_url(booking.studio.slug, booking.mini.slug),
        back_label="Choose another time",
    )


routes: list[BaseRoute] = [
    Route("/embed/b/{token}", handoff_page),
    Route("/b/{token}", confirmation_page),
    Route("/b/{token}/quote", quote_page, methods=["GET", "POST"]),
    Route("/b/{token}/calendar.ics", calendar_file),
]
