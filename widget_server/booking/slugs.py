"""Slugs in public URLs: lowercase words, never a path the service itself uses."""

from __future__ import annotations

import re

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
# First path segments of our own URLs (see DESIGN.md, Public URLs).
RESERVED_STUDIO_SLUGS = frozenset(
    {
        "b",
        "embed",
        "embed.js",
        "api",
        "webhooks",
        "admin",
        "static",
        "healthz",
        "favicon.ico",
        "robots.txt",
        "login",
        "logout",
        "logos",
        "images",  # mini session pictures (web/logos.py)
    }
)


def is_valid_slug(value: str) -> bool:
    return bool(SLUG.match(value))


def is_valid_studio_slug(value: str) -> bool:
    return is_valid_slug(value) and value not in RESERVED_STUDIO_SLUGS
