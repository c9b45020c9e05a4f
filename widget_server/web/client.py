"""The client's pages behind a booking token: quote, payment, confirmation, calendar."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..booking.bookings import accept_quote
from ..booking.changes import change_options
from ..booking.errors import SlotUnavailable, WrongState
from ..booking.views import BookingView, load_booking_view
from ..formatting import money as format_money
from ..mail.ics import booking_ics, google_calendar_link
from ..payments import METHODS, methods_for
from ..payments.base import PaymentMethod, PaymentStart, PaymentUnavailable
from ..payments.demo import CardDeclined, InvalidCard, charge_demo_card
from ..payments.offline import reserve_offline
from ..payments.stripe import KEY as STRIPE_KEY
from .change_text import why_not
from .embed import event_detail, origin_allowed, page_origin
from .forms import read_form
from .pages import error_page, render
from .public import not_taking_payments, slot_unavailable
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
        methods = methods_for(booking.studio, booking.mini, request.app.state.settings)
        if not methods:  # before accepting: nothing to pay with, so nothing to renew the hold for
            return not_taking_payments(request, booking.studio)
        try:
            await accept_quote(request.app.state.db, booking, now)
        except SlotUnavailable as exc:
            return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
        except WrongState:
            return _to(request, booking)
        if len(methods) == 1:
            return await _go_pay(request, booking, methods[0])
        return _to(request, booking, "pay")
    return render(
        request,
        "public/quote.html",
        {
            "booking": booking,
            "quote": booking.quote,
            "lapsed": booking.hold_lapsed(now),
            "payment_cancelled": request.query_params.get("payment") == "cancelled",
        },
        studio=booking.studio,
    )


async def _begin(request: Request, booking: BookingView, method: PaymentMethod) -> str:
    start = PaymentStart(
        booking=booking,
        settings=request.app.state.settings,
        db=request.app.state.db,
        now=request.app.state.clock(),
        method_page_url=booking_url(request, booking.public_id, f"pay/{method.key}"),
        confirmation_url=absolute(request, booking_url(request, booking.public_id)),
        quote_url=absolute(request, booking_url(request, booking.public_id, "quote")),
    )
    return await method.begin(start)


async def _go_pay(request: Request, booking: BookingView, method: PaymentMethod) -> Response:
    """Send the client on to pay with ``method``; a provider that can't be reached gets a
    friendly page with a way to try again (which reuses the same idempotency key)."""
    try:
        return RedirectResponse(await _begin(request, booking, method), status_code=303)
    except SlotUnavailable as exc:
        return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
    except WrongState:
        return _to(request, booking)
    except PaymentUnavailable:
        return payment_unavailable(
            request, booking, booking_url(request, booking.public_id, f"pay/{method.key}")
        )


def payment_unavailable(request: Request, booking: BookingView, retry_url: str) -> Response:
    fresh = booking.status == "held"
    held = " Your time is still held for you." if fresh else ""
    return error_page(
        request,
        503,
        "We couldn't reach the card payment service just now. You have not been charged."
        f"{held} Please try again in a moment.",
        studio=booking.studio,
        title="Payment didn't start",
        back_url=retry_url,
        back_label="Try again",
    )


async def choose_payment_page(request: Request) -> Response:
    booking = await _booking(request)
    if (elsewhere := _ended(request, booking)) is not None:
        return elsewhere
    if not booking.quote_accepted:
        return _to(request, booking, "quote")
    methods = methods_for(booking.studio, booking.mini, request.app.state.settings)
    if not methods:
        return not_taking_payments(request, booking.studio)
    if request.method == "GET" and len(methods) == 1:
        return await _go_pay(request, booking, methods[0])
    error = None
    if request.method == "POST":
        chosen = (await read_form(request)).get("method", "")
        method = next((m for m in methods if m.key == chosen), None)
        if method is not None:
            return await _go_pay(request, booking, method)
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
    if method is None or method not in methods_for(booking.studio, booking.mini, settings):
        raise HTTPException(404)
    if (elsewhere := _ended(request, booking)) is not None:
        return elsewhere
    if not booking.quote_accepted:
        return _to(request, booking, "quote")
    db, now = request.app.state.db, request.app.state.clock()
    if key == STRIPE_KEY and request.method == "POST":
        return await _go_pay(request, booking, method)
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
        {
            "booking": booking,
            "quote": booking.quote,
            "error": error,
            "method": method,
            # Methods this deployment has on (a session may list one that is off here).
            "other_methods": len(methods_for(booking.studio, booking.mini, settings)) > 1,
        },
        status_code=422 if error else 200,
        studio=booking.studio,
    )


async def confirmation_page(request: Request) -> Response:
    booking = await _booking(request)
    if booking.status == "held":
        return _to(request, booking, "quote")
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
        },
        studio=booking.studio,
    )


async def handoff_page(request: Request) -> Response:
    """In the iframe, after the details: hand the client over to the top-level quote page."""
    booking = await _booking(request)
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


def balance_url(request: Request, booking: BookingView) -> str | None:
    """Where the client pays the balance online, when card payments are on for this session.

    Not after a refund: money the studio gave back is not a balance to collect again.
    """
    if booking.status != "booked" or booking.balance_minor <= 0 or booking.refunded_minor:
        return None
    methods = methods_for(booking.studio, booking.mini, request.app.state.settings)
    if not any(m.key == STRIPE_KEY for m in methods):
        return None
    return booking_url(request, booking.public_id, "balance")


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
