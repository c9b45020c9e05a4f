"""The client's pages behind a booking token: the confirmation (hosted, and in the widget
under ``/embed/``) and the calendar file. The checkout is web/checkout.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..booking.answers import booking_answers, can_correct
from ..booking.changes import change_options
from ..booking.contracts import signature_of
from ..booking.events import calendar_sequence
from ..booking.questions import questions_of
from ..booking.unpaid import offline_deadline
from ..booking.views import BookingView
from ..formatting import major_units
from ..formatting import money as format_money
from ..i18n import gettext as _
from ..mail.ics import booking_ics, google_calendar_link
from .booking_access import booking_or_404, to_booking
from .change_text import why_not
from .checkout import hold_ran_out
from .embed import event_detail, origin_allowed, page_origin
from .pages import error_page, render
from .payments import balance_url
from .urls import absolute, booking_url, client_url, in_embed, mini_url, page_url


async def confirmation_page(request: Request) -> Response:
    booking = await booking_or_404(request)
    if booking.status == "held":
        unpaid = request.query_params.get("done") == "unpaid"
        return to_booking(request, booking, "quote", **({"payment": "cancelled"} if unpaid else {}))
    if booking.status == "expired" and any(p.status == "succeeded" for p in booking.payments):
        return paid_after_slot_taken(request, booking)
    if booking.status == "expired":
        return await hold_ran_out(request, booking)
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
            "done": done if done in {"booked", "rescheduled", "cancelled", "answers"} else None,
            "reschedule_url": page_url(request, booking.public_id, "reschedule"),
            "cancel_url": page_url(request, booking.public_id, "cancel"),
            "answers": await booking_answers(request.app.state.db, booking.id),
            "has_questions": bool(await questions_of(request.app.state.db, booking.mini.id)),
            "can_correct": can_correct(booking, request.app.state.clock()),
            "answers_url": page_url(request, booking.public_id, "answers"),
            "signature": await signature_of(request.app.state.db, booking.id),
            "contract_url": booking_url(request, booking.public_id, "contract.pdf"),
            "google_url": google_calendar_link(booking, manage_url),
            "ics_url": booking_url(request, booking.public_id, "calendar.ics"),
            "mini_url": client_url(request, mini_url(booking.studio.slug, booking.mini.slug)),
            "back_to_site": None if in_embed(request) else back_to_site(request, booking),
            "event_detail": booked_detail(booking) if done == "booked" else None,
            "cancellation": cancellation_account(booking),
            "pay_balance_url": balance_url(request, booking),
            "pay_by": offline_deadline(booking),
        },
        studio=booking.studio,
    )


def back_to_site(request: Request, booking: BookingView) -> tuple[str, str] | None:
    """(URL, host name) of the page the client booked from, if that site may still embed us.

    The fragment has the loader there open this booking in its widget.
    """
    origin = page_origin(booking.return_url) if booking.return_url else None
    if booking.status != "booked" or not origin_allowed(booking.studio, origin):
        return None
    token = request.app.state.tokens.make(booking.public_id)
    fragment = f"#minis-booked={token}"
    return booking.return_url.split("#")[0] + fragment, urlsplit(booking.return_url).hostname or ""


def booked_detail(booking: BookingView) -> str | None:
    """The ``minis:booked`` payload for the host page: what, when, the reference; and the
    value and currency when the studio reports bookings to the site's analytics (the
    loader there tells GA4 and the Meta Pixel). Nobody's personal details."""
    if booking.status != "booked":
        return None
    detail = json.loads(event_detail(booking.mini, booking.starts_at, booking.location.name))
    detail["reference"] = booking.reference
    if booking.studio.report_conversions:
        detail["value"] = major_units(booking.total_minor, booking.currency)
        detail["currency"] = booking.currency
    return json.dumps(detail)


async def calendar_file(request: Request) -> Response:
    booking = await booking_or_404(request)
    if booking.status != "booked":
        raise HTTPException(404)
    manage_url = absolute(request, booking_url(request, booking.public_id))
    db = request.app.state.db
    # The entry the emails sent: same UID, the current SEQUENCE, so an import updates it.
    calendar = booking_ics(
        booking,
        manage_url,
        base_url=request.app.state.settings.base_url,
        sequence=await calendar_sequence(db, booking.id),
        stamp=request.app.state.clock(),
    )
    return Response(
        calendar.data,
        media_type=calendar.content_type,
        headers={"Content-Disposition": f'attachment; filename="{booking.reference}.ics"'},
    )


@dataclass(frozen=True)
class CancellationAccount:
    """What became of a cancelled booking's money: taken, given back, kept, and why."""

    taken_minor: int
    refunded_minor: int
    kept_minor: int
    why_kept: str


def cancellation_account(booking: BookingView) -> CancellationAccount | None:
    if booking.status != "cancelled":
        return None
    taken = sum(p.amount_minor for p in booking.payments if p.status == "succeeded")
    if not taken:
        return None
    refunded = min(booking.refunded_minor, taken)
    kept = taken - refunded
    studio = booking.studio.name
    why = ""
    if kept and booking.mini.cancel_refund_policy == "keep_deposit":
        why = _(
            "%(studio)s keeps the deposit: deposits aren't refunded when a booking is cancelled."
        ) % {"studio": studio}
    elif kept and booking.mini.cancel_refund_policy == "none":
        why = _("%(studio)s doesn't refund cancellations of this session.") % {"studio": studio}
    elif kept:
        why = _("%(studio)s kept this part of your payment when the booking was cancelled.") % {
            "studio": studio
        }
    return CancellationAccount(taken, refunded, kept, why)


def paid_after_slot_taken(request: Request, booking: BookingView) -> Response:
    """The client paid after their hold ran out and someone else took the time: say so plainly."""
    paid = sum(p.amount_minor for p in booking.payments if p.status == "succeeded")
    amount = format_money(paid, booking.currency)
    done = booking.refunded_minor >= paid
    if done:
        message = _(
            "Your hold ran out while you were paying, and someone else booked this time "
            "meanwhile. We refunded your payment of %(amount)s in full; it reaches your card "
            "within 5 to 10 business days. Please choose another time."
        )
    else:
        message = _(
            "Your hold ran out while you were paying, and someone else booked this time "
            "meanwhile. Your payment of %(amount)s is being refunded in full; it reaches your "
            "card within 5 to 10 business days. Please choose another time."
        )
    return error_page(
        request,
        409,
        message % {"amount": amount},
        studio=booking.studio,
        title=_("This time was taken while you paid"),
        back_url=mini_url(booking.studio.slug, booking.mini.slug),
        back_label=_("Choose another time"),
    )


routes: list[BaseRoute] = [
    Route("/embed/b/{token}", confirmation_page),
    Route("/b/{token}", confirmation_page),
    Route("/b/{token}/calendar.ics", calendar_file),
]
