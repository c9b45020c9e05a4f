"""``Idempotency-Key`` on POSTs: the first request with a key runs, every later one with the
same key gets the first one's answer (status and body), whatever happened in between.

The key is claimed (a row, UNIQUE per studio and key, ``INSERT … ON CONFLICT DO NOTHING``)
before the change runs, so two requests racing with one key can't both run it: the loser
gets 409 ``idempotency_in_progress`` while the first runs, its answer afterwards. The same
key with a different request (method, path or body) is a 422. A request that fails with a
server error gives its key back, so the retry runs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from databases import Database

from ...db.insert_once import insert_once
from ...db.rows import fetch_one_as
from ...db.tables import api_idempotency
from ...db.transactions import write_transaction
from .problems import ApiError

HEADER = "idempotency-key"
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class Stored:
    id: int
    request_hash: str
    status_code: int | None
    body: str


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def read_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not VALID_KEY.fullmatch(raw):
        raise ApiError(
            400, "invalid_idempotency_key", "Idempotency-Key: 1 to 255 printable ASCII characters."
        )
    return raw


async def claim(
    db: Database, studio_id: int, key: str, fingerprint: str, now: datetime
) -> tuple[int | None, Stored | None]:
    """(our row's id, None) when this request runs; (None, the first one's row) when it
    is a replay (raises when it can't be answered: another request, or still running)."""
    async with write_transaction(db):
        new_id = await insert_once(
            db,
            api_idempotency,
            {
                "studio_id": studio_id,
                "idempotency_key": key,
                "request_hash": fingerprint,
                "created_at": now,
            },
            unique=["studio_id", "idempotency_key"],
        )
    if new_id is not None:
        return new_id, None
    first = await fetch_one_as(
        db,
        api_idempotency.select().where(
            api_idempotency.c.studio_id == studio_id, api_idempotency.c.idempotency_key == key
        ),
        Stored,
    )
    assert first is not None
    if first.request_hash != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used with a different request; use a new key.",
        )
    if first.status_code is None:
        raise ApiError(
            409, "idempotency_in_progress", "The first request with this key is still running."
        )
    return None, first


async def remember(db: Database, row_id: int, status: int, body: str) -> None:
    async with write_transaction(db):
        await db.execute(
            api_idempotency.update()
            .where(api_idempotency.c.id == row_id)
            .values(status_code=status, body=body)
        )


async def give_back(db: Database, row_id: int) -> None:
    async with write_transaction(db):
        await db.execute(api_idempotency.delete().where(api_idempotency.c.id == row_id))
