"""The client's pages behind a booking token: quote, payment, confirmation, calendar."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..booking.bookings import accept_quote
from ..booking.changes import change_options
from ..booking.errors import SlotUnavailable, WrongState
from ..booking.views import BookingView, load_booking_view
from ..mail.ics import booking_ics, google_calendar_link
from ..payments import METHODS, methods_for
from ..payments.base import PaymentMethod, PaymentStart
from ..payments.demo import CardDeclined, InvalidCard, charge_demo_card
from ..payments.offline import reserve_offline
from .change_text import why_not
from .forms import read_form
from .pages import error_page, render
from .public import slot_unavailable
from .urls import absolute, booking_url, mini_url


async def load_booking_or_404(request: Request) -> BookingView:
    """The booking the URL's token names; 404 for a forged token before any query."""
    public_id = request.app.state.tokens.read(request.path_params["token"])
    if public_id is None:
        raise HTTPException(404)
    booking = await load_booking_view(request.app.state.db, public_id)
    if booking is None:
        raise HTTPException(404)
    return booking


# The handlers below use the short name; web/changes.py imports the public one.
_booking = load_booking_or_404


def _to(request: Request, booking: BookingView, page: str = "") -> Response:
    return RedirectResponse(booking_url(request, booking.public_id, page), status_code=303)


def _ended(request: Request, booking: BookingView) -> Response | None:
    """Where to send the client instead, when the booking is past the payment steps."""
    if booking.status in {"booked", "cancelled"} or booking.quote is None:
        return _to(request, booking)
    return None


async def quote_page(request: Request) -> Response:
    booking = await _booking(request)
    if (elsewhere := _ended(request, booking)) is not None:
        return elsewhere
    now = request.app.state.clock()
    if request.method == "POST":
        try:
            await accept_quote(request.app.state.db, booking, now)
        except SlotUnavailable as exc:
            return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
        except WrongState:
            return _to(request, booking)
        methods = methods_for(booking.mini, request.app.state.settings)
        if len(methods) == 1:
            return RedirectResponse(await _begin(request, booking, methods[0]), status_code=303)
        return _to(request, booking, "pay")
    return render(
        request,
        "public/quote.html",
        {"booking": booking, "quote": booking.quote, "lapsed": booking.hold_lapsed(now)},
        studio=booking.studio,
    )


async def _begin(request: Request, booking: BookingView, method: PaymentMethod) -> str:
    start = PaymentStart(
        booking=booking,
        settings=request.app.state.settings,
        method_page_url=booking_url(request, booking.public_id, f"pay/{method.key}"),
        confirmation_url=absolute(request, booking_url(request, booking.public_id)),
        quote_url=absolute(request, booking_url(request, booking.public_id, "quote")),
    )
    return await method.begin(start)


async def choose_payment_page(request: Request) -> Response:
    booking = await _booking(request)
    if (elsewhere := _ended(request, booking)) is not None:
        return elsewhere
    if not booking.quote_accepted:
        return _to(request, booking, "quote")
    methods = methods_for(booking.mini, request.app.state.settings)
    if not methods:
        return error_page(
            request,
            409,
            f"Online payment isn't available for this session right now. "
            f"Please contact {booking.studio.name} to book.",
            studio=booking.studio,
            title="Payment unavailable",
        )
    if request.method == "GET" and len(methods) == 1:
        return RedirectResponse(await _begin(request, booking, methods[0]), status_code=303)
    error = None
    if request.method == "POST":
        chosen = (await read_form(request)).get("method", "")
        method = next((m for m in methods if m.key == chosen), None)
        if method is not None:
            return RedirectResponse(await _begin(request, booking, method), status_code=303)
        error = "Please choose how you'd like to pay."
    return render(
        request,
        "public/pay_choose.html",
        {"booking": booking, "methods": methods, "error": error},
        status_code=422 if error else 200,
        studio=booking.studio,
    )


async def method_page(request: Request) -> Response:
    booking = await _booking(request)
    key = request.path_params["method"]
    method = METHODS.get(key)
    settings = request.app.state.settings
    if method is None or key not in booking.mini.method_keys or not method.enabled(settings):
        raise HTTPException(404)
    if (elsewhere := _ended(request, booking)) is not None:
        return elsewhere
    if not booking.quote_accepted:
        return _to(request, booking, "quote")
    db, now = request.app.state.db, request.app.state.clock()
    error = None
    if request.method == "POST":
        form = await read_form(request)
        try:
            if key == "demo":
                await charge_demo_card(db, booking, form.get("card", ""), now)
            else:
                await reserve_offline(db, booking, now)
            return _to(request, booking)
        except CardDeclined:
            error = "Your card was declined. No money was taken. Try the success card."
        except InvalidCard:
            error = "Please enter one of the test card numbers shown below."
        except SlotUnavailable as exc:
            return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
        except WrongState:
            return _to(request, booking)
    return render(
        request,
        f"public/pay_{key}.html",
        {"booking": booking, "quote": booking.quote, "error": error, "method": method},
        status_code=422 if error else 200,
        studio=booking.studio,
    )


async def confirmation_page(request: Request) -> Response:
    booking = await _booking(request)
    if booking.status == "held":
        return _to(request, booking, "quote")
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
        },
        studio=booking.studio,
    )


async def calendar_file(request: Request) -> Response:
    booking = await _booking(request)
    if booking.status != "booked":
        raise HTTPException(404)
    manage_url = absolute(request, booking_url(request, booking.public_id))
    body = booking_ics(booking, manage_url, request.app.state.clock())
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{booking.reference}.ics"'},
    )
