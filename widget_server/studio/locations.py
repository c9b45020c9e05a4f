"""A studio's locations: where session days happen, and in which time zone.

Slots are stored in UTC, laid out from the location's wall-clock times. Moving a
location to another time zone would silently shift every upcoming slot there, so it is
refused while the location has session days with slots still to come; the check and
the change are one conditional UPDATE. Archiving only stops offering the location for
new session days (``active_locations``); days already there keep it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from databases import Database

from ..booking.catalog import Location
from ..booking.errors import InvalidDetails
from ..db.tables import locations, session_days, slots
from ..db.transactions import write_transaction
from ..i18n import gettext as _
from .form_values import unstorable_fields
from .time_zones import is_time_zone, zone_from_input

MAX_NAME = 200
MAX_ADDRESS = 1000
MAX_MAP_URL = 2000
MAX_NOTES = 2000


@dataclass(frozen=True)
class StudioLocation(Location):
    """A location as its studio manages it: whose it is and whether it is archived."""

    studio_id: int
    archived: bool


@dataclass(frozen=True)
class LocationFields:
    """What the photographer edits, already valid."""

    name: str
    address: str
    map_url: str
    notes: str
    timezone: str


class TimeZoneInUse(Exception):
    """The location's time zone can't change: ``days`` upcoming session days use it."""

    def __init__(self, days: int) -> None:
        super().__init__(f"{days} upcoming session days")
        self.days = days


def _text(value: str) -> str:
    return value.strip().replace("\r\n", "\n")


def check_map_url(value: str) -> str:
    """An http(s) link with a host, or ValueError: never ``javascript:`` and the like."""
    if len(value) > MAX_MAP_URL:
        raise ValueError(_("That link is too long."))
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValueError(_("That isn't a web link.")) from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ValueError(_("Please give a web link starting with https://, or leave it empty."))
    if any(ch.isspace() for ch in value):
        raise ValueError(_("A web link has no spaces in it."))
    return value


def check_location(form: dict[str, str]) -> LocationFields:
    """The form's values, or InvalidDetails with a message for each bad field."""
    errors: dict[str, str] = {}
    name = " ".join(form.get("name", "").split())
    if not name:
        errors["name"] = _("Please give the location a name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("Please keep the name under %(max_name)s characters.") % {
            "max_name": MAX_NAME
        }
    address = _text(form.get("address", ""))
    if len(address) > MAX_ADDRESS:
        errors["address"] = _("Please keep the address under %(max_address)s characters.") % {
            "max_address": MAX_ADDRESS
        }
    map_url = form.get("map_url", "").strip()
    if map_url:
        try:
            map_url = check_map_url(map_url)
        except ValueError as exc:
            errors["map_url"] = str(exc)
    notes = _text(form.get("notes", ""))
    if len(notes) > MAX_NOTES:
        errors["notes"] = _("Please keep the notes under %(max_notes)s characters.") % {
            "max_notes": MAX_NOTES
        }
    timezone = zone_from_input(form.get("timezone", ""))
    if not is_time_zone(timezone):
        errors["timezone"] = _("Please choose a time zone from the list.")
    errors |= unstorable_fields(form)
    if errors:
        raise InvalidDetails(errors)
    return LocationFields(name, address, map_url, notes, timezone)


def _upcoming_days(now: datetime) -> sa.Select:
    """Session days with at least one slot still to come, by location."""
    return (
        sa.select(
            session_days.c.location_id,
            sa.func.count(sa.distinct(session_days.c.id)).label("days"),
        )
        .join(slots, slots.c.session_day_id == session_days.c.id)
        .where(slots.c.starts_at > now)
        .group_by(session_days.c.location_id)
    )


async def studio_locations(
    db: Database, studio_id: int, now: datetime
) -> list[tuple[StudioLocation, int]]:
    """Every location of the studio with its number of upcoming days: active first, by name."""
    upcoming = _upcoming_days(now).subquery()
    rows = await db.fetch_all(
        sa.select(locations, sa.func.coalesce(upcoming.c.days, 0).label("upcoming"))
        .outerjoin(upcoming, upcoming.c.location_id == locations.c.id)
        .where(locations.c.studio_id == studio_id)
        .order_by(locations.c.archived, locations.c.name, locations.c.id)
    )
    return [(StudioLocation.from_mapping(r._mapping), int(r["upcoming"])) for r in rows]


async def active_locations(db: Database, studio_id: int) -> list[StudioLocation]:
    """The locations a new session day may use: the studio's, not archived, by name."""
    rows = await db.fetch_all(
        locations.select()
        .where(locations.c.studio_id == studio_id, locations.c.archived == sa.false())
        .order_by(locations.c.name, locations.c.id)
    )
    return [StudioLocation.from_mapping(r._mapping) for r in rows]


async def studio_location(db: Database, studio_id: int, location_id: int) -> StudioLocation | None:
    """One of the studio's locations; another studio's id is None, like one that never was."""
    row = await db.fetch_one(
        locations.select().where(locations.c.id == location_id, locations.c.studio_id == studio_id)
    )
    return StudioLocation.from_mapping(row._mapping) if row else None


async def upcoming_days_at(db: Database, location_id: int, now: datetime) -> int:
    row = await db.fetch_one(_upcoming_days(now).where(session_days.c.location_id == location_id))
    return int(row["days"]) if row else 0


async def create_location(db: Database, studio_id: int, fields: LocationFields) -> int:
    async with write_transaction(db):
        return await db.execute(
            locations.insert().values(studio_id=studio_id, archived=False, **asdict(fields))
        )


async def update_location(
    db: Database, studio_id: int, location_id: int, fields: LocationFields, now: datetime
) -> bool:
    """Save the location; False when it isn't the studio's. Raises TimeZoneInUse when the
    time zone would change under upcoming slots (checked in the same UPDATE)."""
    in_use = sa.exists(
        sa.select(slots.c.id)
        .join(session_days, session_days.c.id == slots.c.session_day_id)
        .where(session_days.c.location_id == locations.c.id, slots.c.starts_at > now)
    )
    async with write_transaction(db):
        updated = await db.fetch_val(
            locations.update()
            .where(
                locations.c.id == location_id,
                locations.c.studio_id == studio_id,
                sa.or_(locations.c.timezone == fields.timezone, ~in_use),
            )
            .values(**asdict(fields))
            .returning(locations.c.id)
        )
        if updated is not None:
            return True
        if await studio_location(db, studio_id, location_id) is None:
            return False
        raise TimeZoneInUse(await upcoming_days_at(db, location_id, now))
