"""The JSON API in tests: keys made the dashboard's way (studio/api_keys.create_key)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from databases import Database

from widget_server.db.tables import studios
from widget_server.studio.api_keys import create_key, revoke_key

from .databases import run_db


def make_key(db_url: str, now: datetime, studio_slug: str = "acme", access: str = "write") -> str:
    async def work(db: Database) -> str:
        studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == studio_slug))
        _, key = await create_key(db, studio_id, f"{access} key", access, now)
        return key

    return run_db(db_url, work)


def make_revoked_key(db_url: str, now: datetime, studio_slug: str = "acme") -> str:
    async def work(db: Database) -> str:
        studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == studio_slug))
        row, key = await create_key(db, studio_id, "old", "write", now)
        assert await revoke_key(db, studio_id, row.id, now)
        return key

    return run_db(db_url, work)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
