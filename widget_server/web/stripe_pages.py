"""The client's pages around Stripe Checkout: coming back from it, and paying the balance."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..booking.errors import WrongState
from ..payments.base import PaymentUnavailable
from ..payments.stripe import begin_balance
from ..payments.stripe_events import settle_from_return
from .client import _booking, _to, balance_url, payment_unavailable
from .pages import error_page
from .urls import absolute, booking_url

MAX_SESSION_ID = 255


async def checkout_return(request: Request) -> Response:
    """Stripe's success_url. The query string proves nothing: the session is retrieved from
    the API and settled like its webhook would (whichever comes first books)."""
    booking = await _booking(request)
    session_id = request.query_params.get("session_id", "")
    if not session_id.startswith("cs_") or len(session_id) > MAX_SESSION_ID:
        return _to(request, booking)
    settings, db = request.app.state.settings, request.app.state.db
    try:
        outcome = await settle_from_return(
            settings, db, booking, session_id, request.app.state.clock()
        )
    except PaymentUnavailable:
        return error_page(
            request,
            202,
            "Stripe has your payment and we're confirming it with them. "
            "This usually takes a few seconds.",
            studio=booking.studio,
            title="Confirming your payment",
            back_url=str(request.url.path) + "?" + str(request.url.query),
            back_label="Check again",
        )
    if outcome == "processing":
        return error_page(
            request,
            202,
            "Your bank is still processing the payment. We'll book your time as soon as it "
            "clears; this page will show it.",
            studio=booking.studio,
            title="Payment processing",
            back_url=booking_url(request, booking.public_id),
            back_label="See your booking",
        )
    return _to(request, booking)


async def pay_balance(request: Request) -> Response:
    """A second Checkout Session for what is left after the deposit."""
    booking = await _booking(request)
    if balance_url(request, booking) is None:
        return _to(request, booking)
    confirmation = absolute(request, booking_url(request, booking.public_id))
    try:
        url = await begin_balance(
            request.app.state.settings,
            request.app.state.db,
            booking,
            confirmation,
            request.app.state.clock(),
        )
    except WrongState:
        return _to(request, booking)
    except PaymentUnavailable:
        return payment_unavailable(request, booking, booking_url(request, booking.public_id))
    return RedirectResponse(url, status_code=303)
