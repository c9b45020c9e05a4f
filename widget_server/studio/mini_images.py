"""A mini session's picture, uploaded in the dashboard and stored like the studio's logo
(studio/logos.py): checked by its bytes, kept in the database so every worker serves it,
named by its SHA-256. The mini session's ``image_url`` becomes ``/images/<sha256>.<ext>``,
so the public pages show it exactly as they show a picture given by web address.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database

from ..booking.catalog import LOGO_EXTENSIONS
from ..db.rows import fetch_one_as
from ..db.tables import mini_images, mini_sessions
from .logos import Logo, check_logo

MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_PREFIX = "/images/"


def check_image(data: bytes, size: int | None = None) -> Logo:
    """The upload as a mini session's picture, or InvalidLogo saying why not."""
    return check_logo(data, size, limit=MAX_IMAGE_BYTES, what="pictures")


def image_path(image: Logo) -> str:
    return f"{IMAGE_PREFIX}{image.sha256}.{LOGO_EXTENSIONS[image.content_type]}"


async def replace_image(db: Database, mini_id: int, image: Logo, now: datetime) -> None:
    """Make ``image`` the mini session's picture (inside the save's write transaction)."""
    await db.execute(mini_images.delete().where(mini_images.c.mini_session_id == mini_id))
    await db.execute(
        mini_images.insert().values(
            mini_session_id=mini_id,
            sha256=image.sha256,
            content_type=image.content_type,
            data=image.data,
            uploaded_at=now,
        )
    )
    await db.execute(
        mini_sessions.update()
        .where(mini_sessions.c.id == mini_id)
        .values(image_url=image_path(image))
    )


async def copy_image(db: Database, from_mini: int, to_mini: int, now: datetime) -> None:
    """A duplicated mini session gets its own copy of the picture (the original may change)."""
    row = await fetch_one_as(
        db,
        sa.select(mini_images.c.data, mini_images.c.content_type, mini_images.c.sha256).where(
            mini_images.c.mini_session_id == from_mini
        ),
        _ImageRow,
    )
    if row is not None:
        await replace_image(db, to_mini, Logo(bytes(row.data), row.content_type, row.sha256), now)


async def drop_stale_image(db: Database, mini_id: int) -> None:
    """Forget the stored picture once ``image_url`` no longer points at it (a web address
    was given instead, or the field was emptied)."""
    url = await db.fetch_val(
        sa.select(mini_sessions.c.image_url).where(mini_sessions.c.id == mini_id)
    )
    if not str(url or "").startswith(IMAGE_PREFIX):
        await db.execute(mini_images.delete().where(mini_images.c.mini_session_id == mini_id))


class _ImageRow(NamedTuple):
    data: bytes
    content_type: str
    sha256: str


async def stored_image(db: Database, sha256: str) -> Logo | None:
    """The picture named by ``sha256`` if a mini session still uses it."""
    row = await fetch_one_as(
        db,
        sa.select(mini_images.c.data, mini_images.c.content_type, mini_images.c.sha256)
        .where(mini_images.c.sha256 == sha256)
        .limit(1),
        _ImageRow,
    )
    return Logo(bytes(row.data), row.content_type, row.sha256) if row else None
