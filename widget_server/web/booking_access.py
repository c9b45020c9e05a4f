"""The booking a client's URL names: its signed token is their key to it."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..booking.views import BookingView, load_booking_view
from . import language
from .urls import page_url


async def booking_or_404(request: Request) -> BookingView:
    """The booking the URL's token names; 404 for a forged token before any query."""
    public_id = request.app.state.tokens.read(request.path_params["token"])
    if public_id is None:
        raise HTTPException(404)
    booking = await load_booking_view(request.app.state.db, public_id)
    if booking is None:
        raise HTTPException(404)
    language.for_booking(request, booking.client_language, booking.studio)
    return booking


def to_booking(request: Request, booking: BookingView, page: str = "", **params: str) -> Response:
    """303 to one of the booking's pages (its confirmation by default), inside the widget
    when the client is in it."""
    return RedirectResponse(page_url(request, booking.public_id, page, **params), status_code=303)
