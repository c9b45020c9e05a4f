"""The one place that builds the URLs of the public flow."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request


def mini_url(studio_slug: str, mini_slug: str) -> str:
    return f"/{quote(studio_slug)}/{quote(mini_slug)}"


def booking_url(request: Request, public_id: str, page: str = "") -> str:
    """``/b/{token}`` or ``/b/{token}/{page}`` for the booking with this public id."""
    token = request.app.state.tokens.make(public_id)
    return f"/b/{token}/{page}" if page else f"/b/{token}"


def absolute(request: Request, path: str) -> str:
    return request.app.state.settings.base_url + path
