"""Reading the values people type into the dashboard's forms: amounts, whole numbers, slugs,
and text no database can hold.

Each reader returns the value or raises ``ValueError`` with a message meant for the
photographer, so every form states its limits the same way. Money goes through Babel
(the same locale formatting.py writes it in) and respects the currency's decimal digits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal, InvalidOperation

from babel.numbers import (
    NumberFormatError,
    get_currency_precision,
    get_currency_symbol,
    parse_decimal,
)

from ..booking.slugs import is_valid_slug
from ..db.limits import storable
from ..formatting import LOCALE, money
from ..i18n import gettext as _
from ..i18n import lazy_gettext

# Prices live in an INTEGER column: keep well inside 32 bits whatever the currency.
MAX_MINOR = 1_000_000_000
MAX_NUMBER_CHARS = 32
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
WHOLE = re.compile(r"^[+-]?\d{1,12}$")


def parse_money(text: str, currency: str) -> int:
    """``"45.50"`` in USD is 4550 minor units; JPY has no decimals, so ``"4500"`` is 4500."""
    cleaned = text.strip()
    if len(cleaned) > MAX_NUMBER_CHARS:
        raise ValueError(_("Enter an amount like 45.00."))
    for mark in (get_currency_symbol(currency, locale=LOCALE), currency):
        cleaned = cleaned.replace(mark, "")
    cleaned = cleaned.strip()
    digits = get_currency_precision(currency)
    example = money(4500 * 10**digits, currency)
    if not cleaned:
        raise ValueError(_("Enter an amount like %(example)s.") % {"example": example})
    # Babel also reads exponents ("1e9") and other scripts' digits: an amount here is
    # ASCII digits and separators only.
    if not cleaned.isascii() or not all(ch.isdigit() or ch in ",.-" for ch in cleaned):
        raise ValueError(_("Enter an amount like %(example)s.") % {"example": example})
    try:
        amount = parse_decimal(cleaned, locale=LOCALE, strict=True)
    except (NumberFormatError, InvalidOperation):
        raise ValueError(_("Enter an amount like %(example)s.") % {"example": example}) from None
    if not amount.is_finite():
        raise ValueError(_("Enter an amount like %(example)s.") % {"example": example})
    if amount < 0:
        raise ValueError(_("The amount can't be negative."))
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        if digits == 0:
            raise ValueError(
                _("%(currency)s amounts have no decimals: e.g. %(example)s.")
                % {"currency": currency, "example": example}
            )
        raise ValueError(
            _("%(currency)s amounts have at most %(digits)s decimals: e.g. %(example)s.")
            % {"currency": currency, "digits": digits, "example": example}
        )
    if minor > MAX_MINOR:
        raise ValueError(
            _("The amount can be at most %(money)s.") % {"money": money(MAX_MINOR, currency)}
        )
    return int(minor)


def parse_positive_money(text: str, currency: str) -> int:
    """An amount above zero (a refund, say): as ``parse_money``, and zero is refused too."""
    amount = parse_money(text, currency)
    if amount == 0:
        raise ValueError(_("Enter an amount above zero."))
    return amount


def money_input(amount_minor: int | None, currency: str) -> str:
    """What a money field shows for a stored amount: ``225.00`` (no symbol, no grouping)."""
    if amount_minor is None:
        return ""
    return str(Decimal(amount_minor).scaleb(-get_currency_precision(currency)))


def parse_whole(text: str, low: int, high: int, unit: str = "") -> int:
    """A whole number between ``low`` and ``high`` (inclusive)."""
    cleaned = text.strip()
    suffix = f" {unit}" if unit else ""
    if not WHOLE.match(cleaned):
        raise ValueError(
            _("Enter a whole number from %(low)s to %(high)s%(suffix)s.")
            % {"low": low, "high": high, "suffix": suffix}
        )
    value = int(cleaned)
    if not low <= value <= high:
        raise ValueError(
            _("Enter a whole number from %(low)s to %(high)s%(suffix)s.")
            % {"low": low, "high": high, "suffix": suffix}
        )
    return value


PERCENT = re.compile(r"^\d{1,6}(\.\d{1,4})?$")


def parse_percent(text: str, low_ppm: int, high_ppm: int) -> int:
    """``"8.875"`` (or ``"8.875 %"``) as millionths: 88_750, between the two bounds."""
    cleaned = text.strip().removesuffix("%").strip()
    low, high = percent_input(low_ppm), percent_input(high_ppm)
    if not PERCENT.match(cleaned):
        raise ValueError(
            _("Enter a percentage like 8.875 (from %(low)s to %(high)s).")
            % {"low": low, "high": high}
        )
    ppm = int(Decimal(cleaned) * 10_000)
    if not low_ppm <= ppm <= high_ppm:
        raise ValueError(
            _("Enter a percentage from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    return ppm


def percent_input(ppm: int | None) -> str:
    """What a percentage field shows for stored millionths: ``8.875``, ``10``."""
    if ppm is None:
        return ""
    text = f"{Decimal(ppm) / 10_000:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(_("Enter a date like 2026-12-05.")) from None


def parse_clock(text: str) -> time:
    """A wall-clock time typed as ``HH:MM`` (what ``<input type="time">`` sends)."""
    match = TIME.match(text.strip())
    if match is None:
        raise ValueError(_("Enter a time like 09:30."))
    return time(int(match[1]), int(match[2]))


def slug_from(title: str) -> str:
    """``"Fall Minis 2026!"`` → ``"fall-minis-2026"``; accents fold to plain letters."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = words[:64].strip("-")
    return slug if is_valid_slug(slug) else "mini-session"


def is_web_address(value: str) -> bool:
    """An absolute http(s) address (or a path on this site, as the demo's images are)."""
    lowered = value.lower()
    if lowered.startswith(("https://", "http://")):
        return len(value) > len("https://") and not any(c.isspace() for c in value)
    return lowered.startswith("/") and not lowered.startswith("//") and " " not in value


UNSTORABLE = lazy_gettext(
    "This contains a character that can't be saved (a NUL). Please type it again."
)


def unstorable_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """A field error for each value no database can hold (db/limits.storable). Each form's
    check adds these to its own, last, so a NUL never reaches an INSERT or UPDATE: on
    PostgreSQL it would fail the query (a 500) where SQLite stored it."""
    return {name: str(UNSTORABLE) for name, value in fields.items() if not storable(value)}
