"""Scheduled emails: the reminder N hours before a session, and the balance reminder.

``queue_due_reminders`` runs on every round of the sender loop with the
clock's "now". A reminder is due once ``now`` is within the mini session's
``reminder_hours`` of the start; it is queued with a dedupe key naming the
booking and its slot, so however many rounds or processes run, each booking
gets one reminder per time it is booked for (a reschedule to a new time gets
a new one). Bookings made inside the reminder window get none: their
confirmation has just told them. The balance reminder goes with it whenever
something is still due: after a deposit, and when nothing was paid yet (an
offline booking the studio hasn't marked paid).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..db.outbox import enqueue
from ..db.rows import fetch_all_as
from ..db.tables import bookings, leads, mini_sessions, outbox, slots
from ..db.transactions import write_transaction
from .email_facts import FACTS_KEY, facts_of
from .email_language import email_language
from .events import calendar_sequence
from .views import load_booking_view

# reminder_hours is at most this (a CHECK on mini_sessions).
LONGEST_REMINDER = timedelta(hours=168)


def reminder_key(booking_id: int, slot_id: int) -> str:
    return f"reminder:{booking_id}:{slot_id}"


def balance_key(booking_id: int, slot_id: int) -> str:
    return f"balance:{booking_id}:{slot_id}"


class _DueRow(NamedTuple):
    id: int
    public_id: str
    slot_id: int
    booked_at: datetime | None
    starts_at: datetime
    reminder_hours: int
    studio_id: int
    email: str


async def queue_due_reminders(db: Database, now: datetime) -> int:
    """Queue the reminders that are due now and not queued yet; returns how many."""
    query = (
        sa.select(
            bookings.c.id,
            bookings.c.public_id,
            bookings.c.slot_id,
            bookings.c.booked_at,
            slots.c.starts_at,
            mini_sessions.c.reminder_hours,
            mini_sessions.c.studio_id,
            leads.c.email,
        )
        .join(slots, slots.c.id == bookings.c.slot_id)
        .join(mini_sessions, mini_sessions.c.id == slots.c.mini_session_id)
        .join(leads, leads.c.id == bookings.c.lead_id)
        .where(
            bookings.c.status == "booked",
            mini_sessions.c.reminder_hours > 0,
            slots.c.starts_at > now,
            slots.c.starts_at <= now + LONGEST_REMINDER,
            ~sa.exists().where(
                outbox.c.dedupe_key
                == sa.literal("reminder:")
                + sa.cast(bookings.c.id, sa.String)
                + sa.literal(":")
                + sa.cast(bookings.c.slot_id, sa.String)
            ),
        )
    )
    queued = 0
    for row in await fetch_all_as(db, query, _DueRow):
        remind_at = row.starts_at - timedelta(hours=row.reminder_hours)
        if now < remind_at or (row.booked_at is not None and row.booked_at >= remind_at):
            continue
        view = await load_booking_view(db, row.public_id)
        if view is None or view.status != "booked" or view.slot_id != row.slot_id:
            continue  # cancelled or moved meanwhile: the next round looks again
        # The reminder's calendar file carries the entry's current SEQUENCE.
        facts = facts_of(
            view,
            await calendar_sequence(db, row.id),
            language=await email_language(db, studio_id=view.studio.id, lead_id=view.lead_id),
        )
        async with write_transaction(db):
            enqueue_for_booking = partial(
                enqueue,
                db,
                studio_id=row.studio_id,
                booking_id=row.id,
                recipient=row.email,
                payload={"slot_id": row.slot_id, FACTS_KEY: facts},
                now=now,
            )
            if await enqueue_for_booking(
                kind="reminder", dedupe_key=reminder_key(row.id, row.slot_id)
            ):
                queued += 1
            if view.balance_minor > 0:
                await enqueue_for_booking(
                    kind="balance_reminder", dedupe_key=balance_key(row.id, row.slot_id)
                )
    return queued
