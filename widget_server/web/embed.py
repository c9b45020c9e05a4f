"""The iframe side of the embed: who may frame us, the theme, and what each page carries along.

The loader (embed/embed.js) opens ``/embed/...`` with the host page's origin in
``parent``. That origin is checked against the studio's allowed origins before
the page will post a single message to it, and the browser enforces the same
list through ``frame-ancestors``. Nothing here trusts the host page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from starlette.requests import Request

from ..booking.catalog import MiniSession, Studio
from ..formatting import HEX_COLOR
from ..studio.origins import normalize_origin
from .urls import EMBED_PREFIX

THEMES = ("light", "dark", "auto")


def allowed_origins(studio: Studio) -> list[str]:
    """The studio's allowed embed origins; empty means any site may embed it."""
    return [o for o in (normalize_origin(v) for v in studio.allowed_origins.split()) if o]


def origin_allowed(studio: Studio, origin: str | None) -> bool:
    if origin is None:
        return False
    allowed = allowed_origins(studio)
    return not allowed or origin in allowed


def frame_ancestors(studio: Studio) -> str:
    allowed = allowed_origins(studio)
    return " ".join(allowed) if allowed else "*"


def page_origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return normalize_origin(f"{parts.scheme}://{parts.netloc}") if parts.netloc else None


def event_detail(mini: MiniSession, starts_at: datetime, location: str) -> str:
    """The payload of a host event about a slot: what and when, nobody's personal data."""
    return json.dumps({"mini": mini.slug, "start": starts_at.isoformat(), "location": location})


@dataclass(frozen=True)
class EmbedContext:
    """What an embed page was opened with, validated."""

    parent: str | None  # the host origin messages go to; None: post nothing
    page: str  # the host page (same origin as ``parent``), for "Back to <site>"
    theme: str
    color: str | None
    new_tab: bool

    def query(self) -> dict[str, str]:
        """The parameters every link and form inside the widget carries on."""
        carried = {"theme": self.theme}
        if self.parent:
            carried["parent"] = self.parent
        if self.page:
            carried["page"] = self.page
        if self.color:
            carried["color"] = self.color
        if self.new_tab:
            carried["tab"] = "new"
        return carried

    @property
    def target(self) -> str:
        """Where the hosted quote and payment pages open: the host's window or a new tab."""
        return "_blank" if self.new_tab else "_top"


def embed_context(request: Request, studio: Studio) -> EmbedContext | None:
    """The embed context of an ``/embed/...`` request, or None for a hosted page."""
    if not request.url.path.startswith(EMBED_PREFIX + "/"):
        return None
    params = request.query_params
    parent = normalize_origin(params.get("parent", ""))
    if not origin_allowed(studio, parent):
        parent = None
    page = params.get("page", "")[:2000]
    if parent is None or page_origin(page) != parent:
        page = ""
    theme = params.get("theme", "auto")
    color = params.get("color", "")
    return EmbedContext(
        parent=parent,
        page=page,
        theme=theme if theme in THEMES else "auto",
        color=color if HEX_COLOR.match(color) else None,
        new_tab=params.get("tab") == "new",
    )
