"""What the photographer does to a booking: cancel it, move it, refund, close the lead.

Each handler is thin: it finds the booking in the viewer's studio (404 otherwise),
parses the form (errors re-render the booking page with the input kept, status 400),
calls the domain, and redirects back with a ``done`` flash. Every action is safe to
submit twice: the second one finds the change already made and says so.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.addon_changes import adjust_addons
from ...booking.availability import slot_of
from ...booking.cancel import STUDIO_REFUNDS, clean_message
from ...booking.checkout_choice import read_choice
from ...booking.errors import (
    ChangeNotAllowed,
    InvalidDetails,
    NotFound,
    SlotUnavailable,
    WrongState,
)
from ...booking.events import events_for
from ...booking.reschedule import move_for_client
from ...booking.views import BookingView
from ...i18n import gettext as _
from ...payments.base import PaymentUnavailable, RefundRequest
from ...payments.cancellation import cancel_and_refund
from ...payments.refunds import RefundNotAllowed, refund_payment, retry_failed_refunds
from ...studio.dashboard import move_targets
from ...studio.form_values import parse_positive_money
from ...studio.leads import close_lead, reopen_lead
from ...studio.statuses import FILTERS
from ..forms import parse_id
from .auth import Admin, admin_context, admin_page
from .booking_forms import MAX_REASON, REFUND_KEY, BookingForms, CancelForm, RefundForm
from .bookings import render_booking, studio_booking, studio_payment
from .forms import not_found, posted_text_fields
from .pages import admin_render

# A refund request's key, namespaced so it can't collide with the cancellation's keys.
REFUND_KEY_PREFIX = "admin-"


def _back(booking: BookingView, done: str) -> Response:
    return RedirectResponse(f"/admin/bookings/{booking.id}?done={done}", status_code=303)


@admin_page
async def cancel_booking(request: Request, admin: Admin) -> Response:
    """POST: the studio cancels for the client, with a message and a refund choice."""
    booking = await studio_booking(request, admin)
    if booking is None:
        return not_found(request, admin)
    form = await posted_text_fields(request)
    cancel = CancelForm(message=form.get("message", "")[:4000], refund=form.get("refund", ""))
    try:
        message = clean_message(cancel.message)
    except InvalidDetails as exc:
        cancel.errors.update(exc.errors)
    if cancel.refund not in STUDIO_REFUNDS:
        cancel.errors["refund"] = _("Please choose what to refund.")
    if form.get("confirm") != "yes":
        cancel.errors["confirm"] = _("Please tick the box to confirm the cancellation.")
    if booking.status != "booked":
        return _back(booking, "already_cancelled" if booking.status == "cancelled" else "")
    if cancel.errors:
        forms = BookingForms(cancel=cancel)
        return await render_booking(request, admin, booking, forms=forms, status_code=400)
    db, now = request.app.state.db, request.app.state.clock()
    try:
        failures = await cancel_and_refund(
            request.app.state.payments, db, booking, message, now, studio_refund=cancel.refund
        )
    except WrongState:
        return _back(booking, "already_cancelled")
    return _back(booking, "cancelled_refund_failed" if failures else "cancelled")


@admin_page
async def retry_refunds(request: Request, admin: Admin) -> Response:
    """POST: try the refunds the booking still owes again now, each with its own key."""
    booking = await studio_booking(request, admin)
    if booking is None:
        return not_found(request, admin)
    made, failing = await retry_failed_refunds(
        request.app.state.payments, request.app.state.db, booking, request.app.state.clock()
    )
    if failing:
        return _back(booking, "retry_failed")
    return _back(booking, "retried" if made else "nothing_to_retry")


@admin_page
async def refund(request: Request, admin: Admin) -> Response:
    """POST: refund all or part of one payment; the form's random key makes it happen once."""
    found = await studio_payment(request, admin)
    if found is None:
        return not_found(request, admin)
    booking, payment = found
    fields = await posted_text_fields(request)
    key = fields.get("key", "")
    if not REFUND_KEY.match(key):
        return admin_render(
            request,
            "admin/error.html",
            {
                **admin_context(admin),
                "title": _("Please try that again"),
                "message": _(
                    "This refund form is incomplete. Please reload the booking and retry."
                ),
            },
            session=admin.session,
            status_code=400,
        )
    db = request.app.state.db
    full_key = REFUND_KEY_PREFIX + key
    if any(e["detail"].get("key") == full_key for e in await events_for(db, booking.id)):
        return _back(booking, "refund_already")  # a double submit: refunded once already
    form = RefundForm(
        key=key,
        amount=fields.get("amount", "")[:64],
        reason=fields.get("reason", "")[: MAX_REASON * 2],
    )
    amount_minor = 0
    try:
        amount_minor = parse_positive_money(form.amount, payment.currency)
    except ValueError as exc:
        form.errors["amount"] = str(exc)
    try:
        reason = clean_message(form.reason)
    except InvalidDetails:
        form.errors["reason"] = _("Please use plain text for the reason.")
        reason = ""
    if len(reason) > MAX_REASON:
        form.errors["reason"] = _("Please keep the reason under %(max_reason)s characters.") % {
            "max_reason": MAX_REASON
        }
    if not form.errors and amount_minor > payment.refundable_minor:
        form.errors["amount"] = (
            _("That is more than is left to refund on this payment.")
            if payment.refundable_minor
            else _("Nothing is left to refund on this payment.")
        )
    if not form.errors:
        try:
            refund_request = RefundRequest(
                db,
                booking,
                payment,
                amount_minor,
                key=full_key,
                reason=reason or _("Refunded by the studio"),
                now=request.app.state.clock(),
            )
            done = await refund_payment(request.app.state.payments, refund_request)
            return _back(booking, "refunded" if done else "refund_already")
        except RefundNotAllowed:
            form.errors["amount"] = _("That is more than is left to refund on this payment.")
        except PaymentUnavailable:
            form.errors["amount"] = _(
                "The payment provider could not be reached, so nothing was refunded. "
                "Please try again in a minute: the same request will be sent, never twice."
            )
    forms = BookingForms(refunds={payment.id: form})
    return await render_booking(request, admin, booking, forms=forms, status_code=400)


@admin_page
async def move_page(request: Request, admin: Admin) -> Response:
    """GET: the mini session's upcoming times with room. POST: move the booking there."""
    booking = await studio_booking(request, admin)
    if booking is None:
        return not_found(request, admin)
    db, now = request.app.state.db, request.app.state.clock()
    error, status_code = "", 200
    if request.method == "POST" and booking.status == "booked":
        slot_id = parse_id((await posted_text_fields(request)).get("slot"))
        status_code = 409  # unless the form itself is wrong (400), the time was taken
        if slot_id is None:
            error, status_code = _("Please choose a new time."), 400
        else:
            try:
                slot = await slot_of(db, booking.mini.id, 0, slot_id, now)
                await move_for_client(db, booking, slot, now)
                return _back(booking, "moved")
            except NotFound:
                return not_found(request, admin)
            except SlotUnavailable as exc:
                error = (
                    _("That time filled up just now, so nothing changed. Please choose another.")
                    if exc.reason in ("taken", "full")
                    else _("That time can't be booked any more. Please choose another.")
                )
            except ChangeNotAllowed:
                error = _("That is the booking's current time. Please choose another.")
            except WrongState:
                return _back(booking, "not_booked")
    context: dict[str, Any] = {
        **admin_context(admin),
        "title": _("Move %(client_name)s") % {"client_name": booking.client_name},
        "booking": booking,
        "days": await move_targets(db, booking, now) if booking.status == "booked" else [],
        "error": error,
    }
    return admin_render(
        request,
        "admin/move.html",
        context,
        session=admin.session,
        status_code=status_code if error else 200,
    )


def _lead_redirect(booking: BookingView, back: str, done: str) -> Response:
    if back in FILTERS:
        return RedirectResponse(f"/admin/bookings?status={back}&done={done}", status_code=303)
    return _back(booking, done)


@admin_page
async def close_booking_lead(request: Request, admin: Admin) -> Response:
    """POST: the photographer is done following this client up (refused while booked/held)."""
    booking = await studio_booking(request, admin)
    if booking is None:
        return not_found(request, admin)
    back = (await posted_text_fields(request)).get("back", "")
    outcome = await close_lead(
        request.app.state.db, admin.studio.id, booking.lead_id, request.app.state.clock()
    )
    return _lead_redirect(booking, back, f"lead_{outcome}")


@admin_page
async def reopen_booking_lead(request: Request, admin: Admin) -> Response:
    """POST: follow this client up again."""
    booking = await studio_booking(request, admin)
    if booking is None:
        return not_found(request, admin)
    back = (await posted_text_fields(request)).get("back", "")
    reopened = await reopen_lead(
        request.app.state.db, admin.studio.id, booking.lead_id, request.app.state.clock()
    )
    return _lead_redirect(booking, back, "lead_reopened" if reopened else "lead_not_closed")


@admin_page
async def adjust_booking_addons(request: Request, admin: Admin) -> Response:
    """POST: the booking's add-on quantities, repriced (the balance follows)."""
    booking = await studio_booking(request, admin)
    if booking is None:
        return not_found(request, admin)
    form = await posted_text_fields(request)
    try:
        picked, _code = read_choice({k: v for k, v in form.items() if k.startswith("addon_")})
        await adjust_addons(request.app.state.db, booking, picked, request.app.state.clock())
    except InvalidDetails as exc:
        forms = BookingForms(addon_errors=exc.errors, addon_values=form)
        return await render_booking(request, admin, booking, forms=forms, status_code=400)
    except WrongState:
        return _back(booking, "not_booked")
    return _back(booking, "addons_adjusted")


routes: list[BaseRoute] = [
    Route("/admin/bookings/{booking_id:id}/addons", adjust_booking_addons, methods=["POST"]),
    Route("/admin/bookings/{booking_id:id}/cancel", cancel_booking, methods=["POST"]),
    Route("/admin/bookings/{booking_id:id}/move", move_page, methods=["GET", "POST"]),
    Route(
        "/admin/bookings/{booking_id:id}/payments/{payment_id:id}/refund",
        refund,
        methods=["POST"],
    ),
    Route("/admin/bookings/{booking_id:id}/refunds/retry", retry_refunds, methods=["POST"]),
    Route("/admin/bookings/{booking_id:id}/lead/close", close_booking_lead, methods=["POST"]),
    Route("/admin/bookings/{booking_id:id}/lead/reopen", reopen_booking_lead, methods=["POST"]),
]
