"""The studio's bookings as flat records: for the CSV export and the calendar feed.

Like booking/dashboard.py, every query filters by the viewer's ``studio_id`` itself,
so neither the export nor a feed can ever carry another studio's clients.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..booking.answers import Answer, answers_of
from ..booking.pricing import Line
from ..db.rows import fetch_all_as
from ..db.tables import (
    bookings,
    leads,
    locations,
    mini_sessions,
    payments,
    quotes,
    refunds,
    session_days,
    slots,
)
from .dashboard import lead_has_live_booking, narrowing
from .statuses import FILTERS

EXPORT_LIMIT = 20_000  # a studio's whole history; far more than a season of minis


@dataclass(frozen=True)
class ExportRow:
    """One booking with its client, place, time and money (minor units)."""

    id: int
    reference: str
    status: str
    lead_status: str
    mini_title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location_name: str
    location_address: str
    client_name: str
    client_email: str
    client_phone: str
    total_minor: int | None  # None: no quote yet (the client never reached it)
    paid_minor: int
    currency: str
    payment_methods: tuple[str, ...]
    created_at: datetime
    utm: dict[str, str]
    # The client's answers, with each question's wording as asked.
    answers: tuple[Answer, ...] = ()
    # The quote's lines (booking/pricing.py), empty without a quote.
    lines: tuple[Line, ...] = ()
    party_size: int = 1
    # For the list's filters (studio/statuses.py): the hold's end, and whether the client
    # has another live booking.
    expires_at: datetime | None = None
    lead_live: bool = False

    def lines_of(self, kind: str) -> int:
        return sum(line.amount_minor for line in self.lines if line.kind == kind)

    @property
    def add_ons(self) -> str:
        """``Album x 2; Print``: what was added, for a spreadsheet cell."""
        return "; ".join(
            line.label + (f" x {line.quantity}" if line.quantity > 1 else "")
            for line in self.lines
            if line.kind == "addon"
        )

    @property
    def balance_minor(self) -> int | None:
        """What the client still owes; never negative (an overpayment is not a debt)."""
        if self.total_minor is None:
            return None
        return max(self.total_minor - self.paid_minor, 0)


class _BookingRecord(NamedTuple):
    """The columns _rows selects."""

    id: int
    reference: str
    status: str
    created_at: datetime
    expires_at: datetime | None
    lead_status: str
    lead_live: bool
    name: str
    email: str
    phone: str
    utm: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location_name: str
    address: str
    total_minor: int | None  # the quote is outer-joined
    currency: str | None
    paid: int
    items: str | None
    party_size: int | None


class _PaymentMethod(NamedTuple):
    booking_id: int
    method: str


def _paid() -> sa.Label[int]:
    """Money received for a booking: succeeded payments less succeeded refunds."""
    received = (
        sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount_minor), 0))
        .where(payments.c.booking_id == bookings.c.id, payments.c.status == "succeeded")
        .scalar_subquery()
    )
    returned = (
        sa.select(sa.func.coalesce(sa.func.sum(refunds.c.amount_minor), 0))
        .where(refunds.c.booking_id == bookings.c.id, refunds.c.status == "succeeded")
        .scalar_subquery()
    )
    return (received - returned).label("paid")


def _utm(raw: str) -> dict[str, str]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


async def _rows(
    db: Database, studio_id: int, condition: sa.ColumnElement[bool], now: datetime
) -> list[ExportRow]:
    query = (
        sa.select(
            bookings.c.id,
            bookings.c.reference,
            bookings.c.status,
            bookings.c.created_at,
            bookings.c.expires_at,
            leads.c.status.label("lead_status"),
            lead_has_live_booking(now).label("lead_live"),
            leads.c.name,
            leads.c.email,
            leads.c.phone,
            leads.c.utm,
            mini_sessions.c.title,
            slots.c.starts_at,
            slots.c.ends_at,
            locations.c.timezone,
            locations.c.name.label("location_name"),
            locations.c.address,
            quotes.c.total_minor,
            quotes.c.currency,
            _paid(),
            quotes.c["items"],
            quotes.c.party_size,
        )
        .join(leads, leads.c.id == bookings.c.lead_id)
        .join(slots, slots.c.id == bookings.c.slot_id)
        .join(session_days, session_days.c.id == slots.c.session_day_id)
        .join(locations, locations.c.id == session_days.c.location_id)
        .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
        .outerjoin(quotes, quotes.c.booking_id == bookings.c.id)
        .where(mini_sessions.c.studio_id == studio_id, condition)
        .order_by(slots.c.starts_at, bookings.c.id)
        .limit(EXPORT_LIMIT)
    )
    found = await fetch_all_as(db, query, _BookingRecord)
    methods: dict[int, set[str]] = {}
    given = await answers_of(db, [r.id for r in found])
    if found:
        ids = [r.id for r in found]
        for p in await fetch_all_as(
            db,
            sa.select(payments.c.booking_id, payments.c.method).where(
                payments.c.booking_id.in_(ids), payments.c.status != "failed"
            ),
            _PaymentMethod,
        ):
            methods.setdefault(p.booking_id, set()).add(p.method)
    return [
        ExportRow(
            id=r.id,
            reference=r.reference,
            status=r.status,
            lead_status=r.lead_status,
            expires_at=r.expires_at,
            lead_live=bool(r.lead_live),
            mini_title=r.title,
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            timezone=r.timezone,
            location_name=r.location_name,
            location_address=r.address,
            client_name=r.name,
            client_email=r.email,
            client_phone=r.phone,
            total_minor=r.total_minor,
            paid_minor=int(r.paid),
            currency=r.currency or "",
            payment_methods=tuple(sorted(methods.get(r.id, ()))),
            created_at=r.created_at,
            utm=_utm(r.utm),
            answers=tuple(given.get(r.id, [])),
            lines=tuple(Line(**item) for item in json.loads(r.items)) if r.items else (),
            party_size=r.party_size or 1,
        )
        for r in found
    ]


async def export_bookings(
    db: Database, studio_id: int, filter_key: str, now: datetime
) -> list[ExportRow]:
    """The studio's bookings in one of the list's FILTERS (the rows the page lists),
    soonest session first."""
    chosen = FILTERS[filter_key]
    found = await _rows(db, studio_id, narrowing(chosen), now)
    return [row for row in found if chosen.keeps(row, now)]


async def feed_bookings(db: Database, studio_id: int, since: datetime) -> list[ExportRow]:
    """Booked (not cancelled, not held) sessions ending after ``since``: the calendar feed."""
    return await _rows(
        db, studio_id, sa.and_(bookings.c.status == "booked", slots.c.ends_at >= since), since
    )
