"""The waitlist's public pages: join (also in the embed), claim an offer, leave the list."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..booking.bookings import book
from ..booking.catalog import MiniSession, Studio, mini_session_by_id, studio_by_id
from ..booking.details import region_for_timezone, validate_details
from ..booking.errors import InvalidDetails, SlotUnavailable, WrongState
from ..booking.handoff import PART_LABELS, PARTS_OF_DAY, Preferences
from ..booking.offers import MiniOffer, mini_session_offer
from ..booking.waitlist import (
    claim_offer,
    entry_by_public_id,
    join_waitlist,
    leave_waitlist,
    offer_of_booking,
)
from ..db.limits import id_from_text
from ..i18n import gettext as _
from . import language
from .booking_access import booking_or_404, to_booking
from .forms import MAX_FIELDS
from .pages import render
from .public import _mini_or_404, too_many_holds


async def _read_choices(request: Request) -> tuple[dict[str, str], list[str], list[str]]:
    """The form's text fields (first value each) and every ticked day and part of day."""
    async with request.form(max_files=0, max_fields=MAX_FIELDS + 60) as form:
        values: dict[str, str] = {}
        days: list[str] = []
        parts: list[str] = []
        for key, value in form.multi_items():
            if not isinstance(value, str):
                raise HTTPException(400, _("Files can't be sent here."))
            if key == "day":
                days.append(value)
            elif key == "part":
                parts.append(value)
            else:
                values.setdefault(key, value)
    return values, days, parts


def _preferences(offer: MiniOffer, days: list[str], parts: list[str]) -> Preferences:
    """Only this mini session's days and known parts of the day count; the rest is ignored."""
    known = {d.day.id for d in offer.days}
    picked = {i for i in (id_from_text(d) for d in days) if i is not None and i in known}
    return Preferences(
        days=frozenset(picked), parts=frozenset(p for p in parts if p in PARTS_OF_DAY)
    )


def _form_page(
    request: Request,
    studio: Studio,
    mini: MiniSession,
    offer: MiniOffer,
    *,
    values: dict[str, str] | None = None,
    chosen: Preferences | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "public/waitlist.html",
        {
            "mini": mini,
            "offer": offer,
            "values": values or {"name": "", "email": "", "phone": ""},
            "chosen": chosen or Preferences(),
            "part_labels": PART_LABELS,
            "errors": errors or {},
        },
        status_code=status_code,
        studio=studio,
    )


async def join_page(request: Request) -> Response:
    """GET: the form on its own page; POST: join, then say what happens next."""
    studio, mini = await _mini_or_404(request)
    db = request.app.state.db
    now = request.app.state.clock()
    offer = await mini_session_offer(db, mini, now)
    if request.method == "GET":
        wanted = id_from_text(request.query_params.get("day"))
        chosen = Preferences(days=frozenset({wanted})) if wanted else None
        return _form_page(request, studio, mini, offer, chosen=chosen)
    form, days, parts = await _read_choices(request)
    values = {k: form.get(k, "")[:400] for k in ("name", "email", "phone")}
    chosen = _preferences(offer, days, parts)
    tz = offer.days[0].location.timezone if offer.days else studio.timezone
    try:
        details = validate_details(
            values["name"], values["email"], values["phone"], default_region=region_for_timezone(tz)
        )
    except InvalidDetails as exc:
        return _form_page(
            request,
            studio,
            mini,
            offer,
            values=values,
            chosen=chosen,
            errors=exc.errors,
            status_code=422,
        )
    address = request.client.host if request.client else ""
    refusal = await request.app.state.hold_limiter.attempt(address, details.email)
    if refusal is not None:
        return too_many_holds(request, studio, mini, refusal)
    public_id = await join_waitlist(
        db,
        studio=studio,
        mini=mini,
        details=details,
        preferences=chosen,
        now=now,
        language=language.chosen_by_client(request),
    )
    leave = f"/waitlist/{request.app.state.tokens.make_waitlist(public_id)}"
    return render(
        request,
        "public/waitlist_joined.html",
        {
            "mini": mini,
            "email": details.email,
            "leave_url": leave,
            "chosen": chosen,
            "offer": offer,
            "part_labels": PART_LABELS,
        },
        studio=studio,
    )


async def claim_page(request: Request) -> Response:
    """The email's link: the spot held for this client; one button takes it into checkout."""
    booking = await booking_or_404(request)
    db = request.app.state.db
    now = request.app.state.clock()
    offer = await offer_of_booking(db, booking.id)
    if offer is None:
        raise HTTPException(404)
    state = offer.state
    if request.method == "POST" and state == "offered":
        state = await claim_offer(db, booking.id, booking.slot_id, now)
    if state == "claimed":
        if booking.status == "booked":
            return to_booking(request, booking)
        if request.method == "POST" and booking.mini.books_on_submit:
            try:
                await book(db, booking, None, now)
            except (SlotUnavailable, WrongState):
                return to_booking(request, booking)
            return to_booking(request, booking)
        return to_booking(request, booking, "quote")
    lapsed = state == "offered" and offer.expires_at <= now
    return render(
        request,
        "public/waitlist_claim.html",
        {
            "booking": booking,
            "offer": offer,
            "state": "lapsed" if lapsed else state,
        },
        status_code=200 if state == "offered" and not lapsed else 410,
        studio=booking.studio,
    )


async def leave_page(request: Request) -> Response:
    """The "leave the waitlist" link: GET asks (mail scanners follow links), POST leaves."""
    public_id = request.app.state.tokens.read_waitlist(request.path_params["token"])
    if public_id is None:
        raise HTTPException(404)
    db = request.app.state.db
    entry = await entry_by_public_id(db, public_id)
    if entry is None:
        raise HTTPException(404)
    mini = await mini_session_by_id(db, entry.mini_session_id)
    studio = await studio_by_id(db, mini.studio_id) if mini else None
    if mini is None or studio is None:
        raise HTTPException(404)
    state = entry.state
    if request.method == "POST" and state in ("waiting", "offered"):
        await leave_waitlist(db, entry.id, request.app.state.clock())
        state = "left"
    return render(
        request,
        "public/waitlist_leave.html",
        {"mini": mini, "entry": entry, "state": state},
        studio=studio,
    )


routes: list[BaseRoute] = [
    Route("/b/{token}/claim", claim_page, methods=["GET", "POST"]),
    Route("/waitlist/{token}", leave_page, methods=["GET", "POST"]),
    Route("/embed/{studio}/{mini}/waitlist", join_page, methods=["GET", "POST"]),
    Route("/{studio}/{mini}/waitlist", join_page, methods=["GET", "POST"]),
]
