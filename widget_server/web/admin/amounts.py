"""Amounts the photographer types ("50", "49.50", "$1,200.00") as integer minor units.

Babel parses the number (the dashboard's locale, en_US) and knows each currency's
number of decimals; anything else is refused with a message for the form.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import (
    NumberFormatError,
    get_currency_precision,
    get_currency_symbol,
    parse_decimal,
)

from ...formatting import LOCALE

MAX_CHARS = 32


def major_units(amount_minor: int, currency: str) -> str:
    """``5000, "USD"`` → ``"50.00"``: what the amount field shows to start with."""
    return str(Decimal(amount_minor).scaleb(-get_currency_precision(currency)))


def parse_amount(text: str, currency: str) -> int:
    """The amount in minor units, or ValueError with a message fit to show next to the field."""
    digits = get_currency_precision(currency)
    cleaned = text.strip().replace(get_currency_symbol(currency, locale=LOCALE), "", 1).strip()
    if not cleaned:
        raise ValueError("Please enter an amount.")
    if len(cleaned) > MAX_CHARS:
        raise ValueError("That amount is too long.")
    # Babel also reads exponents ("1e99999999"): an amount is plain digits and separators.
    if not all(ch.isdigit() or ch in ",.-" for ch in cleaned) or not cleaned.isascii():
        raise ValueError("Please enter an amount like 50 or 49.50.")
    try:
        amount = parse_decimal(cleaned, locale=LOCALE, strict=True)
    except NumberFormatError:
        raise ValueError("Please enter an amount like 50 or 49.50.") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError("Please enter an amount above zero.")
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        places = f"{digits} decimal places" if digits else "whole numbers only"
        raise ValueError(f"{currency} amounts have {places}.")
    return int(minor)
