"""A studio's keys for the JSON API: made, listed, revoked, and the key behind a request.

A key is ``mk_`` and 43 random URL-safe characters (256 bits). It is shown once, when
made; the database keeps its SHA-256 (a random key needs no slow hash: there is nothing
to guess from), so a copy of the table opens nothing. ``read`` keys read; ``write`` keys
also book, cancel, move, mark paid and close leads.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from databases import Database

from ..db.limits import storable
from ..db.rows import fetch_all_as, fetch_one_as
from ..db.tables import api_keys
from ..db.transactions import write_transaction
from ..i18n import gettext as _
from ..i18n import lazy_gettext

KEY_PREFIX = "mk_"
ACCESS_LEVELS = {"read": lazy_gettext("Read only"), "write": lazy_gettext("Read and write")}
MAX_NAME = 100
# last_used_at is written at most this often per key: a busy integration is not a write
# per request.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiKey:
    id: int
    studio_id: int
    name: str
    prefix: str
    access: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def can_write(self) -> bool:
        return self.access == "write"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def check_new_key(name: str, access: str) -> dict[str, str]:
    """Field errors of the "new key" form."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Give the key a name, e.g. the app that will use it.")
    elif len(name) > MAX_NAME or not storable(name):
        errors["name"] = _("Use at most %(max_name)s ordinary characters.") % {"max_name": MAX_NAME}
    if access not in ACCESS_LEVELS:
        errors["access"] = _("Choose read only, or read and write.")
    return errors


async def create_key(
    db: Database, studio_id: int, name: str, access: str, now: datetime
) -> tuple[ApiKey, str]:
    """A new key for the studio: the row, and the key itself (shown once, never again)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    async with write_transaction(db):
        key_id = await db.execute(
            api_keys.insert().values(
                studio_id=studio_id,
                name=name.strip(),
                prefix=key[:10],
                key_hash=hash_key(key),
                access=access,
                created_at=now,
            )
        )
    found = await key_by_id(db, studio_id, key_id)
    assert found is not None
    return found, key


async def key_by_id(db: Database, studio_id: int, key_id: int) -> ApiKey | None:
    return await fetch_one_as(
        db,
        api_keys.select().where(api_keys.c.id == key_id, api_keys.c.studio_id == studio_id),
        ApiKey,
    )


async def is_live_key(db: Database, studio_id: int, key_id: int, key: str) -> bool:
    """Whether ``key`` is the studio's live key ``key_id`` (the page that shows a new key
    checks what it is about to show)."""
    found = await db.fetch_val(
        sa.select(api_keys.c.id).where(
            api_keys.c.id == key_id,
            api_keys.c.studio_id == studio_id,
            api_keys.c.key_hash == hash_key(key),
            api_keys.c.revoked_at.is_(None),
        )
    )
    return found is not None


async def studio_keys(db: Database, studio_id: int) -> list[ApiKey]:
    """The studio's keys, live ones first, newest first."""
    return await fetch_all_as(
        db,
        api_keys.select()
        .where(api_keys.c.studio_id == studio_id)
        .order_by(api_keys.c.revoked_at.is_not(None), api_keys.c.id.desc()),
        ApiKey,
    )


async def revoke_key(db: Database, studio_id: int, key_id: int, now: datetime) -> bool:
    """Revoke the studio's key at once; False when it was not theirs or already revoked."""
    async with write_transaction(db):
        row = await db.fetch_one(
            api_keys.update()
            .where(
                api_keys.c.id == key_id,
                api_keys.c.studio_id == studio_id,
                api_keys.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .returning(api_keys.c.id)
        )
    return row is not None


async def key_for_request(db: Database, key: str, now: datetime) -> ApiKey | None:
    """The key a request presented (revoked ones too: the caller says why it is refused),
    noting its use; None when no such key exists."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200 or not storable(key):
        return None
    found = await fetch_one_as(
        db, api_keys.select().where(api_keys.c.key_hash == hash_key(key)), ApiKey
    )
    if found is None or found.revoked_at is not None:
        return found
    if found.last_used_at is None or found.last_used_at <= now - LAST_USED_EVERY:
        async with write_transaction(db):
            await db.execute(
                api_keys.update()
                .where(
                    api_keys.c.id == found.id,
                    sa.or_(
                        api_keys.c.last_used_at.is_(None),
                        api_keys.c.last_used_at <= now - LAST_USED_EVERY,
                    ),
                )
                .values(last_used_at=now)
            )
    return found
