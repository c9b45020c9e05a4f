"""The dashboard's booking pages: the list with filters, a day sheet, one booking, mark paid.

Every lookup passes the viewer's studio id into the query (studio/dashboard.py), so
another studio's ids are simply not found: 404, the same answer as an id that never existed.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...booking.answers import booking_answers
from ...booking.contracts import signature_of
from ...booking.extras import addons_of
from ...booking.views import BookingView, PaymentLine, load_booking_by_id
from ...contract_pdf import signed_contract_pdf
from ...formatting import local
from ...i18n import gettext as _
from ...payments.refunds import failed_refunds
from ...studio.booking_record import booking_record
from ...studio.dashboard import (
    booking_studio_id,
    day_sheet,
    list_bookings,
    move_targets,
    upcoming_days,
)
from ...studio.event_lines import event_line
from ...studio.offline_paid import mark_offline_paid
from ...studio.statuses import (
    DEFAULT_FILTER,
    FILTERS,
    can_close_lead,
    can_reopen_lead,
    lead_status,
)
from .auth import Admin, admin_context, admin_page
from .booking_forms import BookingForms, RefundForm, cancel_choices
from .emails import email_name
from .forms import not_found, path_id
from .pages import admin_render


@admin_page
async def bookings_page(request: Request, admin: Admin) -> Response:
    """Bookings across the studio's mini sessions, by status, and the days ahead."""
    key = request.query_params.get("status", DEFAULT_FILTER)
    if key not in FILTERS:
        key = DEFAULT_FILTER
    db = request.app.state.db
    now = request.app.state.clock()
    today = local(now, admin.studio.timezone).date()
    return admin_render(
        request,
        "admin/bookings.html",
        {
            **admin_context(admin),
            "title": _("Bookings"),
            "filters": {k: f.label for k, f in FILTERS.items()},
            "current": key,
            "rows": [
                (
                    row,
                    lead_status(
                        row.lead_status, row.status, row.expires_at, now, lead_live=row.lead_live
                    ),
                    can_close_lead(
                        row.lead_status, row.status, row.expires_at, now, lead_live=row.lead_live
                    ),
                )
                for row in await list_bookings(db, admin.studio.id, key, now)
            ],
            "days": await upcoming_days(db, admin.studio.id, today),
            "now": now,
            "flash": request.query_params.get("done", ""),
        },
        session=admin.session,
    )


@admin_page
async def day_sheet_page(request: Request, admin: Admin) -> Response:
    """One session day's slots and who is on each; prints as a sheet for the day."""
    mini_id, day_id = path_id(request, "mini_id"), path_id(request, "day_id")
    if mini_id is None or day_id is None:
        return not_found(request, admin)
    sheet = await day_sheet(
        request.app.state.db, admin.studio.id, mini_id, day_id, admin.studio.currency
    )
    if sheet is None:
        return not_found(request, admin)
    return admin_render(
        request,
        "admin/day_sheet.html",
        {
            **admin_context(admin),
            "title": _("%(mini_title)s, day sheet") % {"mini_title": sheet.mini_title},
            "sheet": sheet,
            "now": request.app.state.clock(),
        },
        session=admin.session,
    )


async def studio_booking(request: Request, admin: Admin) -> BookingView | None:
    booking_id = path_id(request, "booking_id")
    if booking_id is None:
        return None
    db = request.app.state.db
    if await booking_studio_id(db, booking_id) != admin.studio.id:
        return None
    return await load_booking_by_id(db, booking_id)


async def studio_payment(request: Request, admin: Admin) -> tuple[BookingView, PaymentLine] | None:
    """The booking and the payment the path names, only when the payment is that booking's
    and the booking the studio's."""
    booking = await studio_booking(request, admin)
    payment_id = path_id(request, "payment_id")
    if booking is None or payment_id is None:
        return None
    payment = next((p for p in booking.payments if p.id == payment_id), None)
    return (booking, payment) if payment is not None else None


@admin_page
async def booking_page(request: Request, admin: Admin) -> Response:
    """One booking: the client, the time, the money, what happened and the emails."""
    booking = await studio_booking(request, admin)
    if booking is None:
        return not_found(request, admin)
    return await render_booking(request, admin, booking)


async def render_booking(
    request: Request,
    admin: Admin,
    booking: BookingView,
    *,
    forms: BookingForms | None = None,
    status_code: int = 200,
) -> Response:
    """The booking page, with its action forms (as submitted, with errors, when ``forms``)."""
    now = request.app.state.clock()
    record = await booking_record(request.app.state.db, booking, now)
    events = [
        {
            **event,
            "name": event_line(
                event["kind"],
                event["detail"],
                currency=booking.currency,
                timezone=booking.timezone,
                slot_starts=record.slot_starts,
            ),
        }
        for event in record.events
    ]
    forms = forms or BookingForms()
    return admin_render(
        request,
        "admin/booking.html",
        {
            **admin_context(admin),
            "title": _("Booking %(reference)s") % {"reference": booking.reference},
            "booking": booking,
            "day_url": f"/admin/minis/{booking.mini.id}/days/{record.day_id}",
            "events": events,
            "refunds": record.refunds,
            "emails": [(e, email_name(e.kind)) for e in record.emails],
            "flash": request.query_params.get("done", "") if status_code == 200 else "",
            "now": now,
            "lead": lead_status(
                record.lead_status,
                booking.status,
                booking.expires_at,
                now,
                lead_live=record.lead_live,
            ),
            "can_close_lead": can_close_lead(
                record.lead_status,
                booking.status,
                booking.expires_at,
                now,
                lead_live=record.lead_live,
            ),
            "can_reopen_lead": can_reopen_lead(record.lead_status),
            # Moving is offered only when there is a time to move to (move_page lists them).
            "can_move": booking.status == "booked"
            and bool(await move_targets(request.app.state.db, booking, now)),
            "cancel_choices": cancel_choices(booking),
            "cancel_form": forms.cancel,
            "refund_forms": {
                p.id: forms.refunds.get(p.id) or RefundForm.fresh(p.refundable_minor, p.currency)
                for p in booking.payments
                if p.refundable_minor > 0 or p.id in forms.refunds
            },
            "failed_refunds": await failed_refunds(request.app.state.db, booking.id),
            "answers": await booking_answers(request.app.state.db, booking.id),
            "signature": await signature_of(request.app.state.db, booking.id),
            "addons": await addons_of(request.app.state.db, booking.mini.id),
            "addon_values": forms.addon_values
            or {
                f"addon_{k}": str(v)
                for k, v in (booking.quote.addons if booking.quote else {}).items()
            },
            "addon_errors": forms.addon_errors,
        },
        session=admin.session,
        status_code=status_code,
    )


@admin_page
async def mark_paid(request: Request, admin: Admin) -> Response:
    """POST: the studio received an offline payment. Repeating it changes nothing."""
    found = await studio_payment(request, admin)
    if found is None:
        return not_found(request, admin)
    booking, payment = found
    changed = await mark_offline_paid(
        request.app.state.db, booking.id, payment.id, request.app.state.clock()
    )
    done = "paid" if changed else "already"
    return RedirectResponse(f"/admin/bookings/{booking.id}?done={done}", status_code=303)


@admin_page
async def contract_download(request: Request, admin: Admin) -> Response:
    """The signed contract as a PDF, made again from the stored signature."""
    booking = await studio_booking(request, admin)
    signature = await signature_of(request.app.state.db, booking.id) if booking else None
    if booking is None or signature is None:
        return not_found(request, admin, _("This booking has no signed contract."))
    return Response(
        signed_contract_pdf(booking, signature),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="contract-{booking.reference}.pdf"',
            "Cache-Control": "no-store",
        },
    )


routes: list[BaseRoute] = [
    Route("/admin/bookings", bookings_page),
    Route("/admin/bookings/{booking_id:id}", booking_page),
    Route(
        "/admin/bookings/{booking_id:id}/payments/{payment_id:id}/mark-paid",
        mark_paid,
        methods=["POST"],
    ),
    Route("/admin/bookings/{booking_id:id}/contract.pdf", contract_download),
    Route("/admin/minis/{mini_id:id}/days/{day_id:id}", day_sheet_page),
]
