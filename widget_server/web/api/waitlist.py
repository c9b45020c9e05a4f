"""A mini session's waitlist for a key: who waits, in order, and the spot each was offered."""

from __future__ import annotations

import sqlalchemy as sa

from ...booking.waitlist import waitlist_of
from ...db.tables import mini_sessions
from . import models as m
from .operations import Call
from .problems import ApiError


async def get_waitlist(call: Call) -> m.Waitlist:
    mini_id = await call.db.fetch_val(
        sa.select(mini_sessions.c.id).where(
            mini_sessions.c.studio_id == call.studio_id, mini_sessions.c.slug == call.path.mini
        )
    )
    if mini_id is None:
        raise ApiError(404, "not_found", "No such mini session in your studio.")
    entries = []
    for line in await waitlist_of(call.db, mini_id):
        offer = None
        if line.offer_state is not None:
            offer = m.WaitlistOffer(
                state=line.offer_state,  # type: ignore[arg-type]  # the table's CHECK
                booking_id=line.offer_booking_id,
                slot_id=line.offer_slot_id,
                starts_at=line.offer_starts_at,
                claim_by=line.offer_expires_at,
                by_hand=line.offer_by_hand,
            )
        entries.append(
            m.WaitlistEntry(
                id=line.id,
                state=line.state,  # type: ignore[arg-type]  # the table's CHECK
                client=m.Client(name=line.name, email=line.email, phone=line.phone),
                session_day_ids=sorted(line.preferences.days),
                parts_of_day=sorted(line.preferences.parts),  # type: ignore[arg-type]
                created_at=line.created_at,
                offer=offer,
            )
        )
    return m.Waitlist(mini=call.path.mini, data=entries)
