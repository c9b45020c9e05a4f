"""What a studio offers: studios, mini sessions, locations and session days, read-only."""

from __future__ import annotations

from dataclasses import Field, dataclass, fields
from datetime import date, time
from typing import Any, ClassVar, NamedTuple, Self

import sqlalchemy as sa
from databases import Database
from databases.interfaces import Record

from ..db.rows import row_as
from ..db.tables import locations, mini_sessions, session_days, studios


class Row:
    """Build a frozen dataclass from a database row, ignoring columns it does not name."""

    # Every subclass is a dataclass; declaring the attribute @dataclass sets lets
    # ``fields(cls)`` type-check here.
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @classmethod
    def from_mapping(cls, mapping: Any, prefix: str = "") -> Self:
        names = [f.name for f in fields(cls)]
        return cls(**{n: mapping[prefix + n] for n in names})


@dataclass(frozen=True)
class Studio(Row):
    id: int
    slug: str
    name: str
    notify_email: str
    timezone: str
    currency: str
    brand_color: str
    allowed_origins: str
    offline_instructions: str
    payment_methods: str  # space-separated keys the studio takes (settings)
    logo_sha256: str | None
    logo_type: str | None  # the sniffed MIME type, e.g. image/png

    @property
    def method_keys(self) -> list[str]:
        return self.payment_methods.split()

    @property
    def logo_path(self) -> str | None:
        """The logo's public URL path; it names the content, so it is cached forever."""
        if not self.logo_sha256 or self.logo_type not in LOGO_EXTENSIONS:
            return None
        return logo_path(self.slug, self.logo_sha256, self.logo_type)


@dataclass(frozen=True)
class MiniSession(Row):
    id: int
    studio_id: int
    slug: str
    title: str
    description: str
    image_url: str
    price_minor: int
    deposit_minor: int | None
    visibility: str
    booking_process: str
    payment_methods: str
    hold_minutes: int
    min_notice_hours: int
    allow_reschedule: bool
    allow_cancel: bool
    change_cutoff_hours: int
    confirmation_notice: str
    terms: str
    archived: bool
    cancel_refund_policy: str  # none, full, keep_deposit
    reminder_hours: int
    offline_pay_hours: int  # 0: an offline booking has no payment deadline
    # Party size (booking/pricing.py): the price covers party_included people; each
    # extra one, up to party_max, costs extra_person_minor.
    party_included: int = 1
    party_max: int = 1
    extra_person_minor: int = 0
    deposit_ppm: int | None = None  # the deposit as a share of the total

    @property
    def asks_party_size(self) -> bool:
        return self.party_max > 1

    @property
    def is_free(self) -> bool:
        return self.booking_process == "free" or self.price_minor == 0

    @property
    def method_keys(self) -> list[str]:
        return self.payment_methods.split()


def offered_method_keys(studio: Studio, mini: MiniSession) -> list[str]:
    """The payment methods a client may use for ``mini``: the mini session's, in its order,
    that the studio also takes. Switching a method off in the studio's settings stops it
    on every mini session at once. (payments.PaymentMethods.offered keeps those enabled here.)"""
    taken = set(studio.method_keys)
    return [key for key in mini.method_keys if key in taken]


LOGO_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
}
LOGO_PREFIX = "/logos"


def logo_path(studio_slug: str, sha256: str, content_type: str) -> str:
    return f"{LOGO_PREFIX}/{studio_slug}/{sha256}.{LOGO_EXTENSIONS[content_type]}"


@dataclass(frozen=True)
class Location(Row):
    id: int
    name: str
    address: str
    map_url: str
    notes: str
    timezone: str


@dataclass(frozen=True)
class SessionDay(Row):
    id: int
    mini_session_id: int
    date: date
    start_time: time
    end_time: time
    capacity: int
    location: Location


async def studio_by_slug(db: Database, slug: str) -> Studio | None:
    row = await db.fetch_one(studios.select().where(studios.c.slug == slug))
    return Studio.from_mapping(row._mapping) if row else None


async def studio_by_id(db: Database, studio_id: int) -> Studio | None:
    row = await db.fetch_one(studios.select().where(studios.c.id == studio_id))
    return Studio.from_mapping(row._mapping) if row else None


async def public_mini_sessions(db: Database, studio_id: int) -> list[MiniSession]:
    """Mini sessions listed on the studio's booking site."""
    rows = await db.fetch_all(
        mini_sessions.select()
        .where(
            mini_sessions.c.studio_id == studio_id,
            mini_sessions.c.visibility == "public",
            mini_sessions.c.archived == sa.false(),
        )
        .order_by(mini_sessions.c.id)
    )
    return [MiniSession.from_mapping(r._mapping) for r in rows]


async def bookable_mini_session(
    db: Database, studio_slug: str, mini_slug: str
) -> tuple[Studio, MiniSession] | None:
    """A studio and one of its mini sessions open to clients (public or unlisted), in one query."""
    m = mini_sessions.alias("m")
    query = (
        sa.select(studios, *[c.label(f"m_{c.name}") for c in m.c])
        .join(m, m.c.studio_id == studios.c.id)
        .where(
            studios.c.slug == studio_slug,
            m.c.slug == mini_slug,
            m.c.visibility != "draft",
            m.c.archived == sa.false(),
        )
    )
    row = await db.fetch_one(query)
    if row is None:
        return None
    return Studio.from_mapping(row._mapping), MiniSession.from_mapping(row._mapping, "m_")


class _SessionDayRow(NamedTuple):
    id: int
    mini_session_id: int
    date: date
    start_time: time
    end_time: time
    capacity: int


async def session_days_for(db: Database, mini_session_ids: list[int]) -> list[SessionDay]:
    """Session days of these mini sessions with their locations, by date and time."""
    if not mini_session_ids:
        return []
    query = (
        sa.select(session_days, *[c.label(f"loc_{c.name}") for c in locations.c])
        .join(locations, locations.c.id == session_days.c.location_id)
        .where(session_days.c.mini_session_id.in_(mini_session_ids))
        .order_by(session_days.c.date, session_days.c.start_time, session_days.c.id)
    )
    return [_session_day(r) for r in await db.fetch_all(query)]


def _session_day(record: Record) -> SessionDay:
    day = row_as(record, _SessionDayRow)
    return SessionDay(
        id=day.id,
        mini_session_id=day.mini_session_id,
        date=day.date,
        start_time=day.start_time,
        end_time=day.end_time,
        capacity=day.capacity,
        location=row_as(record, Location, "loc_"),
    )
