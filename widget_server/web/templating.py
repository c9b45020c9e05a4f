"""Jinja2 set-up: autoescaping, the formatting filters, versioned static URLs."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from .. import formatting, i18n
from ..notice import contract_html, notice_html
from ..studio import statuses
from . import urls

PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"


@cache
def static_version(name: str) -> str:
    """The file's content hash, read once per process (never on the request path again)."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """``/static/minis.css?v=<hash>``: safe to cache for a year, changes when the file does."""
    return f"/static/{name}?v={static_version(name)}"


def safe_url(value: str | None) -> str:
    """A link fit for href/src: http(s) or site-relative only, never ``javascript:``."""
    if not value:
        return ""
    lowered = value.strip().lower()
    if lowered.startswith(("https://", "http://")) or (
        lowered.startswith("/") and not lowered.startswith("//")
    ):
        return value.strip()
    return ""


def csp_nonce(request: Request) -> str:
    return getattr(request.state, "csp_nonce", "")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    # Templates change only with a deploy: no stat() of each template on every render
    # (Jinja's default checks the file's mtime whenever it hands out a cached template).
    env.auto_reload = False
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    # The dashboard's badges: one module decides what each status says (studio/statuses.py).
    env.globals.update(
        static_url=static_url, csp_nonce=csp_nonce, statuses=statuses, hosted_twin=urls.hosted_twin
    )
    env.filters.update(
        formatting.TEMPLATE_FILTERS, safe_url=safe_url, markdown=notice_html, contract=contract_html
    )
    i18n.install_in(env)
    return templates
