"""The client's pages behind a booking token: quote, confirmation, calendar file, and the
embed's hand-over to the top window. Paying is web/payments.py."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..booking.bookings import accept_quote
from ..booking.changes import change_options
from ..booking.errors import SlotUnavailable, WrongState
from ..booking.unpaid import offline_deadline
from ..booking.views import BookingView
from ..formatting import major_units
from ..formatting import money as format_money
from ..mail.ics import booking_ics, google_calendar_link
from .booking_access import booking_or_404, to_booking
from .change_text import why_not
from .embed import event_detail, origin_allowed, page_origin
from .pages import error_page, render
from .payments import balance_url, ended, go_pay, offered_methods
from .public import not_taking_payments, slot_unavailable
from .urls import absolute, booking_url, mini_url


async def quote_page(request: Request) -> Response:
    booking = await booking_or_404(request)
    if (elsewhere := ended(request, booking)) is not None:
        return elsewhere
    now = request.app.state.clock()
    if request.method == "POST":
        methods = offered_methods(request, booking)
        if not methods:  # before accepting: nothing to pay with, so nothing to renew the hold for
            return not_taking_payments(request, booking.studio)
        try:
            await accept_quote(request.app.state.db, booking, now)
        except SlotUnavailable as exc:
            return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
        except WrongState:
            return to_booking(request, booking)
        if len(methods) == 1:
            return await go_pay(request, booking, methods[0])
        return to_booking(request, booking, "pay")
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
            "event_detail": handoff_detail(booking),
        },
        studio=booking.studio,
    )


def handoff_detail(booking: BookingView) -> str:
    """The host event the handoff page fires: ``booked`` for a free session (with its
    conversion when the studio reports them), else ``lead-created``."""
    detail = json.loads(event_detail(booking.mini, booking.starts_at, booking.location.name))
    if booking.status == "booked" and booking.studio.report_conversions:
        detail.update(
            reference=booking.reference,
            value=major_units(booking.total_minor, booking.currency),
            currency=booking.currency,
        )
    return json.dumps(detail)


def back_to_site(booking: BookingView) -> tuple[str, str] | None:
    """(URL, host name) of the page the client booked from, if that site may still embed us.

    The fragment tells the loader there to fire ``minis:booked`` for the site's analytics.
    """
    origin = page_origin(booking.return_url) if booking.return_url else None
    if booking.status != "booked" or not origin_allowed(booking.studio, origin):
        return None
    fragment = f"#minis-booked={booking.reference}"
    if booking.studio.report_conversions:
        # What the loader there reports to GA4 and the Meta Pixel: the value, nobody's details.
        fragment += f"&minis-value={major_units(booking.total_minor, booking.currency)}"
        fragment += f"&minis-currency={booking.currency}"
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
