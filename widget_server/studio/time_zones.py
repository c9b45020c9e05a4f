"""The IANA time zones a studio or a location may be in (zoneinfo's list, less two oddities)."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

# "localtime" is whatever the server is set to, "Factory" is a placeholder zone: neither
# is a place a photo session happens.
NOT_PLACES = frozenset({"localtime", "Factory"})


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_PLACES


def is_time_zone(value: str) -> bool:
    return value in time_zones()
