"""The client's payments, for every method through the one PaymentMethod interface: what
the checkout (web/checkout.py) pays with, coming back from a provider's page, and paying
the balance online."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..booking.errors import WrongState
from ..booking.views import BookingView, load_booking_view
from ..i18n import gettext as _
from ..payments.base import PaymentMethod, PaymentStart, PaymentUnavailable
from .booking_access import booking_or_404, to_booking
from .embed import origin_allowed, page_origin
from .pages import error_page
from .urls import absolute, booking_url


def offered_methods(request: Request, booking: BookingView) -> list[PaymentMethod]:
    return request.app.state.payments.offered(booking.studio, booking.mini)


def ended(request: Request, booking: BookingView) -> Response | None:
    """Where to send the client instead, when the booking is past the payment steps."""
    if booking.status in {"booked", "cancelled"} or booking.quote is None:
        return to_booking(request, booking)
    return None


def payment_start(request: Request, booking: BookingView, method: PaymentMethod) -> PaymentStart:
    return PaymentStart(
        db=request.app.state.db,
        booking=booking,
        now=request.app.state.clock(),
        method_page_url=booking_url(request, booking.public_id, f"quote?method={method.key}"),
        confirmation_url=absolute(request, booking_url(request, booking.public_id)),
        quote_url=absolute(request, booking_url(request, booking.public_id, "quote")),
    )


def payment_unavailable(request: Request, booking: BookingView, retry_url: str) -> Response:
    if booking.status == "held":
        message = _(
            "We couldn't reach the card payment service just now. You have not been charged. "
            "Your time is still held for you. Please try again in a moment."
        )
    else:
        message = _(
            "We couldn't reach the card payment service just now. You have not been charged. "
            "Please try again in a moment."
        )
    return error_page(
        request,
        503,
        message,
        studio=booking.studio,
        title=_("Payment didn't start"),
        back_url=retry_url,
        back_label=_("Try again"),
    )


async def return_page(request: Request) -> Response:
    """Where a provider sends the client back after paying: the method asks the provider
    before anything is believed (its notification books too, whichever comes first)."""
    booking = await booking_or_404(request)
    method = request.app.state.payments.get(request.path_params["method"])
    if method is None:
        raise HTTPException(404)
    try:
        outcome = await method.confirm_return(
            payment_start(request, booking, method), request.query_params
        )
    except PaymentUnavailable:
        return error_page(
            request,
            202,
            _(
                "%(provider)s has your payment and we're confirming it with them. "
                "This usually takes a few seconds."
            )
            % {"provider": method.provider_name},
            studio=booking.studio,
            title=_("Confirming your payment"),
            back_url=str(request.url.path) + "?" + str(request.url.query),
            back_label=_("Check again"),
        )
    if outcome == "processing":
        return error_page(
            request,
            202,
            _(
                "Your bank is still processing the payment. We'll book your time as soon as "
                "it clears; this page will show it."
            ),
            studio=booking.studio,
            title=_("Payment processing"),
            back_url=booking_url(request, booking.public_id),
            back_label=_("See your booking"),
        )
    settled = await load_booking_view(request.app.state.db, booking.public_id)
    if settled is not None and settled.status == "booked":
        return back_where_started(request, settled, "booked") or to_booking(request, settled)
    return to_booking(request, booking)


def back_where_started(request: Request, booking: BookingView, what: str) -> Response | None:
    """Back from a provider's page to the site the client booked on, if they started in its
    widget: the loader there opens this booking in the widget again (``#minis-<what>=<token>``,
    ``what`` being "booked" or "unpaid"), where the page fires ``minis:booked``."""
    if not booking.return_url or not origin_allowed(
        booking.studio, page_origin(booking.return_url)
    ):
        return None
    token = request.app.state.tokens.make(booking.public_id)
    url = booking.return_url.split("#")[0] + f"#minis-{what}={token}"
    return RedirectResponse(url, status_code=303)


def balance_method(request: Request, booking: BookingView) -> PaymentMethod | None:
    """The method a booked client pays their balance online with, if any.

    Not after a refund: money the studio gave back is not a balance to collect again.
    """
    if booking.status != "booked" or booking.balance_minor <= 0 or booking.refunded_minor:
        return None
    return next((m for m in offered_methods(request, booking) if m.collects_balance), None)


def balance_url(request: Request, booking: BookingView) -> str | None:
    if balance_method(request, booking) is None:
        return None
    return booking_url(request, booking.public_id, "balance")


async def pay_balance(request: Request) -> Response:
    """POST: pay what is left after the deposit (the booking stays booked either way)."""
    booking = await booking_or_404(request)
    method = balance_method(request, booking)
    if method is None:
        return to_booking(request, booking)
    try:
        url = await method.begin_balance(payment_start(request, booking, method))
    except WrongState:
        return to_booking(request, booking)
    except PaymentUnavailable:
        return payment_unavailable(request, booking, booking_url(request, booking.public_id))
    return RedirectResponse(url, status_code=303)


routes: list[BaseRoute] = [
    Route("/b/{token}/{method}/return", return_page),
    Route("/b/{token}/balance", pay_balance, methods=["POST"]),
]
