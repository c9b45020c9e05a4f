"""A client's booking from details to booked: the hold, the quote, the payment.

Each step is one transaction that begins by locking the slot (holds.lock_slot),
so every path that changes a booking on a slot is serialised with every other,
and a payment recorded twice, or a step racing another, changes nothing twice.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..db.compiled import Prepared, PreparedInsert
from ..db.insert_once import insert_once
from ..db.rows import IdRow, fetch_one_as
from ..db.tables import bookings, leads, payments, quotes
from ..db.transactions import write_transaction
from ..formatting import slot_label
from .answers import Answer, save_answers
from .availability import SlotAvailability
from .catalog import Location, MiniSession, Studio
from .claims import reclaim_extras, release_extras
from .contracts import Signature, record_signature, signature_of
from .details import ClientDetails
from .errors import InvalidDetails, SlotUnavailable, WrongState
from .events import record_event
from .extras import NO_TAXES, Choice, charged_taxes, check_choice, insert_quote, opening_quote
from .holds import claim_spot, lock_slot, release_spot, sweep_slot, take_spot
from .notices import queue_notices
from .tokens import new_public_id
from .views import BookingView

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
assert len(REFERENCE_ALPHABET) == 32  # a random byte % 32 picks each letter evenly


def new_reference() -> str:
    # One read of the system's randomness, not one per letter (secrets.choice).
    return "M-" + "".join(REFERENCE_ALPHABET[b % 32] for b in secrets.token_bytes(8))


@dataclass(frozen=True)
class NewPayment:
    """A payment to record with a booking. ``provider_ref`` makes it idempotent."""

    method: str
    provider_ref: str
    status: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class StartedBooking:
    public_id: str
    status: str  # "held" (go to the quote) or "booked" (free: straight to confirmation)


# The hold's rows, their INSERTs built once (db/compiled.py).
NEW_LEAD = PreparedInsert(
    leads,
    [
        "studio_id",
        "mini_session_id",
        "name",
        "email",
        "phone",
        "language",
        "status",
        "utm",
        "created_at",
        "updated_at",
    ],
)
NEW_BOOKING = PreparedInsert(
    bookings,
    [
        "public_id",
        "reference",
        "lead_id",
        "slot_id",
        "status",
        "expires_at",
        "created_at",
        "booked_at",
        "return_url",
    ],
)


async def start_booking(
    db: Database,
    *,
    studio: Studio,
    mini: MiniSession,
    slot: SlotAvailability,
    location: Location,
    details: ClientDetails,
    utm: dict[str, str],
    now: datetime,
    return_url: str = "",
    answers: Sequence[Answer] = (),
    party_size: int = 1,
    taxed: bool = True,
) -> StartedBooking:
    """Create the lead and claim the slot: a hold (quote process) or a booking (free).
    A free mini session with a contract is held too, for the checkout where the client
    signs before it books (nothing due).

    ``slot`` comes from ``availability.slot_of`` for this mini session. Raises
    SlotUnavailable for a past, too-soon, blocked or full slot ("taken" when
    full), InvalidDetails for a party size the mini session doesn't take. Nothing is
    written unless the claim succeeds. ``taxed=False``: the caller read that no tax rate
    applies to the mini session (slot_form.SlotForm.taxed), so its taxes aren't read.
    """
    check_choice(mini, [], Choice(party_size=party_size))
    books_now = mini.books_on_submit
    taxes = await charged_taxes(db, studio.id, mini) if taxed else NO_TAXES
    # One live hold per client and mini session: submitting again moves it, so one
    # person (or a script with one address book) can't hold a mini session's times.
    previous = None if books_now else await live_hold_of(db, mini.id, details.email, now)
    own_spot = previous is not None and previous.slot_id == slot.id
    if slot.unavailable_reason == "full" and not own_spot:
        # Full as of now (lapsed holds already discounted): refuse without
        # queueing for the write lock, as the claim would.
        raise SlotUnavailable("taken")
    if slot.unavailable_reason not in (None, "full"):
        raise SlotUnavailable(slot.unavailable_reason)
    slot_id = slot.id
    status = "booked" if books_now else "held"
    public_id = new_public_id()

    # A new hold or booking only claims (pages' cached times are dropped, not what a
    # request found full: web/availability_cache.py); moving one frees the old time.
    async with write_transaction(db, claims_only=previous is None):
        if previous is None:
            # The claim first, and only when the slot is full its lock and sweep (holds.py).
            await take_spot(db, slot_id, now)
        else:
            # Both slots locked in id order, like a reschedule, so two can't deadlock.
            for locked in sorted({slot_id, previous.slot_id}):
                await lock_slot(db, locked)
            await sweep_slot(db, slot_id, now)
            await _release_replaced_hold(db, previous, now)
            await claim_spot(db, slot_id, now)
        lead_id = await db.execute(
            NEW_LEAD.bind(
                studio_id=studio.id,
                mini_session_id=mini.id,
                name=details.name,
                email=details.email,
                phone=details.phone,
                language=details.language,
                status="booked" if books_now else "scheduling_in_progress",
                utm=json.dumps(utm),
                created_at=now,
                updated_at=now,
            )
        )
        booking_id = await db.execute(
            NEW_BOOKING.bind(
                public_id=public_id,
                reference=new_reference(),
                lead_id=lead_id,
                slot_id=slot_id,
                status=status,
                expires_at=None if books_now else now + timedelta(minutes=mini.hold_minutes),
                created_at=now,
                booked_at=now if books_now else None,
                return_url=return_url,
            )
        )
        await save_answers(db, booking_id, answers, now)
        if books_now:
            await record_event(db, booking_id, "booked", now, slot_id=slot_id, free=True)
            await queue_notices(db, booking_id, "booked", now, slot_id=slot_id)
        else:
            quote = opening_quote(
                mini,
                studio.currency,
                slot_label(slot.starts_at, location.timezone),
                party_size=party_size,
                taxes=taxes,
            )
            await insert_quote(db, booking_id, quote)
            await record_event(
                db,
                booking_id,
                "hold_created",
                now,
                slot_id=slot_id,
                expires_at=now + timedelta(minutes=mini.hold_minutes),
                **({"replaces": previous.id} if previous else {}),
            )
    return StartedBooking(public_id=public_id, status=status)


class LiveHold(NamedTuple):
    id: int
    slot_id: int


async def live_hold_of(
    db: Database, mini_session_id: int, email: str, now: datetime
) -> LiveHold | None:
    """The client's hold on a time of this mini session that has not lapsed, if any."""
    query = LIVE_HOLD.bind(mini=mini_session_id, email=email.lower(), now=now)
    return await fetch_one_as(db, query, LiveHold)


LIVE_HOLD = Prepared(
    sa.select(bookings.c.id, bookings.c.slot_id)
    .select_from(bookings.join(leads, leads.c.id == bookings.c.lead_id))
    .where(
        leads.c.mini_session_id == sa.bindparam("mini"),
        sa.func.lower(leads.c.email) == sa.bindparam("email", type_=leads.c.email.type),
        # ``status`` is never NULL: inside coalesce() it is no index's column, so SQLite
        # (which keeps no statistics here) starts from the client's own leads
        # (ix_leads_mini_email) and their bookings, not from every live hold of every
        # mini session (a cost that grew with each hold of a drop).
        sa.func.coalesce(bookings.c.status, "") == "held",
        bookings.c.expires_at > sa.bindparam("now", type_=bookings.c.expires_at.type),
    )
    .order_by(bookings.c.id.desc())
    .limit(1)
)


async def _release_replaced_hold(db: Database, hold: LiveHold, now: datetime) -> None:
    """Give back the spot of the client's earlier hold (both slots are locked); a hold
    that was paid, moved or lapsed meanwhile is left alone."""
    released = await fetch_one_as(
        db,
        bookings.update()
        .where(
            bookings.c.id == hold.id,
            bookings.c.status == "held",
            bookings.c.slot_id == hold.slot_id,
        )
        .values(status="expired")
        .returning(bookings.c.id),
        IdRow,
    )
    if released is not None:
        await release_spot(db, hold.slot_id, now)
        await release_extras(db, hold.id)
        await record_event(db, hold.id, "hold_replaced", now, slot_id=hold.slot_id)


class _StatusSlot(NamedTuple):
    status: str
    slot_id: int


async def secure_spot(db: Database, booking_id: int, hold_until: datetime, now: datetime) -> str:
    """Make sure the booking owns its spot, holding it until ``hold_until``.

    Returns "held" or "booked". A hold that lapsed but still owns its spot is
    simply extended; one that was swept re-claims the spot if it is still free,
    else SlotUnavailable("taken"). Needs the slot locked.
    """
    renewed = await db.fetch_one(
        bookings.update()
        .where(bookings.c.id == booking_id, bookings.c.status == "held")
        .values(expires_at=hold_until)
        .returning(bookings.c.id)
    )
    if renewed:
        return "held"
    row = await fetch_one_as(
        db,
        sa.select(bookings.c.status, bookings.c.slot_id).where(bookings.c.id == booking_id),
        _StatusSlot,
    )
    assert row is not None
    if row.status == "booked":
        return "booked"
    if row.status != "expired":
        raise WrongState(row.status)
    await sweep_slot(db, row.slot_id, now)
    await claim_spot(db, row.slot_id, now)
    await reclaim_extras(db, booking_id, now)
    await db.execute(
        bookings.update()
        .where(bookings.c.id == booking_id, bookings.c.status == "expired")
        .values(status="held", expires_at=hold_until)
    )
    await record_event(db, booking_id, "hold_reclaimed", now, expires_at=hold_until)
    return "held"


async def accept_quote(
    db: Database, booking: BookingView, now: datetime, signature: Signature | None = None
) -> None:
    """The client confirmed the quote: note it, and give them a fresh hold for the payment step.

    The hold is renewed on the first confirmation, or when it has lapsed (and
    the spot is still free); confirming again while it runs does not extend
    it, so nobody can keep a slot forever by resubmitting. A mini session with a
    contract needs ``signature`` (kept in the same transaction) unless the booking
    was signed already: else InvalidDetails, and nothing changes.
    """
    if (
        signature is None
        and booking.mini.contract.strip()
        and await signature_of(db, booking.id) is None
    ):
        raise InvalidDetails({"signed_name": "Please read and sign the contract to book."})
    renew = not booking.quote_accepted or booking.hold_lapsed(now)
    hold_until = now + timedelta(minutes=booking.mini.hold_minutes)
    if not renew and booking.expires_at is not None:
        hold_until = booking.expires_at
    async with write_transaction(db):
        await lock_slot(db, booking.slot_id)
        status = await secure_spot(db, booking.id, hold_until, now)
        if signature is not None and status == "held":
            await record_signature(db, booking.id, signature, now)
        if status == "held" and not booking.quote_accepted:
            await db.execute(
                quotes.update()
                .where(quotes.c.booking_id == booking.id, quotes.c.accepted_at.is_(None))
                .values(accepted_at=now)
            )
            await record_event(db, booking.id, "quote_accepted", now, hold_until=hold_until)


async def hold_again(db: Database, booking: BookingView, now: datetime) -> None:
    """The client's hold ran out: hold the same time again, for a full hold, if nobody has
    taken it meanwhile (else SlotUnavailable("taken")). A hold still running is left as it
    is, so nobody keeps a time forever by asking again."""
    if not booking.hold_lapsed(now):
        return
    async with write_transaction(db):
        await lock_slot(db, booking.slot_id)
        await secure_spot(db, booking.id, now + timedelta(minutes=booking.mini.hold_minutes), now)


async def insert_payment_once(
    db: Database, booking_id: int, payment: NewPayment, now: datetime
) -> bool:
    """Record ``payment``; False when this provider reference was already recorded.

    Call inside a transaction that locked the booking's slot first.
    """
    inserted = await insert_once(
        db,
        payments,
        {**payment.__dict__, "booking_id": booking_id, "created_at": now},
        unique=["method", "provider_ref"],
    )
    return inserted is not None


async def book(
    db: Database, booking: BookingView, payment: NewPayment | None, now: datetime
) -> bool:
    """Mark the booking booked, recording ``payment`` with it. Idempotent.

    Queues the confirmation emails (client and photographer) in the same
    transaction, so they exist exactly when the booking does. Returns False
    when this payment was already recorded (a replay: nothing changes).
    Raises SlotUnavailable("taken") when the hold was lost and the slot filled
    meanwhile, WrongState for a cancelled booking; in both cases
    nothing is written.
    """
    async with write_transaction(db):
        await lock_slot(db, booking.slot_id)
        if payment is not None and not await insert_payment_once(db, booking.id, payment, now):
            return False
        status = await secure_spot(db, booking.id, now, now)
        if payment is not None:
            await record_event(
                db,
                booking.id,
                "payment_recorded",
                now,
                method=payment.method,
                status=payment.status,
                amount_minor=payment.amount_minor,
            )
        if status == "booked":
            return True
        await db.execute(
            bookings.update()
            .where(bookings.c.id == booking.id, bookings.c.status == "held")
            .values(status="booked", booked_at=now, expires_at=None)
        )
        await db.execute(
            leads.update()
            # A lead closed while its hold had lapsed opens again when the client books after all.
            .where(leads.c.id == booking.lead_id, leads.c.status != "booked")
            .values(status="booked", updated_at=now)
        )
        await record_event(db, booking.id, "booked", now, slot_id=booking.slot_id)
        await queue_notices(db, booking.id, "booked", now, slot_id=booking.slot_id)
    return True
