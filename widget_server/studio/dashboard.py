"""What the photographer's dashboard reads: a studio's bookings, a day sheet, event names.

Every function takes the viewer's ``studio_id`` and filters by it in the query
itself, so a request naming another studio's ids finds nothing (the pages turn
that into a 404): scoping is part of the data access, not a check a page may forget.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..booking.answers import Answer, answers_of
from ..booking.catalog import MiniSession
from ..booking.offers import DayOffer, mini_session_offer
from ..booking.pricing import Line
from ..booking.views import BookingView
from ..db.rows import fetch_all_as, fetch_one_as
from ..db.tables import (
    bookings,
    leads,
    locations,
    mini_sessions,
    payments,
    quotes,
    session_days,
    slots,
)
from ..i18n import lazy_gettext
from .statuses import FILTERS, ListFilter

LIST_LIMIT = 500
SCAN_LIMIT = 20_000  # rows read to fill a filtered list: a studio's whole history

# Event kinds (booking/events.py) as the photographer reads them.
EVENT_NAMES = {
    "hold_created": lazy_gettext("Client chose a time (spot held)"),
    "hold_reclaimed": lazy_gettext("Lapsed hold renewed"),
    "hold_expired": lazy_gettext("Hold expired"),
    "hold_replaced": lazy_gettext("Hold given up for another time (the client chose again)"),
    "quote_accepted": lazy_gettext("Quote accepted"),
    "quote_changed": lazy_gettext("Client changed add-ons or code"),
    "addons_adjusted": lazy_gettext("Add-ons adjusted by the studio"),
    "checkout_started": lazy_gettext("Card checkout started"),
    "checkout_expired": lazy_gettext("Card checkout expired"),
    "payment_recorded": lazy_gettext("Payment recorded"),
    "offline_payment_received": lazy_gettext("Offline payment marked as received"),
    "booked": lazy_gettext("Booked"),
    "rescheduled": lazy_gettext("Rescheduled"),
    "cancelled": lazy_gettext("Cancelled"),
    "refund_recorded": lazy_gettext("Refund recorded"),
    "paid_after_slot_taken": lazy_gettext("Paid after the time was taken (refunded)"),
    "paid_when_not_bookable": lazy_gettext(
        "Paid when the booking could no longer be booked (refunded)"
    ),
    "refund_failed": lazy_gettext("Refund failed (the payment provider could not be reached)"),
    "refund_confirmed": lazy_gettext("Refund confirmed"),
    "lead_closed": lazy_gettext("Lead closed"),
    "lead_reopened": lazy_gettext("Lead reopened"),
}


def event_name(kind: str) -> str:
    """A readable name for any event kind, including ones added after this list."""
    return str(EVENT_NAMES.get(kind, kind.replace("_", " ").capitalize()))


@dataclass(frozen=True)
class BookingRow:
    id: int
    reference: str
    status: str
    lead_status: str
    client_name: str
    client_email: str
    client_phone: str
    mini_id: int
    mini_title: str
    session_day_id: int
    starts_at: datetime
    timezone: str
    location_name: str
    expires_at: datetime | None
    created_at: datetime
    lead_live: bool  # any booking of this client is booked or holds a spot right now


def lead_has_live_booking(now: datetime) -> sa.ColumnElement[bool]:
    """Whether the lead of the row has a live booking (booked, or a hold still running)."""
    other = bookings.alias("other")
    return sa.exists().where(
        other.c.lead_id == leads.c.id,
        sa.or_(
            other.c.status == "booked",
            sa.and_(other.c.status == "held", other.c.expires_at > now),
        ),
    )


async def list_bookings(
    db: Database, studio_id: int, filter_key: str, now: datetime
) -> list[BookingRow]:
    """The studio's bookings in one of the list's FILTERS (studio/statuses.py: a row is in a
    filter when its badges say so), soonest session first."""
    chosen = FILTERS[filter_key]
    found = await fetch_all_as(
        db,
        sa.select(
            bookings.c.id,
            bookings.c.reference,
            bookings.c.status,
            bookings.c.expires_at,
            bookings.c.created_at,
            leads.c.status.label("lead_status"),
            lead_has_live_booking(now).label("lead_live"),
            leads.c.name.label("client_name"),
            leads.c.email.label("client_email"),
            leads.c.phone.label("client_phone"),
            mini_sessions.c.id.label("mini_id"),
            mini_sessions.c.title.label("mini_title"),
            slots.c.session_day_id,
            slots.c.starts_at,
            locations.c.timezone,
            locations.c.name.label("location_name"),
        )
        .join(leads, leads.c.id == bookings.c.lead_id)
        .join(slots, slots.c.id == bookings.c.slot_id)
        .join(session_days, session_days.c.id == slots.c.session_day_id)
        .join(locations, locations.c.id == session_days.c.location_id)
        .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
        .where(mini_sessions.c.studio_id == studio_id, narrowing(chosen))
        .order_by(slots.c.starts_at, bookings.c.id)
        .limit(SCAN_LIMIT),
        BookingRow,
    )
    return [row for row in found if chosen.keeps(row, now)][:LIST_LIMIT]


def narrowing(chosen: ListFilter) -> sa.ColumnElement[bool]:
    """The rows a filter can hold, for the database to skip the others (the filter's
    ``keeps`` decides among them)."""
    conditions: list[sa.ColumnElement[bool]] = [sa.true()]
    if chosen.booking_statuses is not None:
        conditions.append(bookings.c.status.in_(sorted(chosen.booking_statuses)))
    if chosen.lead_statuses is not None:
        conditions.append(leads.c.status.in_(sorted(chosen.lead_statuses)))
    return sa.and_(*conditions)


@dataclass(frozen=True)
class DayLink:
    mini_id: int
    mini_title: str
    day_id: int
    date: date
    location_name: str


async def upcoming_days(db: Database, studio_id: int, today: date) -> list[DayLink]:
    """The studio's session days from ``today`` on: the way into the day sheets."""
    return await fetch_all_as(
        db,
        sa.select(
            session_days.c.id.label("day_id"),
            session_days.c.date,
            mini_sessions.c.id.label("mini_id"),
            mini_sessions.c.title.label("mini_title"),
            locations.c.name.label("location_name"),
        )
        .join(mini_sessions, mini_sessions.c.id == session_days.c.mini_session_id)
        .join(locations, locations.c.id == session_days.c.location_id)
        .where(mini_sessions.c.studio_id == studio_id, session_days.c.date >= today)
        .order_by(session_days.c.date, session_days.c.start_time, session_days.c.id)
        .limit(LIST_LIMIT),
        DayLink,
    )


@dataclass(frozen=True)
class SheetEntry:
    """One client on a slot, with where their money stands."""

    booking_id: int
    reference: str
    status: str
    client_name: str
    client_email: str
    client_phone: str
    expires_at: datetime | None
    paid_minor: int
    pending_minor: int
    # The currency the client paid in; a studio that changed currency since keeps this one.
    currency: str | None = None
    # The client's answers to the mini session's questions, as asked.
    answers: tuple[Answer, ...] = ()
    # What the photographer brings or expects: "4 people · Album x 2" (from the quote).
    extras: str = ""


@dataclass
class SheetSlot:
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    blocked: bool
    entries: list[SheetEntry] = field(default_factory=list)


@dataclass(frozen=True)
class DaySheet:
    mini_id: int
    mini_title: str
    currency: str
    day_id: int
    date: date
    start_time: time
    end_time: time
    location_name: str
    location_address: str
    timezone: str
    slots: list[SheetSlot]


class _SheetDayRow(NamedTuple):
    date: date
    start_time: time
    end_time: time
    title: str
    location_name: str
    address: str
    timezone: str


class _SheetEntryRow(NamedTuple):
    id: int
    reference: str
    status: str
    expires_at: datetime | None
    slot_id: int
    name: str
    email: str
    phone: str
    paid: int
    pending: int
    currency: str | None


# Bookings a day sheet shows: those holding or having held a spot worth knowing about.
SHEET_STATUSES = ("held", "booked")


async def day_sheet(
    db: Database, studio_id: int, mini_id: int, day_id: int, currency: str
) -> DaySheet | None:
    """A session day's slots and who is on each, or None when the studio has no such day."""
    day = await fetch_one_as(
        db,
        sa.select(
            session_days,
            mini_sessions.c.title,
            locations.c.name.label("location_name"),
            locations.c.address,
            locations.c.timezone,
        )
        .join(mini_sessions, mini_sessions.c.id == session_days.c.mini_session_id)
        .join(locations, locations.c.id == session_days.c.location_id)
        .where(
            session_days.c.id == day_id,
            session_days.c.mini_session_id == mini_id,
            mini_sessions.c.studio_id == studio_id,
        ),
        _SheetDayRow,
    )
    if day is None:
        return None
    slot_rows = await fetch_all_as(
        db,
        sa.select(slots).where(slots.c.session_day_id == day_id).order_by(slots.c.starts_at),
        SheetSlot,
    )
    sheet_slots = {s.id: s for s in slot_rows}
    paid = sa.func.coalesce(
        sa.func.sum(sa.case((payments.c.status == "succeeded", payments.c.amount_minor), else_=0)),
        0,
    )
    pending = sa.func.coalesce(
        sa.func.sum(sa.case((payments.c.status == "pending", payments.c.amount_minor), else_=0)),
        0,
    )
    entry_rows = await fetch_all_as(
        db,
        sa.select(
            bookings.c.id,
            bookings.c.reference,
            bookings.c.status,
            bookings.c.expires_at,
            bookings.c.slot_id,
            leads.c.name,
            leads.c.email,
            leads.c.phone,
            paid.label("paid"),
            pending.label("pending"),
            sa.func.max(payments.c.currency).label("currency"),
        )
        .join(leads, leads.c.id == bookings.c.lead_id)
        .join(slots, slots.c.id == bookings.c.slot_id)
        .outerjoin(payments, payments.c.booking_id == bookings.c.id)
        .where(slots.c.session_day_id == day_id, bookings.c.status.in_(SHEET_STATUSES))
        .group_by(
            bookings.c.id,
            bookings.c.reference,
            bookings.c.status,
            bookings.c.expires_at,
            bookings.c.slot_id,
            leads.c.name,
            leads.c.email,
            leads.c.phone,
        )
        .order_by(bookings.c.id),
        _SheetEntryRow,
    )
    given = await answers_of(db, [r.id for r in entry_rows])
    extras = await _quote_extras(db, [r.id for r in entry_rows])
    for r in entry_rows:
        sheet_slots[r.slot_id].entries.append(
            SheetEntry(
                booking_id=r.id,
                reference=r.reference,
                status=r.status,
                client_name=r.name,
                client_email=r.email,
                client_phone=r.phone,
                expires_at=r.expires_at,
                paid_minor=int(r.paid),
                pending_minor=int(r.pending),
                currency=r.currency,
                answers=tuple(given.get(r.id, [])),
                extras=extras.get(r.id, ""),
            )
        )
    return DaySheet(
        mini_id=mini_id,
        mini_title=day.title,
        currency=currency,
        day_id=day_id,
        date=day.date,
        start_time=day.start_time,
        end_time=day.end_time,
        location_name=day.location_name,
        location_address=day.address,
        timezone=day.timezone,
        slots=list(sheet_slots.values()),
    )


class _QuoteExtras(NamedTuple):
    booking_id: int
    items: str
    party_size: int


async def _quote_extras(db: Database, booking_ids: list[int]) -> dict[int, str]:
    """Party size (when more than one) and add-ons of each booking, as one line of text."""
    if not booking_ids:
        return {}
    found = await fetch_all_as(
        db,
        sa.select(quotes.c.booking_id, quotes.c["items"], quotes.c.party_size).where(
            quotes.c.booking_id.in_(booking_ids)
        ),
        _QuoteExtras,
    )
    out: dict[int, str] = {}
    for q in found:
        parts = [f"{q.party_size} people"] if q.party_size > 1 else []
        for line in (Line(**item) for item in json.loads(q.items)):
            if line.kind == "addon":
                parts.append(line.label + (f" x {line.quantity}" if line.quantity > 1 else ""))
        out[q.booking_id] = " · ".join(parts)
    return out


async def booking_studio_id(db: Database, booking_id: int) -> int | None:
    """Which studio a booking belongs to (None when there is no such booking)."""
    return await db.fetch_val(
        sa.select(mini_sessions.c.studio_id)
        .join(slots, slots.c.mini_session_id == mini_sessions.c.id)
        .join(bookings, bookings.c.slot_id == slots.c.id)
        .where(bookings.c.id == booking_id)
    )


async def shareable_mini_sessions(db: Database, studio_id: int) -> list[MiniSession]:
    """The studio's mini sessions a client can open by link or embed: public and unlisted."""
    rows = await db.fetch_all(
        mini_sessions.select()
        .where(
            mini_sessions.c.studio_id == studio_id,
            mini_sessions.c.visibility != "draft",
            mini_sessions.c.archived == sa.false(),
        )
        .order_by(mini_sessions.c.id)
    )
    return [MiniSession.from_mapping(r._mapping) for r in rows]


async def move_targets(db: Database, booking: BookingView, now: datetime) -> list[DayOffer]:
    """Where the studio can move ``booking``: every upcoming slot of its mini session with
    room (any day and location, the client's notice period aside), but its own."""
    anytime = dataclasses.replace(booking.mini, min_notice_hours=0)
    offer = await mini_session_offer(db, anytime, now)
    days = []
    for day in offer.days:
        open_slots = [s for s in day.slots if s.bookable and s.id != booking.slot_id]
        if open_slots:
            days.append(DayOffer(day=day.day, slots=open_slots))
    return days


class _ClientNameRow(NamedTuple):
    id: int
    name: str


async def client_names(db: Database, studio_id: int, booking_ids: set[int]) -> dict[int, str]:
    """booking id -> the client's name, for lists that name bookings (the emails list)."""
    if not booking_ids:
        return {}
    rows = await fetch_all_as(
        db,
        sa.select(bookings.c.id, leads.c.name)
        .join(leads, leads.c.id == bookings.c.lead_id)
        .where(bookings.c.id.in_(booking_ids), leads.c.studio_id == studio_id),
        _ClientNameRow,
    )
    return {r.id: r.name for r in rows}
