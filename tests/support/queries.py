"""Reading the database directly in tests, to check what a request really stored."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from databases import Database

from widget_server.db.tables import booking_events, bookings, leads, payments, slots

from .databases import run_db


def rows(url: str, query: sa.Select[Any]) -> list[dict[str, Any]]:
    async def work(db: Database) -> list[dict[str, Any]]:
        found = await db.fetch_all(query)
        # keys(): iterating an asyncpg record yields values, not names.
        return [{k: r[k] for k in r.keys()} for r in found]  # noqa: SIM118

    return run_db(url, work)


def bookings_on(url: str, slot_id: int) -> list[dict[str, Any]]:
    return rows(url, sa.select(bookings).where(bookings.c.slot_id == slot_id))


def all_bookings(url: str) -> list[dict[str, Any]]:
    return rows(url, sa.select(bookings).order_by(bookings.c.id))


def all_leads(url: str) -> list[dict[str, Any]]:
    return rows(url, sa.select(leads).order_by(leads.c.id))


def all_payments(url: str) -> list[dict[str, Any]]:
    return rows(url, sa.select(payments).order_by(payments.c.id))


def event_kinds(url: str, booking_id: int) -> list[str]:
    found = rows(
        url,
        sa.select(booking_events.c.kind)
        .where(booking_events.c.booking_id == booking_id)
        .order_by(booking_events.c.id),
    )
    return [r["kind"] for r in found]


def taken(url: str, slot_id: int) -> int:
    return rows(url, sa.select(slots.c.taken).where(slots.c.id == slot_id))[0]["taken"]
