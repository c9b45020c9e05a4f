"""The one place that turns money, dates and times into text for people.

Babel does the locale work, in the language in force (``i18n.current_language()``: the
client's on their pages and emails); times are always shown in the slot's location's
time zone, with the zone named, because an in-person session happens where it
happens, not where the client's laptop is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from babel import Locale
from babel.core import get_global
from babel.dates import (
    DateTimePattern,
    get_timezone_location,
    get_timezone_name,
    match_skeleton,
    parse_pattern,
)
from babel.lists import format_list
from babel.numbers import format_currency, get_currency_precision
from babel.units import format_unit

from . import i18n
from .i18n import gettext as _

# English as Babel knows it best (the dashboard's forms read amounts in it too): "en" alone
# formats the same today, but en_US pins the region, so "$" never turns into "US$".
LOCALE = "en_US"
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_BRAND = "#3b5bdb"


# Babel parses a locale given by name on every call (a new Locale, its data looked up
# again), and matches a skeleton or reads a pattern each time: on a page that formats a
# few dozen values that was a large share of its CPU. A Locale object per language, and
# each language's patterns, are made once per process here; Babel's own functions then
# only apply them.
@cache
def _locale_of(language: str) -> Locale:
    return Locale.parse(LOCALE if language == i18n.DEFAULT_LANGUAGE else language)


def babel_locale() -> Locale:
    """The Babel locale of the language in force: ``en_US`` for English, else its own."""
    return _locale_of(i18n.current_language())


@cache
def _date_pattern(language: str, length: str) -> DateTimePattern:
    return _locale_of(language).date_formats[length]


@cache
def _skeleton_pattern(language: str, skeleton: str) -> DateTimePattern:
    locale = _locale_of(language)
    skeletons = locale.datetime_skeletons
    best = skeleton if skeleton in skeletons else match_skeleton(skeleton, skeletons)
    return parse_pattern(skeletons[best or skeleton])


@cache
def _short_time_pattern(language: str) -> DateTimePattern:
    # The locale's own short time (h:mm a, HH:mm, ...). CLDR puts a narrow no-break space
    # before "AM"; a plain space reads the same and matches what people type and search.
    pattern = _locale_of(language).time_formats["short"].pattern
    return parse_pattern(pattern.replace("\u202f", " "))


# A page shows the same few prices, dates and times to every client: each text is made
# once per language and value (Babel's formatting was a tenth of a page's CPU), and kept
# in a bounded cache. Only exact types are cached (a ``datetime`` given as a day, or an
# amount that isn't an ``int``, is formatted afresh), and instants only in UTC (as the
# database hands them back: two equal datetimes in one local zone may be different
# instants, an hour that repeats), so equal keys always mean equal text.
FORMATTED = 4096


def _utc_instant(value: object) -> bool:
    return type(value) is datetime and value.tzinfo is UTC


def money(amount_minor: int, currency: str) -> str:
    """Integer minor units as a price: ``money(12500, "USD") == "$125.00"`` in English,
    ``"1.234,56\xa0€"`` in German."""
    if type(amount_minor) is int:
        return _money(i18n.current_language(), amount_minor, currency)
    return _format_money(babel_locale(), amount_minor, currency)


@lru_cache(maxsize=FORMATTED)
def _money(language: str, amount_minor: int, currency: str) -> str:
    return _format_money(_locale_of(language), amount_minor, currency)


def _format_money(locale: Locale, amount_minor: int, currency: str) -> str:
    digits = get_currency_precision(currency)
    return format_currency(Decimal(amount_minor).scaleb(-digits), currency, locale=locale)


def major_units(amount_minor: int, currency: str) -> str:
    """Minor units as a plain decimal in the currency's own precision, for machines
    (analytics' ``value``): ``major_units(12500, "USD") == "125.00"``, JPY has no decimals."""
    return str(Decimal(amount_minor).scaleb(-get_currency_precision(currency)))


def local(instant: datetime, timezone: str) -> datetime:
    return instant.astimezone(ZoneInfo(timezone))


def day_long(day: date) -> str:
    """Saturday, December 5, 2026 · samedi 5 décembre 2026 · Samstag, 5. Dezember 2026"""
    cached = _day_long if type(day) is date else _day_long_text
    return cached(i18n.current_language(), day)


def _day_long_text(language: str, day: date) -> str:
    return _date_pattern(language, "full").apply(day, _locale_of(language))


_day_long = lru_cache(maxsize=FORMATTED)(_day_long_text)


def day_short(day: date) -> str:
    """Sat, Dec 5 · sam. 5 déc. · Sa., 5. Dez."""
    cached = _day_short if type(day) is date else _day_short_text
    return cached(i18n.current_language(), day)


def _day_short_text(language: str, day: date) -> str:
    return _skeleton_pattern(language, "MMMEd").apply(day, _locale_of(language))


_day_short = lru_cache(maxsize=FORMATTED)(_day_short_text)


def _time_text(value: datetime | time) -> str:
    language = i18n.current_language()
    return _short_time_pattern(language).apply(value, _locale_of(language))


def clock_time(instant: datetime, timezone: str) -> str:
    """10:00 AM · 10:00"""
    if _utc_instant(instant):
        return _clock_time(i18n.current_language(), instant, timezone)
    return _time_text(local(instant, timezone))


@lru_cache(maxsize=FORMATTED)
def _clock_time(language: str, instant: datetime, timezone: str) -> str:
    return _short_time_pattern(language).apply(local(instant, timezone), _locale_of(language))


def wall_time(wall: time) -> str:
    """A time of day as people read it, with no instant behind it: 9:00 AM, 09:00."""
    return _time_text(wall)


def zone_abbrev(instant: datetime, timezone: str) -> str:
    """Short zone name valid at that instant: "EST", "EDT", "CET" (the tz database's own)."""
    return local(instant, timezone).tzname() or timezone


def zone_long(instant: datetime, timezone: str) -> str:
    """Eastern Standard Time, Central European Standard Time, ..."""
    if _utc_instant(instant):
        return _zone_long(i18n.current_language(), instant, timezone)
    return get_timezone_name(local(instant, timezone), "long", locale=babel_locale())


@lru_cache(maxsize=FORMATTED)
def _zone_long(language: str, instant: datetime, timezone: str) -> str:
    return get_timezone_name(local(instant, timezone), "long", locale=_locale_of(language))


def zone_label(timezone: str) -> str:
    """A time zone as people name it: "Mountain Time — Denver" (Babel's generic name and
    city), the id itself for zones that are no place ("UTC", "Etc/GMT+5")."""
    return _zone_label(i18n.current_language(), timezone)


@lru_cache(maxsize=2048)  # a name per language and zone: the studio's few, or the picker's
def _zone_label(language: str, timezone: str) -> str:
    if "/" not in timezone or timezone.startswith("Etc/"):
        return timezone
    try:
        english = get_timezone_name(timezone, "long", locale=LOCALE, zone_variant="generic")
        if english.startswith("Unknown Region"):
            return timezone
        locale = _locale_of(language)
        generic = get_timezone_name(timezone, "long", locale=locale, zone_variant="generic")
        city = get_timezone_location(timezone, locale=locale, return_city=True)
    except LookupError:
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


def _amount(n: int, unit: str) -> str:
    # CLDR's own words and plural forms: "2 hours", "2 heures", "1 Minute".
    return format_unit(n, f"duration-{unit}", length="long", locale=babel_locale())


def duration(minutes: int) -> str:
    """A length of time as people say it: "2 hours", "90 minutes", "1 day"."""
    if minutes % 1440 == 0:
        return _amount(minutes // 1440, "day")
    if minutes % 60 == 0:
        return _amount(minutes // 60, "hour")
    return _amount(minutes, "minute")


def time_left(seconds: int) -> str:
    """A countdown as the server says it: "2 days 3 hours", "1 hour 5 minutes", "40 seconds"
    (static/countdown.js says the same with the browser's CLDR data)."""
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")] if days or hours else []
    if not parts:
        parts = [(minutes, "minute"), (secs, "second")]
    named = [_amount(n, unit) for n, unit in parts if n]
    if not named:
        return _("a moment")
    return format_list(named[:2], style="unit-narrow", locale=babel_locale())


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
    "window": duration,
    "time_left": time_left,
}
