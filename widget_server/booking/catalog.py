"""What a studio offers: studios, mini sessions, locations and session days, read-only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, dataclass, fields, replace
from datetime import date, datetime, time
from typing import Any, ClassVar, Self

import sqlalchemy as sa
from databases import Database

from ..db.compiled import Prepared
from ..db.tables import mini_sessions, studios
from .texts import in_language


class Row:
    """Build a frozen dataclass from a database row, ignoring columns it does not name."""

    # Every subclass is a dataclass; declaring the attribute @dataclass sets lets
    # ``fields(cls)`` type-check here.
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @classmethod
    def from_mapping(cls, mapping: Any, prefix: str = "") -> Self:
        names = _FIELD_NAMES.get(cls)
        if names is None:  # once per class: ``fields()`` is dear for every row of every page
            names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
        return cls(**{n: mapping[prefix + n] for n in names})


# Each Row class's field names, in order.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


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
    # The embed reports bookings to the host page's GA4 / Meta Pixel (opt-in).
    report_conversions: bool
    # Client pages fall back to it when neither link nor browser names a language; the
    # photographer's own texts are written in it (booking/texts.py has the others).
    default_language: str

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
    contract: str  # Markdown with placeholders; "" = no contract to sign
    claim_window_minutes: int  # a spot offered to a waiting client is theirs this long
    opens_at: datetime | None  # a scheduled drop: no times before then (None: open)
    early_opens_at: datetime | None  # early access may book from then
    early_access_key: str | None  # the secret of the early-access link
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
    def default_party_size(self) -> int:
        """The party size of a client who gave none: the people the price includes."""
        return self.party_included if self.asks_party_size else 1

    @property
    def is_free(self) -> bool:
        return self.booking_process == "free" or self.price_minor == 0

    @property
    def books_on_submit(self) -> bool:
        """Booked as the details are sent: free, with no contract to sign first (a free
        mini session with a contract goes through the checkout, to sign, with nothing due)."""
        return self.is_free and not self.contract.strip()

    def as_charged(self) -> MiniSession:
        """The mini session as its quote prices it: a free one charges nothing."""
        if not self.is_free:
            return self
        return replace(
            self, price_minor=0, deposit_minor=None, extra_person_minor=0, deposit_ppm=None
        )

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


STUDIO_BY_SLUG = Prepared(studios.select().where(studios.c.slug == sa.bindparam("slug")))


async def studio_by_slug(db: Database, slug: str) -> Studio | None:
    row = await db.fetch_one(STUDIO_BY_SLUG.bind(slug=slug))
    return Studio.from_mapping(row._mapping) if row else None


async def studio_by_id(db: Database, studio_id: int) -> Studio | None:
    row = await db.fetch_one(studios.select().where(studios.c.id == studio_id))
    return Studio.from_mapping(row._mapping) if row else None


async def mini_session_by_id(db: Database, mini_session_id: int) -> MiniSession | None:
    """The mini session with its texts in the language in force (booking/texts.py)."""
    row = await db.fetch_one(mini_sessions.select().where(mini_sessions.c.id == mini_session_id))
    if row is None:
        return None
    return (await in_language(db, "mini_session", [MiniSession.from_mapping(row._mapping)]))[0]


PUBLIC_MINI_SESSIONS = Prepared(
    mini_sessions.select()
    .where(
        mini_sessions.c.studio_id == sa.bindparam("studio"),
        mini_sessions.c.visibility == "public",
        mini_sessions.c.archived == sa.false(),
    )
    .order_by(mini_sessions.c.id)
)


async def public_mini_sessions(
    db: Database, studio_id: int, *, default_language: str | None = None
) -> list[MiniSession]:
    """Mini sessions listed on the studio's booking site, in the language in force."""
    rows = await db.fetch_all(PUBLIC_MINI_SESSIONS.bind(studio=studio_id))
    minis = [MiniSession.from_mapping(r._mapping) for r in rows]
    return await in_language(db, "mini_session", minis, default_language=default_language)


def _bookable_mini_session() -> Prepared:
    m = mini_sessions.alias("m")
    return Prepared(
        sa.select(studios, *[c.label(f"m_{c.name}") for c in m.c])
        .join(m, m.c.studio_id == studios.c.id)
        .where(
            studios.c.slug == sa.bindparam("studio"),
            m.c.slug == sa.bindparam("mini"),
            m.c.visibility != "draft",
            m.c.archived == sa.false(),
        )
    )


BOOKABLE_MINI_SESSION = _bookable_mini_session()


async def bookable_mini_session(
    db: Database,
    studio_slug: str,
    mini_slug: str,
    *,
    speak_for: Callable[[Studio], object] | None = None,
) -> tuple[Studio, MiniSession] | None:
    """A studio and one of its mini sessions open to clients (public or unlisted), in one
    query; the mini session's texts in the language in force (booking/texts.py).
    ``speak_for(studio)``, when given, settles that language first (a page whose language
    may fall to the studio's default: web/language.for_studio)."""
    row = await db.fetch_one(BOOKABLE_MINI_SESSION.bind(studio=studio_slug, mini=mini_slug))
    if row is None:
        return None
    studio = Studio.from_mapping(row._mapping)
    if speak_for is not None:
        speak_for(studio)
    mini = MiniSession.from_mapping(row._mapping, "m_")
    [mini] = await in_language(db, "mini_session", [mini], default_language=studio.default_language)
    return studio, mini


def _studio_page() -> Prepared:
    m = mini_sessions.alias("m")
    public = sa.and_(
        m.c.studio_id == studios.c.id,
        m.c.visibility == "public",
        m.c.archived == sa.false(),
    )
    return Prepared(
        sa.select(studios, *[c.label(f"m_{c.name}") for c in m.c])
        .outerjoin(m, public)
        .where(studios.c.slug == sa.bindparam("studio"))
        .order_by(m.c.id)
    )


# The studio page's studio and its public mini sessions (none: one row, without a mini).
STUDIO_PAGE = _studio_page()


async def studio_with_public_minis(
    db: Database, studio_slug: str, *, speak_for: Callable[[Studio], object] | None = None
) -> tuple[Studio, list[MiniSession]] | None:
    """A studio and the mini sessions its booking site lists (``public_mini_sessions``), in
    one query; their texts in the language in force. ``speak_for(studio)``, when given,
    settles that language first (as ``bookable_mini_session``)."""
    rows = await db.fetch_all(STUDIO_PAGE.bind(studio=studio_slug))
    if not rows:
        return None
    studio = Studio.from_mapping(rows[0]._mapping)
    if speak_for is not None:
        speak_for(studio)
    minis = [
        MiniSession.from_mapping(row._mapping, "m_") for row in rows if row["m_id"] is not None
    ]
    minis = await in_language(db, "mini_session", minis, default_language=studio.default_language)
    return studio, minis
