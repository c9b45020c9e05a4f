"""Hostile values: what the fuzz (tests/support/fuzz.py) sends where real values belong.

NUL and other control characters, bidi overrides, numbers that are huge, negative or made
of Unicode digits (``str.isdigit`` says yes to ``"²"``, ``int`` says no), long strings,
markup, and odd percent-encodings spliced into URLs.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import quote

CONTROL = "".join(chr(c) for c in (*range(32), 127))
# Arabic-Indic, superscript, fullwidth and mathematical digits: str.isdigit() says yes.
UNICODE_DIGITS = "٠١٢٣٤٥٦٧٨٩²³¹" + "".join(map(chr, (*range(0xFF10, 0xFF1A), 0x1D7D8, 0x1D7D9)))
POOL = (
    "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_.~ %/?#&=+;:@!$'()*,[]{}<>\"\\|^`"
    + CONTROL
    + UNICODE_DIGITS
    + "éß漢字👩\u200d👧\u202e\u200b\ufeff\ufffd"
)
# Values that broke (or could break) something somewhere: each is sent as it is.
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "acme\x00",
    "\x01\x02\x1b[31m\x7f",
    "\t\r\n",
    "\r\nSet-Cookie: x=1",
    "\u202eevil",
    "\ufeff",
    "0",
    "-1",
    "-0",
    "+1",
    "1.5",
    "1e309",
    "NaN",
    "Infinity",
    "0x10",
    "1_000",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "9" * 40,
    "٣",
    "²",
    "\uff11\uff12",  # fullwidth digits
    "\U0001d7d9\U0001d7da",  # mathematical digits
    "Ⅻ",
    "¼",
    "<script>alert(1)</script>",
    "'; DROP TABLE slots; --",
    "%00",
    "%",
    "%zz",
    "..",
    "../../etc/passwd",
    "/",
    "//evil.test",
    "https://evil.test",
    "http://[::1",
    "[",
    "\\",
    "{{7*7}}",
    "Zoë 👩\u200d👧 ﷺ",
    "#zzzzzz",
    "#123456",
    "true",
    "null",
]
NUMBERS = [
    "0",
    "1",
    "2",
    "00",
    "01",
    "2147483647",
    "2147483648",
    "4294967296",
    "9223372036854775808",
    "9" * 30,
    "0" * 20 + "1",
]
ODD_ESCAPES = [
    *("%00", "%ff", "%c0%ae", "%ed%a0%80", "%2f", "%252f", "%e2%80%ae", "%0a", "%7f", "%c3")
]
ODD_QUERIES = ["slot=%00", "slot", "=", "&&", "slot=1&slot=2", "%ff=%ff", "day=%c0%ae", "a=%"]


def nasty(rng: random.Random) -> str:
    """Any hostile text: a known one, a long run, random characters or a huge integer."""
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(NASTY)
    if roll < 0.55:
        return rng.choice(["x", "\x00", "٣", "9", "é"]) * rng.choice([200, 201, 1000, 5000])
    if roll < 0.85:
        return "".join(rng.choice(POOL) for _ in range(rng.randint(1, 24)))
    return str(rng.choice([-1, 1]) * rng.randint(0, 10 ** rng.randint(1, 30)))


def number(rng: random.Random) -> str:
    """Digits where an id goes: edge values of the integer types, or any up to 10**12."""
    return rng.choice(NUMBERS) if rng.random() < 0.7 else str(rng.randint(0, 10**12))


def segment(rng: random.Random, value: str) -> str:
    """A path segment, percent-encoded, now and then with an odd escape spliced in."""
    encoded = quote(value, safe="")
    if rng.random() < 0.15:
        at = rng.randint(0, len(encoded))
        encoded = encoded[:at] + rng.choice(ODD_ESCAPES) + encoded[at:]
    return encoded


def any_json(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value of any type, nested up to two levels, odd where it can be."""
    kinds = ["str", "int", "float", "bool", "null", "list", "dict", "nasty"]
    kind = rng.choice(kinds if depth < 2 else kinds[:5])
    if kind == "str":
        return rng.choice(["", "x", "cs_\x00", "\ud800", "²", "paid", "complete"])
    if kind == "int":
        return rng.choice([0, -1, 1, 2**31, 2**63, 10**30])
    if kind == "float":
        return rng.choice([1.5, -0.0, 1e308])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [any_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "dict":
        size = rng.randint(0, 3)
        return {nasty(rng): any_json(rng, depth + 1) for _ in range(size)}
    return nasty(rng)
