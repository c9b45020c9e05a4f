"""Freed spots go to waiting clients first: an offer is a real hold for one of them.

Every path that frees a spot calls ``hand_on`` under the slot's lock (holds.sweep_slot for
lapsed holds, lapsed offers included; holds.release_spot for cancellations, moves away and
replaced holds), so the spot passes from its old holder to the first waiting client it
suits inside the same transaction: ``slots.taken`` never dips, and the public never sees
the spot open while someone on the list could take it. The offer is an ordinary hold row
(status ``held``, ``expires_at`` = the claim deadline) owned by a lead made from the
waiting client's details, so everything that protects holds protects offers too; when
it lapses, the sweep that expires it hands the spot on to the next client, or, with
nobody left, gives it back to the public.

A client has at most one live offer: the entry moves ``waiting → offered`` by a
conditional UPDATE (PostgreSQL: the row picked with SKIP LOCKED, so a transaction never
waits on another's entry while holding a slot lock). This module never moves ``taken``:
callers transfer a freed spot or claim one first (holds.py owns the counter).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from databases import Database

from ..db.outbox import enqueue
from ..db.rows import IdRow, fetch_all_as, fetch_one_as
from ..db.tables import (
    bookings,
    leads,
    locations,
    mini_sessions,
    session_days,
    slots,
    studios,
    waitlist_entries,
    waitlist_offers,
)
from ..formatting import slot_label
from ..i18n import lazy_gettext
from .catalog import MiniSession, Studio
from .events import record_event
from .extras import charged_taxes, insert_quote, opening_quote
from .tokens import new_public_id
from .webhook_events import queue_waitlist_event

# Times of day a waiting client can ask for, by the session's local start hour.
PARTS_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)}
PART_LABELS = {
    "morning": lazy_gettext("Mornings"),
    "afternoon": lazy_gettext("Afternoons"),
    "evening": lazy_gettext("Evenings"),
}


def part_of_day(starts_at: datetime, timezone: str) -> str:
    hour = starts_at.astimezone(ZoneInfo(timezone)).hour
    return next(name for name, (start, end) in PARTS_OF_DAY.items() if start <= hour < end)


@dataclass(frozen=True)
class Preferences:
    """Which days (session day ids) and parts of the day suit a client; empty = any."""

    days: frozenset[int] = frozenset()
    parts: frozenset[str] = frozenset()

    def to_json(self) -> str:
        return json.dumps({"days": sorted(self.days), "parts": sorted(self.parts)})

    @classmethod
    def from_json(cls, text: str) -> Preferences:
        try:
            raw = json.loads(text)
        except ValueError:
            return cls()
        days = raw.get("days", []) if isinstance(raw, dict) else []
        parts = raw.get("parts", []) if isinstance(raw, dict) else []
        return cls(
            days=frozenset(d for d in days if isinstance(d, int)),
            parts=frozenset(p for p in parts if p in PARTS_OF_DAY),
        )

    def suits(self, slot: OfferSlot) -> bool:
        if self.days and slot.session_day_id not in self.days:
            return False
        return not self.parts or part_of_day(slot.starts_at, slot.timezone) in self.parts


class OfferSlot(NamedTuple):
    """A slot with what deciding and making an offer on it needs."""

    id: int
    mini_session_id: int
    session_day_id: int
    starts_at: datetime
    blocked: bool
    timezone: str
    min_notice_hours: int
    claim_window_minutes: int


class WaitingEntry(NamedTuple):
    id: int
    public_id: str
    studio_id: int
    mini_session_id: int
    name: str
    email: str
    phone: str
    preferences: str
    language: str | None = None  # the one they joined in: the offer's lead keeps it


async def offer_slot(db: Database, slot_id: int) -> OfferSlot | None:
    return await fetch_one_as(
        db,
        sa.select(
            slots.c.id,
            slots.c.mini_session_id,
            slots.c.session_day_id,
            slots.c.starts_at,
            slots.c.blocked,
            locations.c.timezone,
            mini_sessions.c.min_notice_hours,
            mini_sessions.c.claim_window_minutes,
        )
        .join(session_days, session_days.c.id == slots.c.session_day_id)
        .join(locations, locations.c.id == session_days.c.location_id)
        .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
        .where(slots.c.id == slot_id),
        OfferSlot,
    )


def offerable(slot: OfferSlot, now: datetime) -> bool:
    """Whether a client could book this slot now (so it may be offered at all)."""
    return not slot.blocked and slot.starts_at >= now + timedelta(hours=slot.min_notice_hours)


async def waiting_entries(db: Database, mini_session_id: int) -> list[WaitingEntry]:
    """The mini session's waiting clients, first come first."""
    return await fetch_all_as(
        db,
        sa.select(*[waitlist_entries.c[f] for f in WaitingEntry._fields])
        .where(
            waitlist_entries.c.mini_session_id == mini_session_id,
            waitlist_entries.c.state == "waiting",
        )
        .order_by(waitlist_entries.c.id),
        WaitingEntry,
    )


class _Lapsed(NamedTuple):
    entry_id: int
    booking_id: int


async def settle_lapsed(db: Database, booking_ids: list[int], now: datetime) -> None:
    """Offers whose holds just lapsed are over, and their clients leave the list."""
    if not booking_ids:
        return
    lapsed = await fetch_all_as(
        db,
        waitlist_offers.update()
        .where(waitlist_offers.c.booking_id.in_(booking_ids), waitlist_offers.c.state == "offered")
        .values(state="lapsed", settled_at=now)
        .returning(waitlist_offers.c.entry_id, waitlist_offers.c.booking_id),
        _Lapsed,
    )
    if lapsed:
        settled = await fetch_all_as(
            db,
            waitlist_entries.update()
            .where(
                waitlist_entries.c.id.in_([r.entry_id for r in lapsed]),
                waitlist_entries.c.state == "offered",
            )
            .values(state="lapsed", updated_at=now)
            .returning(waitlist_entries.c.id),
            IdRow,
        )
        done = {r.id for r in settled}
        for r in lapsed:
            if r.entry_id in done:
                await queue_waitlist_event(
                    db, r.entry_id, "waitlist.lapsed", now, booking_id=r.booking_id
                )


async def hand_on(
    db: Database, slot_id: int, spots: int, now: datetime, lapsed: list[int] | None = None
) -> int:
    """Offer up to ``spots`` just-freed spots of a locked slot to waiting clients it suits.

    ``lapsed``: the hold rows that just expired (their offers, if any, are settled first).
    Returns how many spots were handed on; the caller gives the rest back to the public.
    """
    await settle_lapsed(db, lapsed or [], now)
    if spots <= 0:
        return 0
    slot = await offer_slot(db, slot_id)
    if slot is None or not offerable(slot, now):
        return 0
    handed = 0
    for entry in await waiting_entries(db, slot.mini_session_id):
        if handed == spots:
            break
        if Preferences.from_json(entry.preferences).suits(slot) and await make_offer(
            db, entry, slot, now
        ):
            handed += 1
    return handed


async def _take_entry(db: Database, entry_id: int, now: datetime) -> bool:
    """``waiting → offered`` once; False when someone else offered it something first."""
    pick = sa.select(waitlist_entries.c.id).where(
        waitlist_entries.c.id == entry_id, waitlist_entries.c.state == "waiting"
    )
    if db.url.dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    row = await db.fetch_one(
        waitlist_entries.update()
        .where(
            waitlist_entries.c.id == pick.scalar_subquery(),
            waitlist_entries.c.state == "waiting",
        )
        .values(state="offered", updated_at=now)
        .returning(waitlist_entries.c.id)
    )
    return row is not None


async def make_offer(
    db: Database, entry: WaitingEntry, slot: OfferSlot, now: datetime, *, by_hand: bool = False
) -> bool:
    """Hold one spot of ``slot`` for ``entry`` until its claim deadline and email them.

    The caller owns the spot already (a freed one, or one it claimed) and holds the slot's
    lock. False (nothing written) when the entry is no longer waiting.
    """
    from .bookings import new_reference  # bookings imports holds, which imports this module

    if not await _take_entry(db, entry.id, now):
        return False
    row = await db.fetch_one(
        sa.select(studios, *[c.label(f"m_{c.name}") for c in mini_sessions.c])
        .join(mini_sessions, mini_sessions.c.studio_id == studios.c.id)
        .where(mini_sessions.c.id == slot.mini_session_id)
    )
    assert row is not None, slot.mini_session_id
    studio = Studio.from_mapping(row._mapping)
    mini = MiniSession.from_mapping(row._mapping, "m_")
    deadline = now + timedelta(minutes=slot.claim_window_minutes)
    lead_id = await db.execute(
        leads.insert().values(
            studio_id=studio.id,
            mini_session_id=mini.id,
            name=entry.name,
            email=entry.email,
            phone=entry.phone,
            language=entry.language,
            status="scheduling_in_progress",
            utm="{}",
            created_at=now,
            updated_at=now,
        )
    )
    booking_id = await db.execute(
        bookings.insert().values(
            public_id=new_public_id(),
            reference=new_reference(),
            lead_id=lead_id,
            slot_id=slot.id,
            status="held",
            expires_at=deadline,
            created_at=now,
        )
    )
    # Priced as the client's own hold would be: the people the price includes, the
    # mini session's taxes, no add-ons or code (they choose those on the checkout).
    quote = opening_quote(
        mini,
        studio.currency,
        slot_label(slot.starts_at, slot.timezone),
        party_size=mini.default_party_size,
        taxes=await charged_taxes(db, studio.id, mini),
    )
    await insert_quote(db, booking_id, quote)
    await db.execute(
        waitlist_offers.insert().values(
            entry_id=entry.id,
            booking_id=booking_id,
            slot_id=slot.id,
            state="offered",
            by_hand=by_hand,
            offered_at=now,
            expires_at=deadline,
        )
    )
    await queue_waitlist_event(
        db,
        entry.id,
        "waitlist.offered",
        now,
        offer={
            "booking_id": booking_id,
            "slot_id": slot.id,
            "starts_at": slot.starts_at.isoformat(),
            "timezone": slot.timezone,
            "claim_by": deadline.isoformat(),
            "by_hand": by_hand,
        },
    )
    await record_event(
        db,
        booking_id,
        "waitlist_offered",
        now,
        slot_id=slot.id,
        entry_id=entry.id,
        expires_at=deadline,
        by_hand=by_hand,
    )
    await enqueue(
        db,
        studio_id=studio.id,
        booking_id=booking_id,
        kind="waitlist_offer",
        recipient=entry.email,
        payload={"slot_id": slot.id, "entry": entry.public_id, "deadline": deadline.isoformat()},
        now=now,
    )
    return True
