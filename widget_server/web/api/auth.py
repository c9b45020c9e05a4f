"""Who is calling: the API key in ``Authorization: Bearer <key>``, checked for each keyed
operation. Keys travel only in that header (never in a URL), so no access log holds one."""

from __future__ import annotations

from datetime import datetime

from databases import Database
from starlette.requests import Request

from ...studio.api_keys import ApiKey, key_for_request
from .problems import ApiError

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="minis"'}


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def authorise(request: Request, db: Database, now: datetime, *, write: bool) -> ApiKey:
    """The caller's live key, allowed to ``write`` when asked; else the ApiError to answer."""
    key = presented_key(request)
    if key is None:
        raise ApiError(
            401, "missing_api_key", "Send your API key as `Authorization: Bearer <key>`."
        )
    found = await key_for_request(db, key, now)
    if found is None:
        raise ApiError(401, "invalid_api_key", "This API key does not exist.")
    if found.revoked_at is not None:
        raise ApiError(401, "revoked_api_key", "This API key was revoked.")
    if write and not found.can_write:
        raise ApiError(403, "read_only_key", "This API key is read-only; this needs read-write.")
    return found
