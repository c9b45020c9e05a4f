"""The client's two self-service changes behind their booking token: reschedule and cancel.

GET pages only show; every change is a POST. The domain (booking.reschedule,
booking.cancel) checks the rules again, so a forged or replayed form gets a
friendly refusal and changes nothing.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..booking.availability import slot_of
from ..booking.cancel import clean_message, refund_plan
from ..booking.changes import change_options
from ..booking.errors import ChangeNotAllowed, InvalidDetails, NotFound, SlotUnavailable, WrongState
from ..booking.offers import mini_session_offer
from ..booking.places import location_of_slot
from ..booking.reschedule import check_can_move, reschedule
from ..booking.views import BookingView
from ..i18n import gettext as _
from ..payments.cancellation import cancel_and_refund
from .booking_access import booking_or_404
from .change_text import why_not
from .forms import parse_id, read_form
from .pages import error_page, render
from .public import UNAVAILABLE_MESSAGES
from .urls import page_url


def _refused(request: Request, booking: BookingView, reason: str, what: str) -> Response:
    options = change_options(booking, request.app.state.clock())
    return error_page(
        request,
        409,
        why_not(booking, options, reason, what),
        studio=booking.studio,
        title=(
            _("Choose another time")
            if reason == "same_slot"
            else _("You can't reschedule online")
            if what == "reschedule"
            else _("You can't cancel online")
        ),
        back_url=page_url(request, booking.public_id),
        back_label=_("Back to your booking"),
    )


def _done(request: Request, booking: BookingView, what: str) -> Response:
    url = page_url(request, booking.public_id, done=what)
    return RedirectResponse(url, status_code=303)


async def reschedule_page(request: Request) -> Response:
    booking = await booking_or_404(request)
    db, now = request.app.state.db, request.app.state.clock()
    options = change_options(booking, now)
    if not options.can_reschedule:
        return _refused(request, booking, options.reschedule_reason or "disabled", "reschedule")
    raw_slot = (await read_form(request)).get("slot") if request.method == "POST" else None
    slot_id = parse_id(raw_slot if raw_slot is not None else request.query_params.get("slot"))
    if slot_id is None and (request.method == "POST" or "slot" in request.query_params):
        raise HTTPException(404)
    if slot_id is None:
        offer = await mini_session_offer(db, booking.mini, now)
        wanted = parse_id(request.query_params.get("day"))
        current_day = next(
            (d for d in offer.days if any(s.id == booking.slot_id for s in d.slots)), None
        )
        selected = (
            next((d for d in offer.days if d.day.id == wanted), None)
            or current_day
            or (offer.days[0] if offer.days else None)
        )
        return render(
            request,
            "public/reschedule.html",
            {
                "booking": booking,
                "offer": offer,
                "selected": selected,
                "booking_url": page_url(request, booking.public_id),
            },
            studio=booking.studio,
        )
    try:
        slot = await slot_of(db, booking.mini.id, booking.mini.min_notice_hours, slot_id, now)
    except NotFound:
        return error_page(
            request,
            404,
            _("That time isn't part of this session. Please choose one of its times."),
            studio=booking.studio,
            title=_("We couldn't find that time"),
            back_url=page_url(request, booking.public_id, "reschedule"),
            back_label=_("Choose another time"),
        )
    try:
        check_can_move(booking, slot, now)
        if request.method == "POST":
            await reschedule(db, booking, slot, now)
            return _done(request, booking, "rescheduled")
    except ChangeNotAllowed as exc:
        return _refused(request, booking, exc.reason, "reschedule")
    except SlotUnavailable as exc:
        return error_page(
            request,
            409,
            str(UNAVAILABLE_MESSAGES.get(exc.reason, UNAVAILABLE_MESSAGES["blocked"])),
            studio=booking.studio,
            title=_("This time was just taken")
            if exc.reason == "taken"
            else _("That time isn't available"),
            back_url=page_url(request, booking.public_id, "reschedule"),
            back_label=_("Choose another time"),
        )
    except WrongState:
        return RedirectResponse(page_url(request, booking.public_id), status_code=303)
    location = await location_of_slot(db, slot.id)
    return render(
        request,
        "public/reschedule_confirm.html",
        {
            "booking": booking,
            "slot": slot,
            "location": location,
            "back_url": page_url(request, booking.public_id, "reschedule"),
            "post_url": page_url(request, booking.public_id, "reschedule"),
            "booking_url": page_url(request, booking.public_id),
        },
        studio=booking.studio,
    )


async def cancel_page(request: Request) -> Response:
    booking = await booking_or_404(request)
    db, now = request.app.state.db, request.app.state.clock()
    options = change_options(booking, now)
    if booking.status == "cancelled":
        return RedirectResponse(page_url(request, booking.public_id), status_code=303)
    if not options.can_cancel:
        return _refused(request, booking, options.cancel_reason or "disabled", "cancel")
    refund_minor = sum(r.amount_minor for r in refund_plan(booking))
    errors: dict[str, str] = {}
    message = ""
    if request.method == "POST":
        form = await read_form(request)
        message = form.get("message", "")
        try:
            message = clean_message(message)
        except InvalidDetails as exc:
            errors.update(exc.errors)
        if form.get("confirm") != "yes":
            errors["confirm"] = _("Please tick the box to confirm you want to cancel.")
        if not errors:
            try:
                await cancel_and_refund(request.app.state.payments, db, booking, message, now)
            except ChangeNotAllowed as exc:
                return _refused(request, booking, exc.reason, "cancel")
            except WrongState:
                return RedirectResponse(page_url(request, booking.public_id), status_code=303)
            return _done(request, booking, "cancelled")
    return render(
        request,
        "public/cancel.html",
        {
            "booking": booking,
            "refund_minor": refund_minor,
            "message": message[:4000],
            "errors": errors,
            "back_url": page_url(request, booking.public_id),
            "post_url": page_url(request, booking.public_id, "cancel"),
        },
        status_code=422 if errors else 200,
        studio=booking.studio,
    )


routes: list[BaseRoute] = [
    Route("/b/{token}/reschedule", reschedule_page, methods=["GET", "POST"]),
    Route("/b/{token}/cancel", cancel_page, methods=["GET", "POST"]),
    Route("/embed/b/{token}/reschedule", reschedule_page, methods=["GET", "POST"]),
    Route("/embed/b/{token}/cancel", cancel_page, methods=["GET", "POST"]),
]
