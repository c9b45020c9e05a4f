"""Reading one booking with everything the client's pages show about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

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
    studios,
)
from .catalog import Location, MiniSession, Studio
from .quotes import QUOTE_COLUMNS, Quote, quote_from_row
from .texts import in_language


@dataclass(frozen=True)
class PaymentLine:
    id: int
    method: str
    provider_ref: str
    status: str
    amount_minor: int
    currency: str
    created_at: datetime
    # Refunds on this payment that went through or are on their way.
    refunded_minor: int = 0

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor if self.status == "succeeded" else 0


class _PaymentRow(NamedTuple):
    """A payment with what was refunded of it (or is being refunded)."""

    id: int
    method: str
    provider_ref: str
    status: str
    amount_minor: int
    currency: str
    created_at: datetime
    refunded: int


@dataclass(frozen=True)
class BookingView:
    id: int
    public_id: str
    reference: str
    status: str  # held, booked, cancelled, expired
    expires_at: datetime | None
    booked_at: datetime | None
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    lead_id: int
    client_name: str
    client_email: str
    client_phone: str
    client_language: str | None  # the language they booked in (leads.language)
    studio: Studio
    mini: MiniSession
    location: Location
    quote: Quote | None
    quote_accepted: bool
    payments: list[PaymentLine]
    return_url: str = ""  # the host page of an embed booking (web/embed.py checked it)

    @property
    def timezone(self) -> str:
        return self.location.timezone

    @property
    def paid_minor(self) -> int:
        """Money the studio holds for this booking: payments taken less refunds."""
        return sum(
            p.amount_minor - p.refunded_minor for p in self.payments if p.status == "succeeded"
        )

    @property
    def refunded_minor(self) -> int:
        return sum(p.refunded_minor for p in self.payments)

    @property
    def total_minor(self) -> int:
        return self.quote.total_minor if self.quote else 0

    @property
    def balance_minor(self) -> int:
        return max(self.total_minor - self.paid_minor, 0)

    @property
    def currency(self) -> str:
        return self.quote.currency if self.quote else self.studio.currency

    def hold_lapsed(self, now: datetime) -> bool:
        return self.status == "expired" or (
            self.status == "held" and self.expires_at is not None and self.expires_at <= now
        )


def _labelled(table: sa.Table, prefix: str) -> list[sa.Label[object]]:
    return [c.label(prefix + c.name) for c in table.c]


async def load_booking_view(db: Database, public_id: str) -> BookingView | None:
    """The booking with its lead, slot, place, mini session, studio and quote, or None."""
    query = (
        sa.select(
            bookings,
            leads.c.name.label("lead_name"),
            leads.c.email.label("lead_email"),
            leads.c.phone.label("lead_phone"),
            leads.c.language.label("lead_language"),
            slots.c.starts_at,
            slots.c.ends_at,
            *_labelled(studios, "s_"),
            *_labelled(mini_sessions, "m_"),
            *_labelled(locations, "l_"),
            *_labelled(quotes, "q_"),
        )
        .join(leads, leads.c.id == bookings.c.lead_id)
        .join(slots, slots.c.id == bookings.c.slot_id)
        .join(session_days, session_days.c.id == slots.c.session_day_id)
        .join(locations, locations.c.id == session_days.c.location_id)
        .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
        .join(studios, studios.c.id == mini_sessions.c.studio_id)
        .outerjoin(quotes, quotes.c.booking_id == bookings.c.id)
        .where(bookings.c.public_id == public_id)
    )
    row = await db.fetch_one(query)
    if row is None:
        return None
    m = row._mapping
    refunded = (
        sa.select(refunds.c.payment_id, sa.func.sum(refunds.c.amount_minor).label("refunded"))
        .where(refunds.c.booking_id == m["id"], refunds.c.status != "failed")
        .group_by(refunds.c.payment_id)
        .subquery()
    )
    payment_rows = await fetch_all_as(
        db,
        sa.select(payments, sa.func.coalesce(refunded.c.refunded, 0).label("refunded"))
        .outerjoin(refunded, refunded.c.payment_id == payments.c.id)
        .where(payments.c.booking_id == m["id"])
        .order_by(payments.c.id),
        _PaymentRow,
    )
    studio = Studio.from_mapping(m, "s_")
    # The client's pages and emails read the mini session's texts in their language.
    [mini] = await in_language(
        db,
        "mini_session",
        [MiniSession.from_mapping(m, "m_")],
        default_language=studio.default_language,
    )
    quote = None
    if m["q_id"] is not None:
        quote = quote_from_row({k: m["q_" + k] for k in QUOTE_COLUMNS})
    return BookingView(
        id=m["id"],
        public_id=m["public_id"],
        reference=m["reference"],
        status=m["status"],
        expires_at=m["expires_at"],
        booked_at=m["booked_at"],
        slot_id=m["slot_id"],
        starts_at=m["starts_at"],
        ends_at=m["ends_at"],
        lead_id=m["lead_id"],
        client_name=m["lead_name"],
        client_email=m["lead_email"],
        client_phone=m["lead_phone"],
        client_language=m["lead_language"],
        studio=studio,
        mini=mini,
        location=Location.from_mapping(m, "l_"),
        quote=quote,
        quote_accepted=m["q_accepted_at"] is not None,
        return_url=m["return_url"],
        payments=[
            PaymentLine(
                id=p.id,
                method=p.method,
                provider_ref=p.provider_ref,
                status=p.status,
                amount_minor=p.amount_minor,
                currency=p.currency,
                created_at=p.created_at,
                refunded_minor=int(p.refunded),
            )
            for p in payment_rows
        ],
    )


async def load_booking_by_id(db: Database, booking_id: int) -> BookingView | None:
    """The same view, for callers that know the internal id (provider webhooks)."""
    public_id = await db.fetch_val(
        sa.select(bookings.c.public_id).where(bookings.c.id == booking_id)
    )
    return None if public_id is None else await load_booking_view(db, public_id)
