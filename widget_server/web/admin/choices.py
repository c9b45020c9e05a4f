"""The currencies with their names, for the settings form (time zones: studio/time_zones.py)."""

from __future__ import annotations

from functools import cache

from babel.numbers import get_currency_name, list_currencies


@cache
def currency_choices() -> list[tuple[str, str]]:
    """[(code, "EUR — Euro")], by code."""
    return [
        (code, f"{code} — {get_currency_name(code, locale='en')}")
        for code in sorted(list_currencies())
    ]
