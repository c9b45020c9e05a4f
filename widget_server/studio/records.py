"""The studio's bookings and leads as pages for programs (the JSON API): filtered by time
and status, in id order from a cursor, every query filtered by the studio."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from databases import Database

from ..db.rows import fetch_all_as, fetch_one_as
from ..db.tables import bookings, leads, locations, mini_sessions, quotes, session_days, slots


@dataclass(frozen=True)
class BookingEntry:
    id: int
    reference: str
    status: str
    lead_id: int
    lead_status: str
    client_name: str
    client_email: str
    client_phone: str
    mini_slug: str
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    location_name: str
    total_minor: int | None
    currency: str | None
    created_at: datetime
    booked_at: datetime | None
    cancelled_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class BookingFilter:
    status: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    mini_slug: str | None = None


def _booking_query(studio_id: int) -> sa.Select[tuple[object, ...]]:
    return (
        sa.select(
            bookings.c.id,
            bookings.c.reference,
            bookings.c.status,
            bookings.c.lead_id,
            leads.c.status.label("lead_status"),
            leads.c.name.label("client_name"),
            leads.c.email.label("client_email"),
            leads.c.phone.label("client_phone"),
            mini_sessions.c.slug.label("mini_slug"),
            bookings.c.slot_id,
            slots.c.starts_at,
            slots.c.ends_at,
            locations.c.name.label("location_name"),
            quotes.c.total_minor,
            quotes.c.currency,
            bookings.c.created_at,
            bookings.c.booked_at,
            bookings.c.cancelled_at,
            bookings.c.expires_at,
        )
        .join(leads, leads.c.id == bookings.c.lead_id)
        .join(slots, slots.c.id == bookings.c.slot_id)
        .join(session_days, session_days.c.id == slots.c.session_day_id)
        .join(locations, locations.c.id == session_days.c.location_id)
        .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
        .outerjoin(quotes, quotes.c.booking_id == bookings.c.id)
        .where(mini_sessions.c.studio_id == studio_id)
    )


async def bookings_page(
    db: Database, studio_id: int, where: BookingFilter, after_id: int, limit: int
) -> list[BookingEntry]:
    """Up to ``limit`` of the studio's bookings with ids above ``after_id``, oldest first."""
    query = _booking_query(studio_id).where(bookings.c.id > after_id)
    if where.status:
        query = query.where(bookings.c.status == where.status)
    if where.created_after:
        query = query.where(bookings.c.created_at >= where.created_after)
    if where.created_before:
        query = query.where(bookings.c.created_at < where.created_before)
    if where.starts_after:
        query = query.where(slots.c.starts_at >= where.starts_after)
    if where.starts_before:
        query = query.where(slots.c.starts_at < where.starts_before)
    if where.mini_slug:
        query = query.where(mini_sessions.c.slug == where.mini_slug)
    return await fetch_all_as(db, query.order_by(bookings.c.id).limit(limit), BookingEntry)


async def booking_entry(db: Database, studio_id: int, booking_id: int) -> BookingEntry | None:
    """One of the studio's bookings; None for another studio's (the same as none at all)."""
    return await fetch_one_as(
        db, _booking_query(studio_id).where(bookings.c.id == booking_id), BookingEntry
    )


@dataclass(frozen=True)
class LeadEntry:
    id: int
    status: str
    name: str
    email: str
    phone: str
    mini_slug: str
    utm: str
    created_at: datetime
    updated_at: datetime

    @property
    def utm_tags(self) -> dict[str, str]:
        try:
            tags = json.loads(self.utm)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}


def _lead_query(studio_id: int) -> sa.Select[tuple[object, ...]]:
    return (
        sa.select(
            leads.c.id,
            leads.c.status,
            leads.c.name,
            leads.c.email,
            leads.c.phone,
            mini_sessions.c.slug.label("mini_slug"),
            leads.c.utm,
            leads.c.created_at,
            leads.c.updated_at,
        )
        .join(mini_sessions, mini_sessions.c.id == leads.c.mini_session_id)
        .where(leads.c.studio_id == studio_id)
    )


async def leads_page(
    db: Database,
    studio_id: int,
    *,
    status: str | None,
    created_after: datetime | None,
    created_before: datetime | None,
    after_id: int,
    limit: int,
) -> list[LeadEntry]:
    query = _lead_query(studio_id).where(leads.c.id > after_id)
    if status:
        query = query.where(leads.c.status == status)
    if created_after:
        query = query.where(leads.c.created_at >= created_after)
    if created_before:
        query = query.where(leads.c.created_at < created_before)
    return await fetch_all_as(db, query.order_by(leads.c.id).limit(limit), LeadEntry)


async def lead_entry(db: Database, studio_id: int, lead_id: int) -> LeadEntry | None:
    return await fetch_one_as(db, _lead_query(studio_id).where(leads.c.id == lead_id), LeadEntry)


async def booking_ids_of_leads(db: Database, lead_ids: list[int]) -> dict[int, list[int]]:
    """Each lead's bookings' ids, in order: one query for a page."""
    found: dict[int, list[int]] = {lead_id: [] for lead_id in lead_ids}
    if not lead_ids:
        return found
    rows = await db.fetch_all(
        sa.select(bookings.c.lead_id, bookings.c.id)
        .where(bookings.c.lead_id.in_(lead_ids))
        .order_by(bookings.c.id)
    )
    for row in rows:
        found[int(row._mapping["lead_id"])].append(int(row._mapping["id"]))
    return found
