"""The IANA time zones a studio or a location may be in (zoneinfo's list, less two oddities),
and the searchable names the dashboard's picker offers for them ("Mountain Time — Denver")."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from babel.core import get_global

from ..formatting import zone_label

# "localtime" is whatever the server is set to, "Factory" is a placeholder zone: neither
# is a place a photo session happens.
NOT_PLACES = frozenset({"localtime", "Factory"})


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_PLACES


def is_time_zone(value: str) -> bool:
    return value in time_zones()


# Zones named by region: "America/Denver" is the place; "US/Mountain" and "Navajo" are
# older aliases with the same name, accepted when typed but not offered twice.
PLACE_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@cache
def _by_label() -> dict[str, str]:
    """Label -> zone, one zone per label (a place's own zone before its aliases)."""
    named: dict[str, str] = {}
    aliases = get_global("zone_aliases")  # old name -> the zone's current name
    ordered = sorted(time_zones(), key=lambda z: (z in aliases, not z.startswith(PLACE_REGIONS), z))
    for zone in ordered:
        named.setdefault(zone_label(zone), zone)
    return named


@cache
def zone_choices() -> list[tuple[str, str]]:
    """[(label, zone)] for the picker, by label: "Central European Time — Paris", ..."""
    return sorted(_by_label().items())


def zone_from_input(text: str) -> str:
    """The zone a picker's text names: a zone id as is, or one of ``zone_choices``'s labels.
    Anything else comes back unchanged, for the form's check to refuse."""
    text = text.strip()
    if is_time_zone(text):
        return text
    return _by_label().get(text, text)
