"""A photographer's own text in another language, written straight to the database (what
the dashboard's translations form saves: studio/texts.py)."""

from __future__ import annotations

import sqlalchemy as sa
from databases import Database

from widget_server.db.tables import studios, text_translations


async def translate_mini_title(
    db: Database, mini_id: int, language: str, title: str, studio: str = "acme"
) -> None:
    studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == studio))
    await db.execute(
        text_translations.insert().values(
            studio_id=studio_id,
            owner_kind="mini_session",
            owner_id=mini_id,
            field="title",
            language=language,
            text=title,
        )
    )
