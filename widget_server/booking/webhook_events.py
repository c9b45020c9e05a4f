"""Which booking events studios can subscribe to, and what each delivery says.

``record_event`` (events.py) calls ``queue_for_event`` in the transaction of every change it
logs; the kinds below become deliveries (db/webhook_outbox.py) to the studio's endpoints
that want them, so a webhook exists exactly when its change committed. The payload says
what a CRM or a sheet needs: the booking, its client, time and place, and the money that
moved; nothing else (never the client's secret link).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from databases import Database

from ..db.compiled import Prepared
from ..db.tables import (
    bookings,
    leads,
    locations,
    mini_sessions,
    quotes,
    session_days,
    slots,
    waitlist_entries,
    webhook_endpoints,
)
from ..db.webhook_outbox import queue_event, studio_wants

EVENT_TYPES = {
    "booking.held": "A client started booking: the spot is held while they pay.",
    "booking.booked": "A booking is confirmed (paid, free, or to be paid offline).",
    "booking.rescheduled": "A booking moved to another time.",
    "booking.cancelled": "A booking was cancelled (by the client, the studio, or unpaid).",
    "payment.received": "Money arrived for a booking (card, or marked paid offline).",
    "payment.refunded": "Money went back to the client.",
    "lead.closed": "The photographer closed a lead.",
    "waitlist.joined": "A client joined a mini session's waitlist.",
    "waitlist.offered": "A freed spot was offered to a waiting client, held until a deadline.",
    "waitlist.claimed": "A waiting client claimed the spot offered to them (now at checkout).",
    "waitlist.lapsed": "An offer's claim window passed unclaimed: the spot went on.",
    "waitlist.left": "A client left the waitlist.",
}


def event_type_for(kind: str, detail: dict[str, Any]) -> str | None:
    """The webhook event a booking log entry is, if any."""
    if kind == "hold_created":
        return "booking.held"
    if kind in ("booked", "rescheduled", "cancelled"):
        return f"booking.{kind}"
    if kind == "payment_recorded" and detail.get("status") == "succeeded":
        return "payment.received"
    if kind == "offline_payment_received":
        return "payment.received"
    if kind == "refund_recorded" and detail.get("status") != "failed":
        return "payment.refunded"
    return None


async def booking_data(db: Database, booking_id: int) -> tuple[int, dict[str, Any]] | None:
    """(studio id, the booking as a delivery shows it), read inside the change's transaction."""
    row = await db.fetch_one(
        sa.select(
            bookings.c.id,
            bookings.c.reference,
            bookings.c.status,
            bookings.c.slot_id,
            bookings.c.lead_id,
            bookings.c.created_at,
            bookings.c.booked_at,
            bookings.c.cancelled_at,
            slots.c.starts_at,
            slots.c.ends_at,
            mini_sessions.c.studio_id,
            mini_sessions.c.slug.label("mini"),
            mini_sessions.c.title.label("mini_title"),
            locations.c.name.label("location"),
            locations.c.timezone,
            leads.c.name,
            leads.c.email,
            leads.c.phone,
            leads.c.status.label("lead_status"),
            quotes.c.total_minor,
            quotes.c.currency,
        )
        .join(slots, slots.c.id == bookings.c.slot_id)
        .join(session_days, session_days.c.id == slots.c.session_day_id)
        .join(locations, locations.c.id == session_days.c.location_id)
        .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
        .join(leads, leads.c.id == bookings.c.lead_id)
        .outerjoin(quotes, quotes.c.booking_id == bookings.c.id)
        .where(bookings.c.id == booking_id)
    )
    if row is None:
        return None
    r = row._mapping
    return int(r["studio_id"]), {
        "id": r["id"],
        "reference": r["reference"],
        "status": r["status"],
        "mini": r["mini"],
        "mini_title": r["mini_title"],
        "slot_id": r["slot_id"],
        "starts_at": r["starts_at"].isoformat(),
        "ends_at": r["ends_at"].isoformat(),
        "location": r["location"],
        "timezone": r["timezone"],
        "lead_id": r["lead_id"],
        "lead_status": r["lead_status"],
        "client": {"name": r["name"], "email": r["email"], "phone": r["phone"]},
        "total": {"amount_minor": r["total_minor"] or 0, "currency": r["currency"]},
        "created_at": r["created_at"].isoformat(),
        "booked_at": r["booked_at"].isoformat() if r["booked_at"] else None,
        "cancelled_at": r["cancelled_at"].isoformat() if r["cancelled_at"] else None,
    }


# What of the log entry's detail a delivery carries, per event.
DETAIL_KEYS = {
    "booking.held": ("expires_at",),
    "booking.booked": ("free",),
    "booking.rescheduled": ("from_slot_id", "to_slot_id", "by"),
    "booking.cancelled": ("by", "refund_minor"),
    "payment.received": ("method", "amount_minor", "currency", "payment_id"),
    "payment.refunded": ("method", "amount_minor", "status", "reason"),
}


# The booking, when its studio has a live endpoint; built once (db/compiled.py): every
# change of every booking asks.
WANTS_EVENTS = Prepared(
    sa.select(bookings.c.id)
    .join(slots, slots.c.id == bookings.c.slot_id)
    .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
    .where(
        bookings.c.id == sa.bindparam("booking"),
        sa.exists().where(
            webhook_endpoints.c.studio_id == mini_sessions.c.studio_id,
            webhook_endpoints.c.deleted_at.is_(None),
        ),
    )
)


async def queue_for_event(
    db: Database, booking_id: int, kind: str, detail: dict[str, Any], now: datetime
) -> None:
    event_type = event_type_for(kind, detail)
    if event_type is None:
        return
    # One query when the studio has no endpoint (most studios, most changes).
    wanted = await db.fetch_val(WANTS_EVENTS.bind(booking=booking_id))
    found = await booking_data(db, booking_id) if wanted is not None else None
    if found is None:
        return
    studio_id, booking = found
    extra = {k: detail[k] for k in DETAIL_KEYS.get(event_type, ()) if k in detail}
    if event_type.startswith("payment.") and "currency" not in extra:
        extra["currency"] = booking["total"]["currency"]
    await queue_event(
        db,
        studio_id=studio_id,
        event_type=event_type,
        ordering_key=f"booking:{booking_id}",
        data={"booking": booking, **extra},
        now=now,
    )


async def queue_lead_closed(
    db: Database, studio_id: int, lead_id: int, booking_ids: list[int], now: datetime
) -> None:
    """``lead.closed``, once per lead (its log entry is written on each of its bookings)."""
    if not await studio_wants(db, studio_id):
        return
    row = await db.fetch_one(
        sa.select(leads.c.name, leads.c.email, leads.c.phone, leads.c.status).where(
            leads.c.id == lead_id
        )
    )
    if row is None:
        return
    r = row._mapping
    await queue_event(
        db,
        studio_id=studio_id,
        event_type="lead.closed",
        ordering_key=f"lead:{lead_id}",
        data={
            "lead": {
                "id": lead_id,
                "status": r["status"],
                "client": {"name": r["name"], "email": r["email"], "phone": r["phone"]},
                "booking_ids": booking_ids,
            }
        },
        now=now,
    )


async def queue_waitlist_event(
    db: Database, entry_id: int, event_type: str, now: datetime, **extra: Any
) -> None:
    """A ``waitlist.*`` event for one entry, in the transaction of its change. Ordered per
    entry (joined, offered, claimed or lapsed or left), as a booking's events are."""
    has_endpoint = sa.exists().where(
        webhook_endpoints.c.studio_id == waitlist_entries.c.studio_id,
        webhook_endpoints.c.deleted_at.is_(None),
    )
    row = await db.fetch_one(
        sa.select(
            waitlist_entries.c.id,
            waitlist_entries.c.studio_id,
            waitlist_entries.c.state,
            waitlist_entries.c.name,
            waitlist_entries.c.email,
            waitlist_entries.c.phone,
            waitlist_entries.c.preferences,
            waitlist_entries.c.created_at,
            mini_sessions.c.slug.label("mini"),
            mini_sessions.c.title.label("mini_title"),
        )
        .join(mini_sessions, mini_sessions.c.id == waitlist_entries.c.mini_session_id)
        .where(waitlist_entries.c.id == entry_id, has_endpoint)
    )
    if row is None:  # no such entry, or (most studios) no endpoint
        return
    r = row._mapping
    try:
        wanted = json.loads(r["preferences"])
    except ValueError:
        wanted = {}
    entry = {
        # Never the entry's public id: it is the secret of the client's "leave" link.
        "id": r["id"],
        "state": r["state"],
        "mini": r["mini"],
        "mini_title": r["mini_title"],
        "client": {"name": r["name"], "email": r["email"], "phone": r["phone"]},
        "preferences": {
            "session_day_ids": wanted.get("days", []) if isinstance(wanted, dict) else [],
            "parts_of_day": wanted.get("parts", []) if isinstance(wanted, dict) else [],
        },
        "created_at": r["created_at"].isoformat(),
    }
    await queue_event(
        db,
        studio_id=int(r["studio_id"]),
        event_type=event_type,
        ordering_key=f"waitlist:{entry_id}",
        data={"entry": entry, **extra},
        now=now,
    )
