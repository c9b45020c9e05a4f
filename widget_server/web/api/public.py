"""Public reads: a studio's bookable mini sessions, their days and slots with spots left.
The same data as the booking site (booking/offers.py), so no key; CORS lets any site read it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ...booking.availability import SlotAvailability
from ...booking.catalog import bookable_mini_session, studio_by_slug
from ...booking.offers import DayOffer, MiniOffer, mini_session_offer, studio_offers
from ..urls import absolute, mini_url
from . import models as m
from .operations import Call
from .problems import ApiError


def _slot(slot: SlotAvailability, timezone: str) -> m.Slot:
    reason = slot.unavailable_reason
    return m.Slot.model_validate(
        {
            "id": slot.id,
            "starts_at": slot.starts_at,
            "ends_at": slot.ends_at,
            "local_start": slot.starts_at.astimezone(ZoneInfo(timezone)).isoformat(),
            "capacity": slot.capacity,
            "spots_left": slot.spots_left if reason in (None, "full") else 0,
            "bookable": slot.bookable,
            "unavailable_reason": reason,
        }
    )


def _day(day: DayOffer) -> m.SessionDay:
    loc = day.location
    return m.SessionDay(
        id=day.day.id,
        date=day.day.date,
        start_time=day.day.start_time,
        end_time=day.day.end_time,
        location=m.Location(
            id=loc.id,
            name=loc.name,
            address=loc.address,
            map_url=loc.map_url,
            timezone=loc.timezone,
        ),
        spots_left=day.spots_left,
        slots=[_slot(s, loc.timezone) for s in day.slots],
    )


def _summary(call: Call, studio_slug: str, currency: str, offer: MiniOffer) -> dict[str, object]:
    mini = offer.mini
    return {
        "id": mini.id,
        "slug": mini.slug,
        "title": mini.title,
        "description": mini.description,
        "price": m.Money(amount_minor=mini.price_minor, currency=currency),
        "deposit": m.Money(amount_minor=mini.deposit_minor, currency=currency)
        if mini.deposit_minor
        else None,
        "booking_process": "free" if mini.is_free else "quote",
        "spots_left": offer.spots_left,
        "sold_out": offer.sold_out,
        "dates": offer.dates,
        "booking_url": absolute(call.request, mini_url(studio_slug, mini.slug)),
    }


async def list_minis(call: Call) -> m.MiniSessionList:
    studio = await studio_by_slug(call.db, call.path.studio)
    if studio is None:
        raise ApiError(404, "not_found", "No such studio.")
    # Each mini session with its slots, for spots left (the studio page's summary counts
    # open times only): two queries per mini session, which an API list can afford.
    summaries = await studio_offers(call.db, studio, call.now)
    offers = [await mini_session_offer(call.db, o.mini, call.now) for o in summaries]
    return m.MiniSessionList(
        studio=studio.slug,
        data=[
            m.MiniSummary.model_validate(_summary(call, studio.slug, studio.currency, o))
            for o in offers
        ],
    )


async def get_mini(call: Call) -> m.MiniSessionDetail:
    found = await bookable_mini_session(call.db, call.path.studio, call.path.mini)
    if found is None:
        raise ApiError(404, "not_found", "No such mini session (or it is not bookable).")
    studio, mini = found
    offer = await mini_session_offer(call.db, mini, call.now)
    return m.MiniSessionDetail.model_validate(
        {
            **_summary(call, studio.slug, studio.currency, offer),
            "days": [_day(d) for d in offer.days],
        }
    )
