"""The waitlist: joining, leaving, claiming an offer, and offering open spots.

Freed spots are handed on where they are freed (handoff.py). This module covers the rest:
a client joins (and is offered a suitable open spot at once, if there is one), claims an
offer (one step into checkout) or leaves; the photographer offers a spot by hand; and
``catch_up`` offers any spot that is open while someone it suits waits (a slot or a day
added, capacity raised, or a spot freed by a path that gave it to the public). The
upkeep runs ``catch_up`` for every mini session with a waitlist, and the mini session's
page runs it lazily (when its day summary says anyone waits: booking/offers.py), so a
claim window that lapsed while no process was running is handed on as soon as one is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..db.compiled import Prepared
from ..db.rows import IdRow, fetch_all_as, fetch_one_as
from ..db.tables import bookings, slots, waitlist_entries, waitlist_offers
from ..db.transactions import write_transaction
from ..i18n import known_language
from .availability import mini_slots
from .catalog import MiniSession, Studio, mini_session_by_id
from .details import ClientDetails
from .drops import is_open_to_all
from .errors import NotFound, SlotUnavailable, WrongState
from .events import record_event
from .handoff import (
    Preferences,
    WaitingEntry,
    make_offer,
    offer_slot,
    offerable,
    waiting_entries,
)
from .holds import claim_spot, lock_slot, release_spot, sweep_slot
from .tokens import new_public_id
from .webhook_events import queue_waitlist_event

ACTIVE = ("waiting", "offered")


async def join_waitlist(
    db: Database,
    *,
    studio: Studio,
    mini: MiniSession,
    details: ClientDetails,
    preferences: Preferences,
    now: datetime,
    language: str | None = None,
) -> str:
    """Put the client on the list (once per email: joining again updates what suits them);
    returns the entry's public id. A suitable open spot is offered to them at once, in
    ``language`` (the page's, a key of i18n.LANGUAGES; None: the studio's default)."""
    language = known_language(language)
    async with write_transaction(db):
        existing = await db.fetch_one(
            waitlist_entries.update()
            .where(
                waitlist_entries.c.mini_session_id == mini.id,
                sa.func.lower(waitlist_entries.c.email) == details.email.lower(),
                waitlist_entries.c.state.in_(ACTIVE),
            )
            .values(
                preferences=preferences.to_json(),
                updated_at=now,
                **({"language": language} if language else {}),
            )
            .returning(waitlist_entries.c.public_id)
        )
        if existing is not None:
            public_id: str = existing._mapping["public_id"]
        else:
            public_id = new_public_id()
            entry_id = await db.execute(
                waitlist_entries.insert().values(
                    public_id=public_id,
                    studio_id=studio.id,
                    mini_session_id=mini.id,
                    name=details.name,
                    email=details.email,
                    phone=details.phone,
                    preferences=preferences.to_json(),
                    language=language,
                    state="waiting",
                    created_at=now,
                    updated_at=now,
                )
            )
            await queue_waitlist_event(db, entry_id, "waitlist.joined", now)
    await offer_open_spots(db, mini, now)
    return public_id


def anyone_active(mini_session_id: sa.ColumnElement[int]) -> sa.Exists:
    """Whether anyone waits for the mini session, or has an offer not yet settled (the mini
    session page's day summary asks it in the same query: booking/offers.py)."""
    return sa.exists().where(
        waitlist_entries.c.mini_session_id == mini_session_id,
        waitlist_entries.c.state.in_(ACTIVE),
    )


_ANYONE_ACTIVE = Prepared(sa.select(anyone_active(sa.bindparam("mini"))))


async def has_active(db: Database, mini_session_id: int) -> bool:
    """Whether anyone waits for this mini session, or has an offer not yet settled."""
    return bool(await db.fetch_val(_ANYONE_ACTIVE.bind(mini=mini_session_id)))


class _SlotId(NamedTuple):
    slot_id: int


async def catch_up(db: Database, mini: MiniSession, now: datetime) -> int:
    """While anyone waits or has an offer: hand on the mini session's lapsed holds (offers
    included), then offer its open spots. Cheap when nobody does (one indexed query)."""
    if not await has_active(db, mini.id):
        return 0
    lapsed = await fetch_all_as(
        db,
        sa.select(bookings.c.slot_id)
        .join(slots, slots.c.id == bookings.c.slot_id)
        .where(
            slots.c.mini_session_id == mini.id,
            bookings.c.status == "held",
            bookings.c.expires_at <= now,
        )
        .distinct(),
        _SlotId,
    )
    for row in lapsed:
        async with write_transaction(db):
            await lock_slot(db, row.slot_id)
            await sweep_slot(db, row.slot_id, now)
    return await offer_open_spots(db, mini, now)


async def offer_open_spots(db: Database, mini: MiniSession, now: datetime) -> int:
    """Offer each open spot to the first waiting client it suits; one transaction per slot
    (slot lock, then entries: the order every waitlist write takes). Returns offers made."""
    entries = await waiting_entries(db, mini.id)
    if not entries or not is_open_to_all(mini, now):  # a drop opens to everyone at once
        return 0
    open_slots = [
        s
        for s in await mini_slots(
            db, mini_session_id=mini.id, now=now, min_notice_hours=mini.min_notice_hours
        )
        if s.bookable
    ]
    made = 0
    for available in open_slots:
        slot = await offer_slot(db, available.id)
        if slot is None or not any(
            Preferences.from_json(e.preferences).suits(slot) for e in entries
        ):
            continue
        async with write_transaction(db):
            await lock_slot(db, slot.id)
            await sweep_slot(db, slot.id, now)
            made += await _fill(db, slot.id, now)
        entries = await waiting_entries(db, mini.id)
        if not entries:
            break
    return made


async def _fill(db: Database, slot_id: int, now: datetime) -> int:
    """Claim the locked slot's free spots one by one for suitable waiting clients."""
    slot = await offer_slot(db, slot_id)
    if slot is None or not offerable(slot, now):
        return 0
    made = 0
    for entry in await waiting_entries(db, slot.mini_session_id):
        if not Preferences.from_json(entry.preferences).suits(slot):
            continue
        try:
            await claim_spot(db, slot_id, now)
        except SlotUnavailable:
            break
        if await make_offer(db, entry, slot, now):
            made += 1
        else:  # offered something else meanwhile: the spot goes back
            await release_spot(db, slot_id)
    return made


async def advance_waitlists(db: Database, now: datetime) -> int:
    """The upkeep's round: ``catch_up`` for every mini session somebody waits for."""
    rows = await fetch_all_as(
        db,
        sa.select(waitlist_entries.c.mini_session_id.label("id"))
        .where(waitlist_entries.c.state.in_(ACTIVE))
        .distinct(),
        IdRow,
    )
    made = 0
    for row in rows:
        mini = await mini_session_by_id(db, row.id)
        if mini is not None and not mini.archived:
            made += await catch_up(db, mini, now)
    return made


class OfferOfBooking(NamedTuple):
    id: int
    entry_id: int
    state: str
    expires_at: datetime


async def offer_of_booking(db: Database, booking_id: int) -> OfferOfBooking | None:
    return await fetch_one_as(
        db,
        sa.select(
            waitlist_offers.c.id,
            waitlist_offers.c.entry_id,
            waitlist_offers.c.state,
            waitlist_offers.c.expires_at,
        ).where(waitlist_offers.c.booking_id == booking_id),
        OfferOfBooking,
    )


async def claim_offer(db: Database, booking_id: int, slot_id: int, now: datetime) -> str:
    """The client takes the spot offered to them: "claimed" (also when they already had),
    or "lapsed" / "withdrawn" when it is no longer theirs. The hold runs on to its deadline;
    the checkout's own steps renew it as for anyone."""
    async with write_transaction(db):
        await lock_slot(db, slot_id)
        await sweep_slot(db, slot_id, now)  # a window that has passed is handed on first
        row = await db.fetch_one(
            waitlist_offers.update()
            .where(waitlist_offers.c.booking_id == booking_id, waitlist_offers.c.state == "offered")
            .values(state="claimed", settled_at=now)
            .returning(waitlist_offers.c.entry_id)
        )
        if row is not None:
            entry_id = row._mapping["entry_id"]
            await db.execute(
                waitlist_entries.update()
                .where(waitlist_entries.c.id == entry_id)
                .values(state="claimed", updated_at=now)
            )
            await record_event(db, booking_id, "waitlist_claimed", now, entry_id=entry_id)
            await queue_waitlist_event(db, entry_id, "waitlist.claimed", now, booking_id=booking_id)
            return "claimed"
    offer = await offer_of_booking(db, booking_id)
    return offer.state if offer is not None else "withdrawn"


@dataclass(frozen=True)
class EntryView:
    id: int
    public_id: str
    mini_session_id: int
    name: str
    email: str
    state: str


async def entry_by_public_id(db: Database, public_id: str) -> EntryView | None:
    return await fetch_one_as(
        db,
        sa.select(
            waitlist_entries.c.id,
            waitlist_entries.c.public_id,
            waitlist_entries.c.mini_session_id,
            waitlist_entries.c.name,
            waitlist_entries.c.email,
            waitlist_entries.c.state,
        ).where(waitlist_entries.c.public_id == public_id),
        EntryView,
    )


class _LiveOffer(NamedTuple):
    booking_id: int
    slot_id: int


async def leave_waitlist(db: Database, entry_id: int, now: datetime) -> bool:
    """The client leaves the list; a spot on offer to them goes to the next client at once.
    False when they had already left (or claimed)."""
    live = await fetch_one_as(
        db,
        sa.select(waitlist_offers.c.booking_id, waitlist_offers.c.slot_id).where(
            waitlist_offers.c.entry_id == entry_id, waitlist_offers.c.state == "offered"
        ),
        _LiveOffer,
    )
    freed = False
    async with write_transaction(db):
        if live is not None:  # the slot's lock first, as every waitlist write takes it
            await lock_slot(db, live.slot_id)
            withdrawn = await db.fetch_one(
                waitlist_offers.update()
                .where(
                    waitlist_offers.c.booking_id == live.booking_id,
                    waitlist_offers.c.state == "offered",
                )
                .values(state="withdrawn", settled_at=now)
                .returning(waitlist_offers.c.id)
            )
            if withdrawn is not None:
                freed = (
                    await db.fetch_one(
                        bookings.update()
                        .where(bookings.c.id == live.booking_id, bookings.c.status == "held")
                        .values(status="expired")
                        .returning(bookings.c.id)
                    )
                    is not None
                )
        left = await db.fetch_one(
            waitlist_entries.update()
            .where(waitlist_entries.c.id == entry_id, waitlist_entries.c.state.in_(ACTIVE))
            .values(state="left", updated_at=now)
            .returning(waitlist_entries.c.id)
        )
        if live is not None and freed:
            await record_event(db, live.booking_id, "waitlist_left", now, entry_id=entry_id)
            await release_spot(db, live.slot_id, now)
        if left is not None:
            await queue_waitlist_event(db, entry_id, "waitlist.left", now)
    return left is not None


async def offer_by_hand(
    db: Database, *, mini: MiniSession, entry_id: int, slot_id: int, now: datetime
) -> None:
    """The photographer offers a spot of ``slot_id`` to one waiting client, whatever their
    place in the list. SlotUnavailable when the slot has no room or can't be booked,
    WrongState("not_waiting") when the client isn't waiting, NotFound for another mini
    session's slot or client. Nothing is written unless the offer is made."""
    entry = await fetch_one_as(
        db,
        sa.select(*[waitlist_entries.c[f] for f in WaitingEntry._fields]).where(
            waitlist_entries.c.id == entry_id, waitlist_entries.c.mini_session_id == mini.id
        ),
        WaitingEntry,
    )
    slot = await offer_slot(db, slot_id)
    if entry is None or slot is None or slot.mini_session_id != mini.id:
        raise NotFound("waitlist offer")
    if not offerable(slot, now):
        raise SlotUnavailable("blocked" if slot.blocked else "too_soon")
    async with write_transaction(db):
        await lock_slot(db, slot_id)
        await sweep_slot(db, slot_id, now)
        await claim_spot(db, slot_id, now)
        if not await make_offer(db, entry, slot, now, by_hand=True):
            raise WrongState("not_waiting")  # rolls the claim back


@dataclass(frozen=True)
class WaitlistLine:
    """One client on a mini session's list, with their latest offer (dashboard)."""

    id: int
    name: str
    email: str
    phone: str
    preferences: Preferences
    state: str
    created_at: datetime
    offer_state: str | None
    offer_slot_id: int | None
    offer_starts_at: datetime | None
    offer_expires_at: datetime | None
    offer_by_hand: bool
    offer_booking_id: int | None


async def waitlist_of(db: Database, mini_session_id: int) -> list[WaitlistLine]:
    """Everyone who joined this mini session's list, in order, with their latest offer."""
    latest = (
        sa.select(sa.func.max(waitlist_offers.c.id).label("id"), waitlist_offers.c.entry_id)
        .group_by(waitlist_offers.c.entry_id)
        .subquery()
    )
    rows = await db.fetch_all(
        sa.select(
            waitlist_entries,
            waitlist_offers.c.state.label("offer_state"),
            waitlist_offers.c.slot_id.label("offer_slot_id"),
            slots.c.starts_at.label("offer_starts_at"),
            waitlist_offers.c.expires_at.label("offer_expires_at"),
            waitlist_offers.c.by_hand.label("offer_by_hand"),
            waitlist_offers.c.booking_id.label("offer_booking_id"),
        )
        .outerjoin(latest, latest.c.entry_id == waitlist_entries.c.id)
        .outerjoin(waitlist_offers, waitlist_offers.c.id == latest.c.id)
        .outerjoin(slots, slots.c.id == waitlist_offers.c.slot_id)
        .where(waitlist_entries.c.mini_session_id == mini_session_id)
        .order_by(waitlist_entries.c.id)
    )
    lines = []
    for r in rows:
        m = r._mapping
        lines.append(
            WaitlistLine(
                id=m["id"],
                name=m["name"],
                email=m["email"],
                phone=m["phone"],
                preferences=Preferences.from_json(m["preferences"]),
                state=m["state"],
                created_at=m["created_at"],
                offer_state=m["offer_state"],
                offer_slot_id=m["offer_slot_id"],
                offer_starts_at=m["offer_starts_at"],
                offer_expires_at=m["offer_expires_at"],
                offer_by_hand=bool(m["offer_by_hand"]),
                offer_booking_id=m["offer_booking_id"],
            )
        )
    return lines
