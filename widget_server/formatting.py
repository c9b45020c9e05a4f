"""The one place that turns money, dates and times into text for people.

Babel does the locale work; times are always shown in the slot's location's
time zone, with the zone named, because an in-person session happens where it
happens, not where the client's laptop is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import phonenumbers
from babel.core import get_global
from babel.dates import format_date, format_time, get_timezone_location, get_timezone_name
from babel.numbers import format_currency, get_currency_precision

LOCALE = "en_US"
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_BRAND = "#3b5bdb"


def money(amount_minor: int, currency: str) -> str:
    """Integer minor units as a price: ``money(12500, "USD") == "$125.00"``."""
    digits = get_currency_precision(currency)
    return format_currency(Decimal(amount_minor).scaleb(-digits), currency, locale=LOCALE)


def local(instant: datetime, timezone: str) -> datetime:
    return instant.astimezone(ZoneInfo(timezone))


def day_long(day: date) -> str:
    return format_date(day, "full", locale=LOCALE)  # Saturday, December 5, 2026


def day_short(day: date) -> str:
    return format_date(day, "EEE, MMM d", locale=LOCALE)  # Sat, Dec 5


def clock_time(instant: datetime, timezone: str) -> str:
    return format_time(local(instant, timezone), "h:mm a", locale=LOCALE)  # 10:00 AM


def wall_time(wall: time) -> str:
    """A time of day as people read it, with no instant behind it: 9:00 AM."""
    return format_time(wall, "h:mm a", locale=LOCALE)


def zone_abbrev(instant: datetime, timezone: str) -> str:
    """Short zone name valid at that instant: "EST", "EDT", "CET" (the tz database's own)."""
    return local(instant, timezone).tzname() or timezone


def zone_long(instant: datetime, timezone: str) -> str:
    """Eastern Standard Time, Central European Standard Time, ..."""
    return get_timezone_name(local(instant, timezone), "long", locale=LOCALE)


def zone_label(timezone: str) -> str:
    """A time zone as people name it: "Mountain Time — Denver" (Babel's generic name and
    city), the id itself for zones that are no place ("UTC", "Etc/GMT+5")."""
    if "/" not in timezone or timezone.startswith("Etc/"):
        return timezone
    try:
        generic = get_timezone_name(timezone, "long", locale=LOCALE, zone_variant="generic")
        city = get_timezone_location(timezone, locale=LOCALE, return_city=True)
    except LookupError:
        return timezone
    if generic.startswith("Unknown Region"):
        return timezone
    return f"{generic} — {city}"


def slot_time(instant: datetime, timezone: str) -> str:
    """10:00 AM EST"""
    return f"{clock_time(instant, timezone)} {zone_abbrev(instant, timezone)}"


def slot_label(instant: datetime, timezone: str) -> str:
    """Sat, Dec 5, 10:00 AM EST: a slot in one line, for quotes and calendars."""
    return f"{day_short(local(instant, timezone).date())}, {slot_time(instant, timezone)}"


def local_date(instant: datetime, timezone: str) -> date:
    return local(instant, timezone).date()


def phone(number: str, timezone: str) -> str:
    """A client's phone as the studio dials it: national format for a number of the studio's
    country ("(212) 555-0199"), international for any other ("+44 20 7946 0958"). The
    studio's country is its time zone's; what can't be read is shown as it was given."""
    territory = get_global("zone_territories").get(timezone)
    region = territory if territory and territory != "001" else None
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_possible_number(parsed):
        return number
    home = region is not None and phonenumbers.region_code_for_number(parsed) == region
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)


def safe_color(value: str | None) -> str:
    """A brand colour fit for CSS, whatever is stored."""
    return value if value and HEX_COLOR.match(value) else DEFAULT_BRAND


# The filters every template environment (pages, emails) shares.
TEMPLATE_FILTERS: dict[str, Callable[..., str | date]] = {
    "money": money,
    "day_long": day_long,
    "day_short": day_short,
    "slot_time": slot_time,
    "clock_time": clock_time,
    "wall_time": wall_time,
    "zone_long": zone_long,
    "zone_label": zone_label,
    "phone": phone,
    "slot_label": slot_label,
    "local_date": local_date,
    "safe_color": safe_color,
}
