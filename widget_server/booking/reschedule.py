"""Moving a booking to another slot of its mini session, atomically.

The client moves within the mini session's rules (``reschedule``); the studio moves
them whatever those rules and the notice period say (``move_for_client``), but never
onto a full, blocked or past slot. Both go through ``_move``:

One transaction locks both slots in id order (so two moves in opposite
directions cannot deadlock on PostgreSQL), sweeps lapsed holds from the new
slot, claims a spot there under the same conditional UPDATE as any booking,
moves the booking only if it is still booked on the old slot, and only then
gives the old spot back. If any step fails, nothing changes: the client keeps
the old time. The payment stays with the booking; it is the same booking.
"""

from __future__ import annotations

from datetime import datetime

from databases import Database

from ..db.tables import bookings
from ..db.transactions import write_transaction
from .availability import SlotAvailability
from .changes import change_options
from .errors import ChangeNotAllowed, SlotUnavailable, WrongState
from .events import record_event
from .holds import claim_spot, lock_slot, release_spot, sweep_slot
from .notices import queue_notices
from .views import BookingView


def check_can_move(booking: BookingView, new_slot: SlotAvailability, now: datetime) -> None:
    """Raise unless ``booking`` may move to ``new_slot`` (a slot of its own mini session)."""
    options = change_options(booking, now)
    if not options.can_reschedule:
        raise ChangeNotAllowed(options.reschedule_reason or "disabled")
    if new_slot.mini_session_id != booking.mini.id:
        raise SlotUnavailable("blocked")
    if new_slot.id == booking.slot_id:
        raise ChangeNotAllowed("same_slot")
    if new_slot.unavailable_reason == "full":
        raise SlotUnavailable("taken")
    if new_slot.unavailable_reason is not None:
        raise SlotUnavailable(new_slot.unavailable_reason)


async def reschedule(
    db: Database, booking: BookingView, new_slot: SlotAvailability, now: datetime
) -> None:
    """Move the booked ``booking`` to ``new_slot``, or raise and change nothing.

    ``new_slot`` comes from ``availability.slot_of`` for the booking's mini
    session. Raises ChangeNotAllowed (switched off, past the cutoff, same
    slot), SlotUnavailable ("taken" when someone got the last spot first), or
    WrongState when the booking changed meanwhile (cancelled, moved in another
    tab).
    """
    check_can_move(booking, new_slot, now)
    await _move(db, booking, new_slot.id, now, by="client")


async def move_for_client(
    db: Database, booking: BookingView, new_slot: SlotAvailability, now: datetime
) -> None:
    """The studio moves ``booking`` to ``new_slot`` (from ``availability.slot_of``).

    Ignores the client's toggle, cutoff and minimum notice. Raises WrongState when the
    booking is not booked, ChangeNotAllowed("same_slot"), or SlotUnavailable: "past",
    "blocked", another mini session's slot, or "taken" when it is full (checked again
    under the lock, so two moves into the last spot can't both win).
    """
    if booking.status != "booked":
        raise WrongState("not_booked")
    if new_slot.mini_session_id != booking.mini.id:
        raise SlotUnavailable("blocked")
    if new_slot.id == booking.slot_id:
        raise ChangeNotAllowed("same_slot")
    if new_slot.unavailable_reason in ("past", "blocked"):
        raise SlotUnavailable(new_slot.unavailable_reason)
    await _move(db, booking, new_slot.id, now, by="studio")


async def _move(
    db: Database, booking: BookingView, new_slot_id: int, now: datetime, *, by: str
) -> None:
    """The move itself, in one transaction; the studio isn't emailed about its own moves."""
    old_slot_id = booking.slot_id
    async with write_transaction(db):
        for slot_id in sorted((old_slot_id, new_slot_id)):
            await lock_slot(db, slot_id)
        await sweep_slot(db, new_slot_id, now)
        await claim_spot(db, new_slot_id, now)
        moved = await db.fetch_one(
            bookings.update()
            .where(
                bookings.c.id == booking.id,
                bookings.c.status == "booked",
                bookings.c.slot_id == old_slot_id,
            )
            .values(slot_id=new_slot_id, rescheduled_from_slot_id=old_slot_id)
            .returning(bookings.c.id)
        )
        if moved is None:
            raise WrongState("moved_or_cancelled")
        await release_spot(db, old_slot_id, now)
        await record_event(
            db,
            booking.id,
            "rescheduled",
            now,
            from_slot_id=old_slot_id,
            to_slot_id=new_slot_id,
            by=by,
        )
        await queue_notices(
            db,
            booking.id,
            "rescheduled",
            now,
            studio_copy=by == "client",
            slot_id=new_slot_id,
            old_slot_id=old_slot_id,
            by=by,
        )
