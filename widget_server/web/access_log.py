"""Keep clients' details out of the access log.

The embed contract carries prefilled details (``name``, ``email``, ``phone``) in the
widget's query strings, from page to page until the details form. uvicorn's access log
writes each request's full path, so without this filter every web process would log
clients' names, emails and phone numbers. Their values become ``***``; the rest of the
line (path, utm_* campaign tags, status) stays useful.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode

from ..booking.details import PREFILL_KEYS

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "***"


def redact_path(path: str) -> str:
    """``/demo/fall-minis?email=a%40b.c&utm_source=ig`` → ``…?email=***&utm_source=ig``."""
    base, mark, query = path.partition("?")
    if not mark:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(key in PREFILL_KEYS for key, _ in pairs):
        return path
    cleaned = [(key, REDACTED if key in PREFILL_KEYS else value) for key, value in pairs]
    return f"{base}?{urlencode(cleaned, safe='*')}"


class RedactClientDetails(logging.Filter):
    """Rewrites the path in uvicorn's access records: (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def redact_access_log() -> None:
    """Install the filter once per process (every app a process creates shares the logger)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactClientDetails) for f in logger.filters):
        logger.addFilter(RedactClientDetails())
