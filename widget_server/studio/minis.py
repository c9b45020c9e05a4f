"""Creating, editing, duplicating and archiving a studio's mini sessions.

Every function takes the viewer's ``studio_id`` and filters by it, so another studio's
ids find nothing. Slugs are unique per studio: each write first takes the studio's row
lock (a no-op UPDATE, which is also the transaction's first statement, as SQLite wants),
so two edits can't both check a slug free and then both take it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from databases import Database

from ..booking.catalog import MiniSession
from ..booking.errors import InvalidDetails
from ..booking.extras import addons_of
from ..db.rows import IdRow, fetch_one_as
from ..db.tables import addons, bookings, mini_sessions, session_days, slots, studios
from ..db.transactions import write_transaction
from ..i18n import gettext as _
from .form_values import slug_from
from .logos import Logo
from .mini_images import copy_image, drop_stale_image, replace_image
from .mini_settings import MAX_TITLE, MiniSettings, settings_of
from .questions import QuestionDraft, copy_questions, save_questions
from .texts import Translation, copy_translations, save_translations

MAX_SLUG = 64


@dataclass(frozen=True)
class MiniSummary:
    mini: MiniSession
    days: int
    upcoming_booked: int


async def studio_minis(db: Database, studio_id: int, now: datetime) -> list[MiniSummary]:
    """The studio's mini sessions, active ones first, with their days and upcoming bookings."""
    day_counts = (
        sa.select(session_days.c.mini_session_id, sa.func.count().label("n"))
        .group_by(session_days.c.mini_session_id)
        .subquery()
    )
    booked = (
        sa.select(slots.c.mini_session_id, sa.func.count().label("n"))
        .join(bookings, bookings.c.slot_id == slots.c.id)
        .where(bookings.c.status == "booked", slots.c.starts_at > now)
        .group_by(slots.c.mini_session_id)
        .subquery()
    )
    rows = await db.fetch_all(
        sa.select(
            mini_sessions,
            sa.func.coalesce(day_counts.c.n, 0).label("day_count"),
            sa.func.coalesce(booked.c.n, 0).label("booked_count"),
        )
        .outerjoin(day_counts, day_counts.c.mini_session_id == mini_sessions.c.id)
        .outerjoin(booked, booked.c.mini_session_id == mini_sessions.c.id)
        .where(mini_sessions.c.studio_id == studio_id)
        .order_by(mini_sessions.c.archived, mini_sessions.c.title, mini_sessions.c.id)
    )
    return [
        MiniSummary(
            MiniSession.from_mapping(r._mapping), int(r["day_count"]), int(r["booked_count"])
        )
        for r in rows
    ]


async def studio_mini(db: Database, studio_id: int, mini_id: int) -> MiniSession | None:
    row = await db.fetch_one(
        mini_sessions.select().where(
            mini_sessions.c.id == mini_id, mini_sessions.c.studio_id == studio_id
        )
    )
    return MiniSession.from_mapping(row._mapping) if row else None


async def booking_count(db: Database, mini_id: int) -> int:
    """Bookings ever made for this mini session (their clients may hold links to it)."""
    return int(
        await db.fetch_val(
            sa.select(sa.func.count())
            .select_from(bookings.join(slots, slots.c.id == bookings.c.slot_id))
            .where(slots.c.mini_session_id == mini_id)
        )
    )


async def _lock_studio(db: Database, studio_id: int) -> None:
    await db.execute(studios.update().where(studios.c.id == studio_id).values(id=studios.c.id))


async def _slug_taken(db: Database, studio_id: int, slug: str, except_id: int | None) -> bool:
    query = sa.select(mini_sessions.c.id).where(
        mini_sessions.c.studio_id == studio_id, mini_sessions.c.slug == slug
    )
    if except_id is not None:
        query = query.where(mini_sessions.c.id != except_id)
    return await db.fetch_one(query) is not None


async def _free_slug(db: Database, studio_id: int, base: str, except_id: int | None) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever the studio doesn't use yet."""
    candidate, n = base, 1
    while await _slug_taken(db, studio_id, candidate, except_id):
        n += 1
        suffix = f"-{n}"
        candidate = base[: MAX_SLUG - len(suffix)].rstrip("-") + suffix
    return candidate


async def save_mini(
    db: Database,
    studio_id: int,
    mini_id: int | None,
    settings: MiniSettings,
    *,
    image: Logo | None = None,
    now: datetime | None = None,
    asked: Sequence[QuestionDraft] = (),
    translations: Sequence[Translation] | None = None,
) -> int | None:
    """Create (``mini_id`` None) or update a mini session; its id, or None if not the studio's.
    An uploaded ``image`` becomes its picture in the same transaction (studio/mini_images.py).

    An empty slug is derived from the title. Raises InvalidDetails({"slug": ...}) when
    the studio already uses the slug asked for. ``translations`` (studio/texts.py), when
    given, replace the stored ones in the same transaction.
    """
    async with write_transaction(db):
        await _lock_studio(db, studio_id)
        if settings.slug:
            if await _slug_taken(db, studio_id, settings.slug, mini_id):
                raise InvalidDetails(
                    {"slug": _("Another of your mini sessions uses this address. Choose another.")}
                )
            slug = settings.slug
        else:
            slug = await _free_slug(db, studio_id, slug_from(settings.title), mini_id)
        values = {**settings.columns(), "slug": slug}
        if mini_id is None:
            saved = await db.execute(mini_sessions.insert().values(studio_id=studio_id, **values))
        else:
            row = await fetch_one_as(
                db,
                mini_sessions.update()
                .where(mini_sessions.c.id == mini_id, mini_sessions.c.studio_id == studio_id)
                .values(**values)
                .returning(mini_sessions.c.id),
                IdRow,
            )
            if row is None:
                return None
            saved = row.id
        await save_questions(db, int(saved), asked)
        if translations is not None:
            await save_translations(db, studio_id, int(saved), translations)
        if image is not None and now is not None:
            await replace_image(db, saved, image, now)
        else:
            await drop_stale_image(db, saved)
        return int(saved)


async def duplicate_mini(
    db: Database, studio_id: int, mini_id: int, now: datetime | None = None
) -> int | None:
    """A draft copy of every setting and question (not the days, not the bookings); its id."""
    async with write_transaction(db):
        await _lock_studio(db, studio_id)
        original = await studio_mini(db, studio_id, mini_id)
        if original is None:
            return None
        suffix = " (copy)"
        title = original.title[: MAX_TITLE - len(suffix)] + suffix
        base = original.slug[: MAX_SLUG - len("-copy")].rstrip("-") + "-copy"
        copy = settings_of(original)
        values = {
            **copy.columns(),
            "title": title,
            "slug": await _free_slug(db, studio_id, base, None),
            "visibility": "draft",
        }
        copied = int(await db.execute(mini_sessions.insert().values(studio_id=studio_id, **values)))
        question_ids = await copy_questions(db, mini_id, copied)
        await copy_translations(db, studio_id, mini_id, copied, question_ids)
        if now is not None:
            await copy_image(db, mini_id, copied, now)
        await _copy_addons(db, mini_id, copied)
        return copied


async def _copy_addons(db: Database, from_id: int, to_id: int) -> None:
    """The live add-ons, with their full stock (none of it is claimed by the copy)."""
    for addon in await addons_of(db, from_id):
        await db.execute(
            addons.insert().values(
                mini_session_id=to_id,
                name=addon.name,
                description=addon.description,
                image_url=addon.image_url,
                price_minor=addon.price_minor,
                max_quantity=addon.max_quantity,
                stock=addon.stock,
            )
        )
