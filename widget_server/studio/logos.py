"""A studio's logo: checked by its bytes, kept in the database, named by its SHA-256.

The type comes from the file's magic bytes (``filetype``), never from the name or the
Content-Type the browser sent. Only raster formats are taken: an SVG can carry script.
A file whose first bytes match (say, a PNG signature followed by garbage) is accepted:
it is only ever served as that image type with ``nosniff``, so at worst a browser shows
a broken image. Kept in the database, every worker and host can serve it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import filetype
import sqlalchemy as sa
from databases import Database

from ..booking.catalog import LOGO_EXTENSIONS
from ..db.rows import fetch_one_as
from ..db.tables import studio_logos, studios
from ..i18n import gettext as _

MAX_LOGO_BYTES = 512 * 1024
SNIFF_BYTES = 262  # filetype reads at most this many bytes


class InvalidLogo(ValueError):
    """Why the file can't be the logo (a sentence for the photographer)."""


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str  # from the magic bytes
    sha256: str


def file_size(size: int) -> str:
    """A file's size as people read it: whole KB rounded up (a file just over the limit
    never reads as the limit itself), MB with one decimal from 1 MB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{math.ceil(size / 1024)} KB"


def check_logo(
    data: bytes, size: int | None = None, *, limit: int = MAX_LOGO_BYTES, what: str = "logos"
) -> Logo:
    """The upload as a logo (or any picture the studio shows: ``what`` names it in the
    messages), or InvalidLogo saying why not. ``size`` is the whole file's, when ``data``
    was read only up to just over ``limit``."""
    size = len(data) if size is None else size
    if not data:
        raise InvalidLogo(_("That file is empty."))
    if size > limit:
        raise InvalidLogo(
            _("This file is %(size)s; %(what)s can be up to %(limit)s. Try exporting it smaller.")
            % {"size": file_size(size), "what": what, "limit": file_size(limit)}
        )
    kind = filetype.guess(data[:SNIFF_BYTES])
    if kind is None or kind.mime not in LOGO_EXTENSIONS:
        head = data[:512].lstrip().lower()
        if head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in head:
            raise InvalidLogo(
                _(
                    "SVG files aren't accepted as %(what)s because they can contain scripts. "
                    "Please export it as PNG or WebP."
                )
                % {"what": what}
            )
        raise InvalidLogo(_("That isn't a PNG, JPEG, WebP or GIF image."))
    return Logo(data, kind.mime, hashlib.sha256(data).hexdigest())


async def replace_logo(db: Database, studio_id: int, logo: Logo, now: datetime) -> None:
    """Make ``logo`` the studio's logo; the old one's URL stops working. Call inside a
    write transaction (the studio row is written first, which takes SQLite's lock)."""
    await db.execute(
        studios.update()
        .where(studios.c.id == studio_id)
        .values(logo_sha256=logo.sha256, logo_type=logo.content_type)
    )
    await db.execute(studio_logos.delete().where(studio_logos.c.studio_id == studio_id))
    await db.execute(
        studio_logos.insert().values(
            studio_id=studio_id,
            sha256=logo.sha256,
            content_type=logo.content_type,
            data=logo.data,
            uploaded_at=now,
        )
    )


async def remove_logo(db: Database, studio_id: int) -> None:
    """No logo any more (inside a write transaction)."""
    await db.execute(
        studios.update().where(studios.c.id == studio_id).values(logo_sha256=None, logo_type=None)
    )
    await db.execute(studio_logos.delete().where(studio_logos.c.studio_id == studio_id))


class _LogoRow(NamedTuple):
    data: bytes
    content_type: str
    sha256: str


async def current_logo(db: Database, studio_slug: str, sha256: str) -> Logo | None:
    """The studio's logo if ``sha256`` is still the current one; else None (an old URL)."""
    row = await fetch_one_as(
        db,
        sa.select(studio_logos.c.data, studio_logos.c.content_type, studio_logos.c.sha256)
        .join(studios, studios.c.id == studio_logos.c.studio_id)
        .where(
            studios.c.slug == studio_slug,
            studios.c.logo_sha256 == sha256,
            studio_logos.c.sha256 == sha256,
        ),
        _LogoRow,
    )
    if row is None:
        return None
    return Logo(bytes(row.data), row.content_type, row.sha256)
