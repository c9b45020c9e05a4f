"""Opaque page cursors: the last id of a page, so pages stay stable while rows are added."""

from __future__ import annotations

import base64
import binascii

from ...db.limits import id_from_text
from .problems import ApiError


def make_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def read_cursor(cursor: str | None) -> int:
    """The id a page starts after (0: the first page); 422 ``invalid_request`` if forged."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        text = ""
    prefix, _, digits = text.partition(":")
    last_id = id_from_text(digits) if prefix == "after" else None
    if last_id is None:
        raise ApiError(
            422,
            "invalid_request",
            "The cursor is not one this API gave.",
            errors=[{"location": "query.cursor", "message": "Not a cursor from this API."}],
        )
    return last_id


def next_cursor(ids: list[int], limit: int) -> str | None:
    return make_cursor(ids[-1]) if len(ids) == limit else None
