"""The studio's leads for a key: list, read, and close (read-write keys)."""

from __future__ import annotations

from ...studio.leads import close_lead
from ...studio.records import LeadEntry, booking_ids_of_leads, lead_entry, leads_page
from . import models as m
from .cursors import next_cursor, read_cursor
from .operations import Call
from .problems import ApiError


def _lead(entry: LeadEntry, booking_ids: list[int]) -> m.Lead:
    return m.Lead.model_validate(
        {
            "id": entry.id,
            "status": entry.status,
            "client": m.Client(name=entry.name, email=entry.email, phone=entry.phone),
            "mini": entry.mini_slug,
            "utm": entry.utm_tags,
            "created_at": entry.created_at,
            "updated_at": entry.updated_at,
            "booking_ids": booking_ids,
        }
    )


async def list_leads(call: Call) -> m.LeadPage:
    q: m.LeadsQuery = call.query
    entries = await leads_page(
        call.db,
        call.studio_id,
        status=q.status,
        created_after=q.created_after,
        created_before=q.created_before,
        after_id=read_cursor(q.cursor),
        limit=q.limit,
    )
    ids = await booking_ids_of_leads(call.db, [e.id for e in entries])
    return m.LeadPage(
        data=[_lead(e, ids[e.id]) for e in entries],
        next_cursor=next_cursor([e.id for e in entries], q.limit),
    )


async def _one(call: Call, lead_id: int) -> m.Lead:
    entry = await lead_entry(call.db, call.studio_id, lead_id)
    if entry is None:
        raise ApiError(404, "not_found", "No such lead in your studio.")
    ids = await booking_ids_of_leads(call.db, [entry.id])
    return _lead(entry, ids[entry.id])


async def get_lead(call: Call) -> m.Lead:
    return await _one(call, call.path.lead_id)


async def close(call: Call) -> m.Lead:
    lead_id = call.path.lead_id
    if await lead_entry(call.db, call.studio_id, lead_id) is None:
        raise ApiError(404, "not_found", "No such lead in your studio.")
    outcome = await close_lead(call.db, call.studio_id, lead_id, call.now)
    if outcome == "live":
        raise ApiError(
            409, "lead_live", "The lead has a live booking: cancel it first, or let the hold lapse."
        )
    return await _one(call, lead_id)
