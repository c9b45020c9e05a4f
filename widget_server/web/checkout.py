"""The checkout: the one page after the details. It shows the quote, the ways to pay (no
choice when there is one), each method's own part (web/ never branches on a method) and
one button worded for what happens; hosted, and inside the widget under ``/embed/``.

Submitting it runs ``STEPS`` in order. A step returns a response to stop there, or adds to
``checkout.errors`` to show the page again with them; a feature that asks the client
something more (a contract, a coupon) adds its block to ``BLOCKS`` and its step to ``STEPS``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..booking.availability import slot_of
from ..booking.bookings import accept_quote, hold_again
from ..booking.contracts import Signature
from ..booking.errors import InvalidDetails, NotFound, SlotUnavailable, WrongState
from ..booking.views import BookingView, load_booking_view
from ..i18n import gettext as _
from ..payments.base import PaymentDeclined, PaymentMethod, PaymentUnavailable
from . import checkout_extras, contract_sign
from .booking_access import booking_or_404, to_booking
from .embed import event_detail
from .forms import read_form
from .pages import render
from .payments import back_where_started, ended, offered_methods, payment_start, payment_unavailable
from .public import not_taking_payments, slot_unavailable
from .urls import booking_url, client_url, in_embed, mini_url, page_url


@dataclass
class Checkout:
    """One submission of the checkout form, as the steps see and change it."""

    request: Request
    booking: BookingView
    methods: list[PaymentMethod]
    form: dict[str, str]
    method: PaymentMethod | None = None
    errors: dict[str, str] = field(default_factory=dict)
    signature: Signature | None = None  # the contract signed (web/contract_sign.py)


Step = Callable[[Checkout], Awaitable[Response | None]]

# Partials shown inside the checkout form, in order, between the quote and the ways to pay.
# Each gets the page's context (booking, quote, errors, values).
BLOCKS: list[str] = [checkout_extras.BLOCK, contract_sign.BLOCK]


async def choose_method(checkout: Checkout) -> Response | None:
    """The method chosen (a path's ``/pay/{key}``, the form's ``method``, or the only one)."""
    methods = checkout.methods
    wanted = checkout.request.path_params.get("method") or checkout.form.get("method", "")
    if not wanted and len(methods) == 1:
        wanted = methods[0].key
    checkout.method = next((m for m in methods if m.key == wanted), None)
    if checkout.method is None:
        checkout.errors["method"] = _("Please choose how you'd like to pay.")
    return None


async def hold_for_payment(checkout: Checkout) -> Response | None:
    """Accept the quote: the hold is renewed for the payment (booking.bookings.accept_quote)."""
    request, booking = checkout.request, checkout.booking
    db = request.app.state.db
    try:
        await accept_quote(db, booking, request.app.state.clock(), checkout.signature)
    except InvalidDetails as exc:  # a contract to sign and no signature
        checkout.errors |= exc.errors
        return None
    except SlotUnavailable as exc:
        return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
    except WrongState:
        return to_booking(request, booking)
    reloaded = await load_booking_view(db, booking.public_id)
    assert reloaded is not None  # bookings are never deleted
    checkout.booking = reloaded
    return None


async def pay(checkout: Checkout) -> Response | None:
    """Pay with the chosen method: done here (the confirmation), or on to a provider's page."""
    request, booking, method = checkout.request, checkout.booking, checkout.method
    assert method is not None  # choose_method stopped the steps otherwise
    try:
        url = await method.submit(payment_start(request, booking, method), checkout.form)
    except PaymentDeclined as exc:
        checkout.errors[method.key] = str(exc)
        return None
    except PaymentUnavailable:
        return payment_unavailable(request, booking, page_url(request, booking.public_id, "quote"))
    except SlotUnavailable as exc:
        return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
    except WrongState:
        return to_booking(request, booking)
    if url is None:
        return to_booking(request, booking, done="booked")
    if in_embed(request):
        # A provider's page refuses to be framed. The checkout's button for such a method
        # posts to the top window; this is for a form sent from the frame all the same.
        return leave_widget(request, booking, method, url)
    return RedirectResponse(url, status_code=303)


# The contract is read first, so a checkout that books with nothing to pay is signed too.
STEPS: list[Step] = [
    contract_sign.sign_contract,
    checkout_extras.apply_extras,
    checkout_extras.book_when_nothing_due,
    choose_method,
    hold_for_payment,
    pay,
]


async def checkout_page(request: Request) -> Response:
    """GET: the checkout. POST: run the steps. Also at the old ``/pay`` and ``/pay/{key}``."""
    booking = await booking_or_404(request)
    if (elsewhere := ended(request, booking)) is not None:
        return elsewhere
    methods = offered_methods(request, booking)
    if not methods and (booking.quote is None or booking.quote.due_now_minor > 0):
        # (Nothing due, e.g. a free mini session's contract to sign: no method needed.)
        return not_taking_payments(request, booking.studio)
    if request.method == "GET":
        cancelled = request.query_params.get("payment") == "cancelled"
        if cancelled and not in_embed(request):
            # Back from a provider's page without paying: to the widget they started in.
            back = back_where_started(request, booking, "unpaid")
            if back is not None:
                return back
        return await show(request, booking, methods)
    checkout = Checkout(request, booking, methods, dict(await read_form(request)))
    for step in STEPS:
        response = await step(checkout)
        if response is not None:
            return response
        if checkout.errors:
            return await show(request, checkout.booking, methods, checkout)
    return to_booking(request, checkout.booking)


async def show(
    request: Request,
    booking: BookingView,
    methods: list[PaymentMethod],
    checkout: Checkout | None = None,
) -> Response:
    now = request.app.state.clock()
    if booking.hold_lapsed(now):
        return await hold_ran_out(request, booking)
    chosen = checkout.method if checkout else None
    wanted = request.path_params.get("method") or request.query_params.get("method", "")
    chosen = chosen or next((m for m in methods if m.key == wanted), None)
    chosen = chosen or (methods[0] if methods else None)
    assert booking.quote is not None  # ended() sent quote-less bookings on
    return render(
        request,
        "public/checkout.html",
        {
            "booking": booking,
            "quote": booking.quote,
            "methods": methods,
            "chosen": chosen,
            "blocks": BLOCKS,
            "values": checkout.form if checkout else {},
            **await contract_sign.contract_context(
                request, booking, values=checkout.form if checkout else None
            ),
            **await checkout_extras.extras_context(
                request, booking, checkout.form if checkout else {}
            ),
            "errors": checkout.errors if checkout else {},
            "action_url": page_url(request, booking.public_id, "quote"),
            # A provider's page opens from the top window: post there, to the hosted page.
            "top_action_url": booking_url(request, booking.public_id, "quote"),
            "payment_cancelled": request.query_params.get("payment") == "cancelled",
            # The host page hears of the new lead once, as the checkout first shows.
            "event_detail": event_detail(booking.mini, booking.starts_at, booking.location.name)
            if request.query_params.get("from") == "details"
            else None,
            "seconds_left": int((booking.expires_at - now).total_seconds())
            if booking.expires_at
            else 0,
        },
        status_code=422 if checkout and checkout.errors else 200,
        studio=booking.studio,
    )


async def hold_ran_out(request: Request, booking: BookingView) -> Response:
    """The hold is over: say so plainly, and offer the same time again if it is still free."""
    now = request.app.state.clock()
    try:
        slot = await slot_of(
            request.app.state.db,
            booking.mini.id,
            booking.mini.min_notice_hours,
            booking.slot_id,
            now,
        )
        still_free = slot.bookable
    except NotFound:
        still_free = False
    mini_link = client_url(request, mini_url(booking.studio.slug, booking.mini.slug))
    return render(
        request,
        "public/hold_expired.html",
        {
            "booking": booking,
            "still_free": still_free,
            "hold_url": page_url(request, booking.public_id, "hold"),
            "mini_link": mini_link,
        },
        status_code=409,
        studio=booking.studio,
    )


async def hold_page(request: Request) -> Response:
    """POST: hold the same time again after the hold ran out, then back to the checkout."""
    booking = await booking_or_404(request)
    if (elsewhere := ended(request, booking)) is not None:
        return elsewhere
    try:
        await hold_again(request.app.state.db, booking, request.app.state.clock())
    except SlotUnavailable as exc:
        return slot_unavailable(request, booking.studio, booking.mini, exc.reason)
    except WrongState:
        return to_booking(request, booking)
    return to_booking(request, booking, "quote")


def leave_widget(
    request: Request, booking: BookingView, method: PaymentMethod, url: str
) -> Response:
    """Inside the widget: a button that opens the provider's page in the top window."""
    return render(
        request,
        "embed/leave.html",
        {"booking": booking, "method": method, "url": url},
        studio=booking.studio,
    )


async def old_payment_page(request: Request) -> Response:
    """``/b/{token}/pay`` and ``/pay/{key}``, the pages before the one checkout: emailed and
    bookmarked links still work (GET: to the checkout; POST: it is the checkout's form)."""
    if request.method == "POST":
        return await checkout_page(request)
    booking = await booking_or_404(request)
    key = request.path_params.get("method")
    return to_booking(request, booking, "quote", **({"method": key} if key else {}))


routes: list[BaseRoute] = [
    Route("/b/{token}/quote", checkout_page, methods=["GET", "POST"]),
    Route("/embed/b/{token}/quote", checkout_page, methods=["GET", "POST"]),
    Route("/b/{token}/hold", hold_page, methods=["POST"]),
    Route("/embed/b/{token}/hold", hold_page, methods=["POST"]),
    Route("/b/{token}/pay", old_payment_page, methods=["GET", "POST"]),
    Route("/b/{token}/pay/{method}", old_payment_page, methods=["GET", "POST"]),
]
