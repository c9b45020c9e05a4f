"""Claiming and releasing spots on a slot: the no-overbooking guarantee.

``slots.taken`` counts live holds plus bookings; a CHECK keeps it within
``capacity``. It only moves through the conditional UPDATEs below, each inside
a transaction that first locks the slot row (``lock_slot``). Locking first
matters twice over: on SQLite the first statement of a transaction being a
write makes it take the write lock and wait its turn (a read first would fail
with "database is locked" when it later tries to write); on PostgreSQL every
transaction touching a slot locks rows in the same order (slot, then its
bookings), so two of them cannot deadlock.

A hold that has expired still counts in ``taken`` until it is swept; a claim that
finds the slot full sweeps it and tries again (``take_spot``; the other paths sweep
first), and ``release_expired_holds`` sweeps the rest in the background, so an expired
hold never blocks a client.

``take_spot`` (a new hold on one slot, the hot path) skips the separate lock: its
conditional claim is the transaction's first statement on the slot and, when it takes
a spot, it is that row's lock (PostgreSQL locks the row it updates; on SQLite any write
takes the database's one write lock). Only when the slot is full does it take the lock
with ``lock_slot``, sweep, and claim again. Either way the slot's row is locked before
any booking row, so the order above holds.

A spot freed here (a lapsed hold, a release) goes first to the waiting clients of the
mini session (handoff.hand_on), in the same transaction: ``taken`` stays put for a spot
handed on, and drops only for the spots nobody waiting could take.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..db.compiled import Prepared
from ..db.rows import IdRow, fetch_all_as
from ..db.tables import bookings, slots
from ..db.transactions import write_transaction
from .claims import release_extras
from .errors import NotFound, SlotUnavailable
from .events import record_event
from .handoff import hand_on


class _SlotId(NamedTuple):
    slot_id: int


# The statements every claim runs, built once (db/compiled.py): the same SQL as ever.
LOCK_SLOT = Prepared(  # a no-op UPDATE: the row lock
    slots.update()
    .where(slots.c.id == sa.bindparam("slot"))
    .values(taken=slots.c.taken)
    .returning(slots.c.id)
)
EXPIRE_LAPSED_HOLDS = Prepared(
    bookings.update()
    .where(
        bookings.c.slot_id == sa.bindparam("slot"),
        bookings.c.status == "held",
        bookings.c.expires_at <= sa.bindparam("now", type_=bookings.c.expires_at.type),
    )
    .values(status="expired")
    .returning(bookings.c.id)
)
CLAIM_SPOT = Prepared(  # the conditional UPDATE that never overbooks
    slots.update()
    .where(slots.c.id == sa.bindparam("slot"), slots.c.taken < slots.c.capacity)
    .values(taken=slots.c.taken + 1)
    .returning(slots.c.id)
)


async def lock_slot(db: Database, slot_id: int) -> None:
    """Take the slot's row lock for the rest of the transaction (a no-op UPDATE)."""
    row = await db.fetch_one(LOCK_SLOT.bind(slot=slot_id))
    if row is None:
        raise NotFound(f"slot {slot_id}")


async def sweep_slot(db: Database, slot_id: int, now: datetime) -> int:
    """Expire the slot's lapsed holds and give their spots back. Needs ``lock_slot`` first."""
    expired = await fetch_all_as(db, EXPIRE_LAPSED_HOLDS.bind(slot=slot_id, now=now), IdRow)
    if expired:
        for row in expired:
            await release_extras(db, row.id)
            await record_event(db, row.id, "hold_expired", now)
        handed = await hand_on(db, slot_id, len(expired), now, lapsed=[r.id for r in expired])
        if len(expired) > handed:
            await db.execute(
                slots.update()
                .where(slots.c.id == slot_id)
                .values(taken=slots.c.taken - (len(expired) - handed))
            )
    return len(expired)


async def claim_spot(db: Database, slot_id: int, now: datetime) -> None:
    """Take one spot on a locked, swept slot, or raise SlotUnavailable("taken")."""
    claimed = await db.fetch_one(CLAIM_SPOT.bind(slot=slot_id))
    if claimed is None:
        raise SlotUnavailable("taken")


async def take_spot(db: Database, slot_id: int, now: datetime) -> None:
    """Take one spot on the slot for a new hold, or raise SlotUnavailable("taken"): the
    first statement on the slot in its transaction (see the module's docstring).

    A claim that succeeds leaves the slot's lapsed holds, if any, to the next sweep: a
    spot was free anyway, and theirs are still counted in ``taken``, so none of them
    goes to the public before the waiting clients (the sweep hands them on). A claim
    that fails locks the slot, sweeps it (lapsed holds go to waiting clients first,
    handoff.hand_on) and claims once more.
    """
    if await db.fetch_one(CLAIM_SPOT.bind(slot=slot_id)) is not None:
        return
    await lock_slot(db, slot_id)
    await sweep_slot(db, slot_id, now)
    await claim_spot(db, slot_id, now)


async def release_spot(db: Database, slot_id: int, now: datetime | None = None) -> None:
    """Give one spot back (a cancellation, a move away). Needs ``lock_slot`` first.

    With ``now``, the first waiting client it suits is offered it instead; without, it goes
    to the public (the waitlist's sweep, booking/waitlist.py, offers it later).
    """
    if now is not None and await hand_on(db, slot_id, 1, now):
        return
    await db.execute(
        slots.update()
        .where(slots.c.id == slot_id, slots.c.taken > 0)
        .values(taken=slots.c.taken - 1)
    )


async def release_expired_holds(db: Database, now: datetime) -> int:
    """Sweep every slot with lapsed holds, one short transaction each; returns holds expired."""
    rows = await fetch_all_as(
        db,
        sa.select(bookings.c.slot_id)
        .where(bookings.c.status == "held", bookings.c.expires_at <= now)
        .distinct(),
        _SlotId,
    )
    released = 0
    for row in rows:
        async with write_transaction(db):
            await lock_slot(db, row.slot_id)
            released += await sweep_slot(db, row.slot_id, now)
    return released
