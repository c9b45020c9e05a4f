"""The long lists in the dashboard's forms: time zones by region, currencies with names."""

from __future__ import annotations

from functools import cache

from babel.numbers import get_currency_name, list_currencies

from ...studio.time_zones import time_zones

# The regions zoneinfo names its zones by; everything else (UTC, Etc/GMT+5, old
# aliases like US/Eastern) goes under "Other", where people who want it find it.
REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@cache
def time_zone_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(region, [(zone id, label)])], regions in order, zones by name, "Other" last."""
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in (*REGIONS, "Other")}
    for zone in sorted(time_zones()):
        region, _, place = zone.partition("/")
        if region in REGIONS and place:
            groups[region].append((zone, place.replace("_", " ").replace("/", " / ")))
        else:
            groups["Other"].append((zone, zone.replace("_", " ")))
    return [(region, zones) for region, zones in groups.items() if zones]


@cache
def currency_choices() -> list[tuple[str, str]]:
    """[(code, "EUR — Euro")], by code."""
    return [
        (code, f"{code} — {get_currency_name(code, locale='en')}")
        for code in sorted(list_currencies())
    ]
