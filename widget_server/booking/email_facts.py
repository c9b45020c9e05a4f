"""What an email about a booking says, taken in the transaction that queues it.

An email says what was true when it was written. A confirmation that waits in the outbox
(an SMTP outage, a slow queue) while the client moves or cancels must still describe the
time, place and amounts it confirmed, and still carry its calendar file. So the booking
as it is at that moment (``BookingView``: slot, place, mini session, studio, quote,
payments), where it was before a move, the SEQUENCE of its calendar entry and the
language the client's email speaks (booking/email_language.py) are written into the
outbox row's payload as JSON (``take_facts``), and the sender renders from them
(``read_facts``). Rows written before facts existed have none and are rendered from the
booking as it is now (and rows without a language, in the lead's language now). The
client's answers are facts too: the photographer's new-booking email lists them as given,
not as corrected later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from databases import Database
from pydantic import TypeAdapter, ValidationError

from ..db.tables import slots
from ..i18n import current_language, use_language
from .answers import Answer, booking_answers
from .catalog import Location
from .email_language import email_language
from .events import calendar_sequence
from .places import location_of_slot
from .views import BookingView, load_booking_by_id

logger = logging.getLogger("minis.mail")

# The payload's key for the facts.
FACTS_KEY = "facts"


@dataclass(frozen=True)
class PlaceAndTime:
    starts_at: datetime
    ends_at: datetime
    location: Location


@dataclass(frozen=True)
class EmailFacts:
    booking: BookingView  # as it was when the email was queued
    calendar_sequence: int  # its calendar entry's SEQUENCE then
    old: PlaceAndTime | None = None  # where a rescheduled booking was before
    # The client's language then (None in rows from before languages: the lead's now).
    language: str | None = None
    # The client's answers then; None: facts taken without them (read as they are now).
    answers: list[Answer] | None = None


@cache
def _facts_adapter() -> TypeAdapter[EmailFacts]:
    """Built on first use: it takes a tenth of a second, which a process start needn't pay."""
    return TypeAdapter(EmailFacts)


async def place_and_time(db: Database, slot_id: int) -> PlaceAndTime | None:
    times = await db.fetch_one(
        sa.select(slots.c.starts_at, slots.c.ends_at).where(slots.c.id == slot_id)
    )
    if times is None:
        return None
    location = await location_of_slot(db, slot_id)
    return PlaceAndTime(times._mapping["starts_at"], times._mapping["ends_at"], location)


async def take_facts(
    db: Database, booking_id: int, *, old_slot_id: int | None = None
) -> dict[str, Any]:
    """The booking's facts now, as JSON for an outbox payload (under FACTS_KEY)."""
    booking = await load_booking_by_id(db, booking_id)
    assert booking is not None, booking_id  # called in the transaction that changed it
    language = await email_language(db, studio_id=booking.studio.id, lead_id=booking.lead_id)
    if language != current_language():
        # The photographer's texts (title, notice, contract) in the email's language, not
        # the one this change was made in (the dashboard's, the upkeep's).
        with use_language(language):
            booking = await load_booking_by_id(db, booking_id)
        assert booking is not None, booking_id
    return facts_of(
        booking,
        await calendar_sequence(db, booking_id),
        await place_and_time(db, old_slot_id) if old_slot_id is not None else None,
        language=language,
        answers=await booking_answers(db, booking_id),
    )


def facts_of(
    booking: BookingView,
    sequence: int,
    old: PlaceAndTime | None = None,
    *,
    language: str | None,
    answers: list[Answer] | None = None,
) -> dict[str, Any]:
    """``take_facts`` for a booking already loaded (in the same transaction), with the
    client's language decided by the caller (``email_language``)."""
    made = EmailFacts(booking, sequence, old, language=language, answers=answers)
    facts = _facts_adapter().dump_python(made, mode="json")
    assert isinstance(facts, dict)
    return facts


def read_facts(payload: dict[str, Any]) -> EmailFacts | None:
    """The facts an outbox payload carries; None for a row written without them (or by a
    version whose facts no longer read: rendered from the booking as it is now)."""
    raw = payload.get(FACTS_KEY)
    if raw is None:
        return None
    try:
        return _facts_adapter().validate_python(raw)
    except ValidationError as exc:
        logger.warning("an email's facts no longer read (%s): rendered from now", exc)
        return None
