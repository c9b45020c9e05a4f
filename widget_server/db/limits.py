"""What the databases can hold: input is checked against this before it reaches a query.

PostgreSQL's ``integer`` (every id and amount column) stops at 2**31 - 1, and a larger
value in a WHERE is an error there, not "no row" as on SQLite. PostgreSQL's text can't
hold NUL, and neither driver can encode a lone surrogate (a JSON body's ``"\\ud800"``).
Checked here first, such input gets a 404 or a field error on both databases alike,
never a database error.
"""

from __future__ import annotations

import re

MAX_INT = 2**31 - 1  # PostgreSQL's integer
MAX_ID = MAX_INT
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def id_from_text(raw: str | None) -> int | None:
    """The positive id ``raw`` spells in ASCII digits, or None when no row can have it.

    ``str.isdigit`` alone is not enough: ``"²"`` and ``"٣"`` are digits to Python but
    ``int("²")`` fails, and ids past MAX_ID can't exist.
    """
    if raw is None or not raw.isascii() or not raw.isdigit():
        return None
    digits = raw.lstrip("0")
    if len(digits) > len(str(MAX_ID)):  # before int(): 5,000 digits would raise
        return None
    value = int(digits or "0")
    return value if 0 < value <= MAX_ID else None


def storable(text: str) -> bool:
    """Whether both databases can store and compare ``text`` (no NUL, no lone surrogate)."""
    return _UNSTORABLE.search(text) is None
