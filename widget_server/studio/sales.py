"""How mini sessions are selling, for the dashboard's charts: spots booked, held and open
per day, money taken and still due, and the funnel from a page view to a booking, by
source. Every figure is computed from the bookings and counts themselves, now.

    sales = await mini_sales(db, [mini.id], now, currency="USD", today=today, days=30)
    sales.days[0].booked, sales.taken_minor, sales.funnel.stages[-1].count
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..booking.availability import live_bookings_on
from ..db.rows import fetch_all_as
from ..db.tables import (
    bookings,
    leads,
    locations,
    payments,
    quotes,
    refunds,
    session_days,
    slots,
)
from ..i18n import lazy_gettext
from .page_views import VIA, source_of, view_counts

# The funnel's periods, in days up to today (the studio's date): views are counted per day,
# clients by when they gave their details.
FUNNEL_PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30


def funnel_period(raw: str | None) -> int:
    """``?days=`` as one of FUNNEL_PERIODS; anything else is the default."""
    return int(raw) if raw in {str(p) for p in FUNNEL_PERIODS} else DEFAULT_PERIOD


STAGE_NAMES = (
    lazy_gettext("Viewed the page"),
    lazy_gettext("Chose a time"),
    lazy_gettext("Gave their details"),
    lazy_gettext("Booked"),
)


@dataclass(frozen=True)
class DaySpots:
    day_id: int
    mini_id: int
    date: date
    location_name: str
    booked: int
    held: int
    open: int
    blocked: int  # spots on blocked slots, neither open nor taken

    @property
    def total(self) -> int:
        return self.booked + self.held + self.open


@dataclass(frozen=True)
class Stage:
    name: str
    count: int


@dataclass(frozen=True)
class SourceRow:
    channel: str  # hosted, embed, or "earlier" (booked before channels were recorded)
    source: str  # utm_source, or "direct"
    counts: tuple[int, int, int, int]  # per stage, in STAGE_NAMES' order


@dataclass(frozen=True)
class Funnel:
    stages: list[Stage]
    sources: list[SourceRow]


@dataclass
class Sales:
    currency: str
    days: list[DaySpots] = field(default_factory=list)
    taken_minor: int = 0  # payments received, less refunds made or on their way
    due_minor: int = 0  # what booked clients still owe
    funnel: Funnel = field(default_factory=lambda: Funnel([], []))
    funnel_days: int = DEFAULT_PERIOD
    funnel_periods: tuple[int, ...] = FUNNEL_PERIODS  # the periods a page offers

    @property
    def booked(self) -> int:
        return sum(d.booked for d in self.days)

    @property
    def held(self) -> int:
        return sum(d.held for d in self.days)

    @property
    def open(self) -> int:
        return sum(d.open for d in self.days)


class _SpotRow(NamedTuple):
    day_id: int
    mini_id: int
    date: date
    location_name: str
    capacity: int
    blocked: bool
    booked: int
    held: int


async def spots_per_day(db: Database, mini_ids: list[int], now: datetime) -> list[DaySpots]:
    """Every session day of these mini sessions with its spots: booked, held (live holds),
    open (left to book, on slots not blocked and not past) and blocked."""
    # Counted with FILTER (both databases): a CASE of bare 1/0 reaches PostgreSQL untyped.
    is_booked = bookings.c.status == "booked"
    live = (
        sa.select(
            bookings.c.slot_id,
            sa.func.count().filter(is_booked).label("booked"),
            sa.func.count().filter(~is_booked).label("held"),
        )
        .join(slots, slots.c.id == bookings.c.slot_id)
        .where(slots.c.mini_session_id.in_(mini_ids), live_bookings_on(now))
        .group_by(bookings.c.slot_id)
        .subquery()
    )
    rows = await fetch_all_as(
        db,
        sa.select(
            session_days.c.id.label("day_id"),
            session_days.c.mini_session_id.label("mini_id"),
            session_days.c.date,
            locations.c.name.label("location_name"),
            slots.c.capacity,
            # A slot that has started can't be booked: its free spots are not "open".
            sa.or_(slots.c.blocked, slots.c.starts_at <= now).label("blocked"),
            sa.func.coalesce(live.c.booked, 0).label("booked"),
            sa.func.coalesce(live.c.held, 0).label("held"),
        )
        .join(slots, slots.c.session_day_id == session_days.c.id)
        .join(locations, locations.c.id == session_days.c.location_id)
        .outerjoin(live, live.c.slot_id == slots.c.id)
        .where(session_days.c.mini_session_id.in_(mini_ids))
        .order_by(session_days.c.date, session_days.c.start_time, session_days.c.id),
        _SpotRow,
    )
    days: dict[int, DaySpots] = {}
    for r in rows:
        free = max(r.capacity - r.booked - r.held, 0)
        d = days.get(r.day_id) or DaySpots(r.day_id, r.mini_id, r.date, r.location_name, 0, 0, 0, 0)
        days[r.day_id] = DaySpots(
            d.day_id,
            d.mini_id,
            d.date,
            d.location_name,
            booked=d.booked + int(r.booked),
            held=d.held + int(r.held),
            open=d.open + (0 if r.blocked else free),
            blocked=d.blocked + (free if r.blocked else 0),
        )
    return list(days.values())


def _of_minis(mini_ids: list[int]) -> sa.ColumnElement[bool]:
    return bookings.c.slot_id.in_(
        sa.select(slots.c.id).where(slots.c.mini_session_id.in_(mini_ids))
    )


async def money(db: Database, mini_ids: list[int]) -> tuple[int, int]:
    """(taken, still due) across these mini sessions' bookings, in minor units."""
    received = await db.fetch_val(
        sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount_minor), 0))
        .join(bookings, bookings.c.id == payments.c.booking_id)
        .where(_of_minis(mini_ids), payments.c.status == "succeeded")
    )
    refunded = await db.fetch_val(
        sa.select(sa.func.coalesce(sa.func.sum(refunds.c.amount_minor), 0))
        .join(bookings, bookings.c.id == refunds.c.booking_id)
        .where(_of_minis(mini_ids), refunds.c.status.in_(("pending", "succeeded")))
    )
    paid = (
        sa.select(payments.c.booking_id, sa.func.sum(payments.c.amount_minor).label("paid"))
        .where(payments.c.status == "succeeded")
        .group_by(payments.c.booking_id)
        .subquery()
    )
    owed = await fetch_all_as(
        db,
        sa.select(quotes.c.total_minor, sa.func.coalesce(paid.c.paid, 0).label("paid"))
        .join(bookings, bookings.c.id == quotes.c.booking_id)
        .outerjoin(paid, paid.c.booking_id == bookings.c.id)
        .where(_of_minis(mini_ids), bookings.c.status == "booked"),
        _OwedRow,
    )
    due = sum(max(int(r.total_minor) - int(r.paid), 0) for r in owed)
    return int(received) - int(refunded), due


class _OwedRow(NamedTuple):
    total_minor: int
    paid: int


class _LeadRow(NamedTuple):
    utm: str
    booked: bool


async def funnel(db: Database, mini_ids: list[int], first_day: date, since: datetime) -> Funnel:
    """Views and chosen times (counted, studio/page_views.py) from ``first_day``, then
    clients who gave their details (leads) since ``since`` and, of those, who booked (a
    booking that was ever booked), by channel and source."""
    ever_booked = sa.exists().where(
        bookings.c.lead_id == leads.c.id, bookings.c.booked_at.is_not(None)
    )
    lead_rows = await fetch_all_as(
        db,
        sa.select(leads.c.utm, ever_booked.label("booked")).where(
            leads.c.mini_session_id.in_(mini_ids), leads.c.created_at >= since
        ),
        _LeadRow,
    )
    table: dict[tuple[str, str], list[int]] = {}

    def row(channel: str, source: str) -> list[int]:
        return table.setdefault((channel, source), [0, 0, 0, 0])

    for channel, source, stage, count in await view_counts(db, mini_ids, first_day):
        row(channel, source)[0 if stage == "view" else 1] += count
    for lead in lead_rows:
        try:
            utm = json.loads(lead.utm or "{}")
        except ValueError:
            utm = {}
        utm = utm if isinstance(utm, dict) else {}
        # One rule for sources, views and leads alike (page_views.source_of).
        counts = row(str(utm.get(VIA) or "earlier"), source_of(utm.get("utm_source")))
        counts[2] += 1
        counts[3] += 1 if lead.booked else 0
    totals = [sum(c[i] for c in table.values()) for i in range(4)]
    sources = [
        SourceRow(channel, source, (c[0], c[1], c[2], c[3]))
        for (channel, source), c in sorted(
            table.items(), key=lambda item: (-item[1][3], -item[1][0], item[0])
        )
    ]
    return Funnel(
        [Stage(str(name), count) for name, count in zip(STAGE_NAMES, totals, strict=True)], sources
    )


async def mini_sales(
    db: Database,
    mini_ids: list[int],
    now: datetime,
    *,
    currency: str,
    today: date,
    days: int = DEFAULT_PERIOD,
) -> Sales:
    """The figures for these mini sessions; the funnel covers the last ``days`` days up to
    ``today`` (the studio's date)."""
    if not mini_ids:
        return Sales(currency, funnel_days=days)
    first_day = today - timedelta(days=days - 1)
    taken, due = await money(db, mini_ids)
    return Sales(
        currency=currency,
        days=await spots_per_day(db, mini_ids, now),
        taken_minor=taken,
        due_minor=due,
        funnel=await funnel(db, mini_ids, first_day, now - timedelta(days=days)),
        funnel_days=days,
    )
