"""The studio's bookings for a key: list, read, and (read-write keys) create, cancel, move,
mark paid. Every change is the dashboard's own use case (booking/, payments/, studio/),
with the same guarantees: holds and capacity, one cancellation, one refund, one payment."""

from __future__ import annotations

import sqlalchemy as sa

from ...booking.answers import Answer, answers_of
from ...booking.availability import slot_of
from ...booking.bookings import NewPayment, book, start_booking
from ...booking.catalog import MiniSession, studio_by_id
from ...booking.details import region_for_timezone, validate_details
from ...booking.errors import (
    ChangeNotAllowed,
    InvalidDetails,
    NotFound,
    SlotUnavailable,
    WrongState,
)
from ...booking.places import location_of_slot
from ...booking.reschedule import move_for_client
from ...booking.views import BookingView, load_booking_by_id, load_booking_view
from ...db.tables import mini_sessions, slots
from ...payments.cancellation import cancel_and_refund
from ...studio.booking_record import BookingRecord, booking_record
from ...studio.offline_paid import mark_offline_paid
from ...studio.records import BookingEntry, BookingFilter, booking_entry, bookings_page
from ..urls import absolute, booking_url
from . import models as m
from .cursors import next_cursor, read_cursor
from .operations import Call
from .problems import ApiError


def _answer(answer: Answer) -> m.Answer:
    return m.Answer(
        question_id=answer.question_id,
        question=answer.label,
        kind=answer.kind,  # type: ignore[arg-type]  # stored from a checked question
        value=answer.value,
        values=answer.lines,
    )


def _summary_fields(entry: BookingEntry, given: list[Answer]) -> dict[str, object]:
    return {
        "id": entry.id,
        "reference": entry.reference,
        "status": entry.status,
        "lead_id": entry.lead_id,
        "lead_status": entry.lead_status,
        "client": m.Client(
            name=entry.client_name, email=entry.client_email, phone=entry.client_phone
        ),
        "mini": entry.mini_slug,
        "slot_id": entry.slot_id,
        "starts_at": entry.starts_at,
        "ends_at": entry.ends_at,
        "location": entry.location_name,
        "total": m.Money(amount_minor=entry.total_minor or 0, currency=entry.currency or "USD"),
        "created_at": entry.created_at,
        "booked_at": entry.booked_at,
        "cancelled_at": entry.cancelled_at,
        "hold_expires_at": entry.expires_at if entry.status == "held" else None,
        "answers": [_answer(a) for a in given],
    }


async def list_bookings(call: Call) -> m.BookingPage:
    q: m.BookingsQuery = call.query
    where = BookingFilter(
        status=q.status,
        created_after=q.created_after,
        created_before=q.created_before,
        starts_after=q.starts_after,
        starts_before=q.starts_before,
        mini_slug=q.mini,
    )
    entries = await bookings_page(call.db, call.studio_id, where, read_cursor(q.cursor), q.limit)
    given = await answers_of(call.db, [e.id for e in entries])  # one query for the page
    return m.BookingPage(
        data=[
            m.BookingSummary.model_validate(_summary_fields(e, given.get(e.id, [])))
            for e in entries
        ],
        next_cursor=next_cursor([e.id for e in entries], q.limit),
    )


async def _detail(call: Call, booking_id: int) -> m.BookingDetail:
    entry = await booking_entry(call.db, call.studio_id, booking_id)
    view = await load_booking_by_id(call.db, booking_id) if entry else None
    if entry is None or view is None:
        raise ApiError(404, "not_found", "No such booking in your studio.")
    record = await booking_record(call.db, view, call.now)
    given = await answers_of(call.db, [booking_id])
    fields = _summary_fields(entry, given.get(booking_id, []))
    fields["total"] = m.Money(amount_minor=view.total_minor, currency=view.currency)
    return m.BookingDetail.model_validate(
        {
            **fields,
            **_record_fields(call, view, record),
        }
    )


def _record_fields(call: Call, view: BookingView, record: BookingRecord) -> dict[str, object]:
    return dict(
        paid_minor=view.paid_minor,
        balance_minor=view.balance_minor,
        payments=[
            {
                "id": p.id,
                "method": p.method,
                "status": p.status,
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "refunded_minor": p.refunded_minor,
                "created_at": p.created_at,
            }
            for p in view.payments
        ],
        refunds=[
            {
                "method": r.method,
                "amount_minor": r.amount_minor,
                "status": r.status,
                "reason": r.reason,
                "created_at": r.created_at,
            }
            for r in record.refunds
        ],
        events=[
            m.Event(kind=e["kind"], at=e["created_at"], detail=e["detail"]) for e in record.events
        ],
        emails=[
            m.Email(
                kind=e.kind,
                recipient=e.recipient,
                status=e.status,
                attempts=e.attempts,
                created_at=e.created_at,
                sent_at=e.sent_at,
            )
            for e in record.emails
        ],
        pay_url=absolute(call.request, booking_url(call.request, view.public_id, "quote"))
        if view.status == "held"
        else None,
    )


async def get_booking(call: Call) -> m.BookingDetail:
    return await _detail(call, call.path.booking_id)


async def _studio_view(call: Call, booking_id: int) -> BookingView:
    if await booking_entry(call.db, call.studio_id, booking_id) is None:
        raise ApiError(404, "not_found", "No such booking in your studio.")
    view = await load_booking_by_id(call.db, booking_id)
    if view is None:
        raise ApiError(404, "not_found", "No such booking in your studio.")
    return view


def _slot_problem(exc: SlotUnavailable) -> ApiError:
    messages = {
        "taken": "Someone else just took the last spot of this slot.",
        "full": "This slot is full.",
        "past": "This slot has already started.",
        "too_soon": "This slot is too close to book.",
        "blocked": "This slot is blocked.",
    }
    return ApiError(
        409,
        "slot_unavailable",
        messages.get(exc.reason, "This slot can't be booked."),
        reason=exc.reason,
    )


async def _studio_mini_of_slot(call: Call, slot_id: int) -> MiniSession | None:
    row = await call.db.fetch_one(
        sa.select(mini_sessions)
        .join(slots, slots.c.mini_session_id == mini_sessions.c.id)
        .where(slots.c.id == slot_id, mini_sessions.c.studio_id == call.studio_id)
    )
    return MiniSession.from_mapping(row._mapping) if row else None


async def create_booking(call: Call) -> m.BookingDetail:
    body: m.NewBooking = call.body
    mini = await _studio_mini_of_slot(call, body.slot_id)
    studio = await studio_by_id(call.db, call.studio_id)
    if mini is None or studio is None:
        raise ApiError(404, "not_found", "No such slot in your studio.")
    try:
        # The studio books for a client: its own minimum notice does not apply to it.
        slot = await slot_of(call.db, mini.id, 0, body.slot_id, call.now)
    except NotFound as exc:
        raise ApiError(404, "not_found", "No such slot in your studio.") from exc
    location = await location_of_slot(call.db, slot.id)
    try:
        details = validate_details(
            body.name, body.email, body.phone, default_region=region_for_timezone(location.timezone)
        )
        started = await start_booking(
            call.db,
            studio=studio,
            mini=mini,
            slot=slot,
            location=location,
            details=details,
            utm={k[:64]: v[:200] for k, v in body.utm.items()},
            now=call.now,
        )
        view = await load_booking_view(call.db, started.public_id)
        assert view is not None
        if started.status == "held" and body.status == "booked":
            # As the offline method books: the whole price owed to the studio directly
            # (nothing, for a free mini session that has a contract: booked as it is).
            owed = NewPayment(
                method="offline",
                provider_ref=f"offline:{view.public_id}",
                status="pending",
                amount_minor=view.total_minor,
                currency=view.currency,
            )
            await book(call.db, view, owed if view.total_minor else None, call.now)
    except InvalidDetails as exc:
        raise ApiError(
            422,
            "invalid_details",
            "The client's details are invalid.",
            errors=[{"location": f"body.{k}", "message": v} for k, v in exc.errors.items()],
        ) from exc
    except SlotUnavailable as exc:
        raise _slot_problem(exc) from exc
    return await _detail(call, view.id)


async def cancel_booking(call: Call) -> m.CancelResult:
    body: m.Cancel = call.body
    view = await _studio_view(call, call.path.booking_id)
    try:
        failures = await cancel_and_refund(
            call.request.app.state.payments,
            call.db,
            view,
            body.message,
            call.now,
            studio_refund=body.refund,
        )
    except WrongState as exc:
        raise ApiError(409, "wrong_state", "Only a booked booking can be cancelled.") from exc
    return m.CancelResult(booking=await _detail(call, view.id), refunds_pending=failures)


async def move_booking(call: Call) -> m.BookingDetail:
    body: m.Move = call.body
    view = await _studio_view(call, call.path.booking_id)
    try:
        slot = await slot_of(call.db, view.mini.id, 0, body.slot_id, call.now)
    except NotFound as exc:
        raise ApiError(404, "not_found", "No such slot in this booking's mini session.") from exc
    try:
        await move_for_client(call.db, view, slot, call.now)
    except WrongState as exc:
        raise ApiError(409, "wrong_state", "Only a booked booking can be moved.") from exc
    except ChangeNotAllowed as exc:
        raise ApiError(409, "same_slot", "The booking is already on that slot.") from exc
    except SlotUnavailable as exc:
        raise _slot_problem(exc) from exc
    return await _detail(call, view.id)


async def mark_paid(call: Call) -> m.BookingDetail:
    view = await _studio_view(call, call.path.booking_id)
    changed = await mark_offline_paid(call.db, view.id, call.path.payment_id, call.now)
    if not changed:
        payment = next((p for p in view.payments if p.id == call.path.payment_id), None)
        if payment is None:
            raise ApiError(404, "not_found", "No such payment on this booking.")
        if not (payment.method == "offline" and payment.status == "succeeded"):
            raise ApiError(409, "not_payable", "Only a pending offline payment can be marked paid.")
    return await _detail(call, view.id)
