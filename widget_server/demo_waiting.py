"""The demo's sold-out mini session with a waitlist (every spot booked, three clients
waiting) and one that opens later (a scheduled drop with early access). Seeded into new
and existing demo databases alike (``seed_waitlist_demo``, ``seed_drop_demo``)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from .booking.bookings import new_reference
from .booking.catalog import MiniSession, mini_session_by_id, studio_by_slug
from .booking.handoff import Preferences
from .booking.quotes import quote_for
from .booking.slots import SessionDayPlan, create_session_day
from .booking.tokens import new_public_id
from .db.rows import fetch_all_as
from .db.tables import (
    bookings,
    leads,
    locations,
    mini_sessions,
    payments,
    quotes,
    slots,
    waitlist_entries,
)
from .db.transactions import write_transaction
from .formatting import slot_label

SOLD_OUT = "sunflower-minis"
BOOKED_BY = ["Maya Chen", "Luis Ortega", "Priya Nair", "Tom Becker", "Ana Souza", "Jon Park"]
WAITING = [("Erin Walsh", ["evening"]), ("Sam Okafor", []), ("Lena Fischer", ["afternoon"])]


class _Slot(NamedTuple):
    id: int
    starts_at: datetime


def _next_saturday(today: date) -> date:
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


async def seed_waitlist_demo(db: Database, now: datetime) -> bool:
    """Add the sold-out mini session to the demo studio unless it is there; True if added."""
    studio = await studio_by_slug(db, "demo")
    if studio is None:
        return False
    exists = await db.fetch_val(
        sa.select(mini_sessions.c.id).where(
            mini_sessions.c.studio_id == studio.id, mini_sessions.c.slug == SOLD_OUT
        )
    )
    if exists is not None:
        return False
    async with write_transaction(db):
        field = await db.execute(
            locations.insert().values(
                studio_id=studio.id,
                name="Sunflower field, Hudson Valley",
                address="Route 9G, Tivoli, NY",
                map_url="https://maps.google.com/?q=Tivoli+NY",
                notes="Follow the hand-painted signs from the farm stand.",
                timezone="America/New_York",
            )
        )
        mini_id = await db.execute(
            mini_sessions.insert().values(
                studio_id=studio.id,
                slug=SOLD_OUT,
                title="Sunflower Minis",
                description=(
                    "Fifteen minutes in a field of sunflowers at golden hour. It sold out in "
                    "an hour: join the waitlist and a spot that frees up is held for you."
                ),
                image_url="/static/demo-fall.svg",
                price_minor=17500,
                deposit_minor=5000,
                visibility="public",
                booking_process="quote",
                payment_methods="stripe demo offline",
                hold_minutes=15,
                min_notice_hours=2,
                change_cutoff_hours=24,
                cancel_refund_policy="keep_deposit",
                claim_window_minutes=120,
                terms="The deposit is non-refundable; the balance is due on the day.",
            )
        )
        day = _next_saturday(now.date()) + timedelta(days=7)
        await create_session_day(
            db,
            mini_session_id=mini_id,
            location_id=field,
            plan=SessionDayPlan(day, time(16, 0), time(18, 0), 15, 5, 1, "America/New_York"),
        )
        mini = await mini_session_by_id(db, mini_id)
        assert mini is not None
        slot_rows = await fetch_all_as(
            db,
            sa.select(slots.c.id, slots.c.starts_at)
            .where(slots.c.mini_session_id == mini_id)
            .order_by(slots.c.starts_at),
            _Slot,
        )
        for n, slot in enumerate(slot_rows):
            name = BOOKED_BY[n % len(BOOKED_BY)]
            await _booked(db, studio.id, studio.currency, mini, slot.id, slot.starts_at, name, now)
        for n, (name, parts) in enumerate(WAITING):
            await db.execute(
                waitlist_entries.insert().values(
                    public_id=new_public_id(),
                    studio_id=studio.id,
                    mini_session_id=mini_id,
                    name=name,
                    email=name.split()[0].lower() + "@example.com",
                    phone="+12125550100",
                    preferences=Preferences(parts=frozenset(parts)).to_json(),
                    state="waiting",
                    created_at=now - timedelta(hours=len(WAITING) - n),
                    updated_at=now,
                )
            )
    return True


async def _booked(
    db: Database,
    studio_id: int,
    currency: str,
    mini: MiniSession,
    slot_id: int,
    starts_at: datetime,
    name: str,
    now: datetime,
) -> None:
    """One paid booking, as the flow would have left it (taken counted, deposit paid)."""
    await db.execute(slots.update().where(slots.c.id == slot_id).values(taken=slots.c.taken + 1))
    lead_id = await db.execute(
        leads.insert().values(
            studio_id=studio_id,
            mini_session_id=mini.id,
            name=name,
            email=name.split()[0].lower() + ".booked@example.com",
            phone="+12125550101",
            status="booked",
            utm=json.dumps({}),
            created_at=now,
            updated_at=now,
        )
    )
    booking_id = await db.execute(
        bookings.insert().values(
            public_id=new_public_id(),
            reference=new_reference(),
            lead_id=lead_id,
            slot_id=slot_id,
            status="booked",
            created_at=now,
            booked_at=now,
        )
    )
    quote = quote_for(mini, currency, slot_label(starts_at, "America/New_York"))
    await db.execute(
        quotes.insert().values(
            booking_id=booking_id,
            currency=quote.currency,
            items=quote.items_json(),
            total_minor=quote.total_minor,
            due_now_minor=quote.due_now_minor,
            terms=quote.terms,
            accepted_at=now,
        )
    )
    await db.execute(
        payments.insert().values(
            booking_id=booking_id,
            method="demo",
            provider_ref=f"demo-seed-{booking_id}",
            status="succeeded",
            amount_minor=quote.due_now_minor,
            currency=currency,
            created_at=now,
        )
    )


DROP = "spring-minis"
DROP_EARLY_KEY = "demo-early-access"  # printed by `minis demo`; a real one is random


async def seed_drop_demo(db: Database, now: datetime) -> bool:
    """Add the mini session that opens to everyone in two days, and to early access (the
    printed link) already; True if added. In an older demo database it opens as time
    passes, which is the point."""
    studio = await studio_by_slug(db, "demo")
    if studio is None:
        return False
    exists = await db.fetch_val(
        sa.select(mini_sessions.c.id).where(
            mini_sessions.c.studio_id == studio.id, mini_sessions.c.slug == DROP
        )
    )
    if exists is not None:
        return False
    opens_at = (now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    async with write_transaction(db):
        park = await db.fetch_val(
            sa.select(locations.c.id)
            .where(locations.c.studio_id == studio.id)
            .order_by(locations.c.id)
            .limit(1)
        )
        mini_id = await db.execute(
            mini_sessions.insert().values(
                studio_id=studio.id,
                slug=DROP,
                title="Spring Blossom Minis",
                description=(
                    "Cherry blossoms, twenty minutes, twelve edited images. These go fast: "
                    "booking opens at a set time, and past clients get early access."
                ),
                image_url="/static/demo-fall.svg",
                price_minor=25000,
                deposit_minor=10000,
                visibility="public",
                booking_process="quote",
                payment_methods="stripe demo offline",
                hold_minutes=15,
                min_notice_hours=2,
                terms="The deposit is non-refundable.",
                opens_at=opens_at,
                early_opens_at=now - timedelta(hours=1),
                early_access_key=DROP_EARLY_KEY,
            )
        )
        for week in (3, 4):
            day = _next_saturday(now.date()) + timedelta(days=7 * (week - 1))
            await create_session_day(
                db,
                mini_session_id=mini_id,
                location_id=park,
                plan=SessionDayPlan(day, time(9, 0), time(12, 0), 20, 5, 1, "America/New_York"),
            )
    return True
