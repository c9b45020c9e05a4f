"""A session day as the photographer types it: where, when, how long each slot, how many per slot.

``read_day`` validates the form into a ``DayInput`` whose plan yields at least one slot;
``day_warnings`` adds what is allowed but probably a mistake (a past date, an overlap).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from databases import Database

from ..booking.catalog import Location
from ..booking.slots import SessionDayPlan, plan_slots
from ..db.tables import session_days
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from .form_values import parse_clock, parse_day, parse_whole, unstorable_fields

FIRST_YEAR, LAST_YEAR = 2000, 2100
SLOT_MINUTES = (5, 480)
GAP_MINUTES = (0, 480)
CAPACITY = (1, 100)
# The ranges as the day forms show them (min and max on each input).
DAY_LIMITS = {"slot": SLOT_MINUTES, "gap": GAP_MINUTES, "capacity": CAPACITY}


@dataclass(frozen=True)
class DayInput:
    location: Location
    plan: SessionDayPlan

    def slots(self) -> list[tuple[datetime, datetime]]:
        return plan_slots(self.plan)


def read_day(
    fields: Mapping[str, str], choices: Sequence[Location]
) -> tuple[DayInput | None, dict[str, str]]:
    """The day from the form, or None and an error message per field."""
    errors: dict[str, str] = {}
    by_id = {str(loc.id): loc for loc in choices}
    location = by_id.get(fields.get("location", "").strip())
    if location is None:
        errors["location"] = _("Choose one of your locations.")
    day: date | None = None
    try:
        day = parse_day(fields.get("date", ""))
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors["date"] = _("Choose a date between %(first_year)s and %(last_year)s.") % {
                "first_year": FIRST_YEAR,
                "last_year": LAST_YEAR,
            }
    except ValueError as exc:
        errors["date"] = str(exc)
    start: time | None = None
    end: time | None = None
    for name in ("start_time", "end_time"):
        try:
            value = parse_clock(fields.get(name, ""))
        except ValueError as exc:
            errors[name] = str(exc)
            continue
        if name == "start_time":
            start = value
        else:
            end = value
    if start is not None and end is not None and end <= start:
        errors["end_time"] = _("The day has to end after it starts.")
    numbers: dict[str, int] = {}
    for name, (low, high), unit in (
        ("slot_minutes", SLOT_MINUTES, "minutes"),
        ("gap_minutes", GAP_MINUTES, "minutes"),
        ("capacity", CAPACITY, "clients"),
    ):
        try:
            numbers[name] = parse_whole(fields.get(name, ""), low, high, unit)
        except ValueError as exc:
            errors[name] = str(exc)
    errors |= unstorable_fields(fields)
    if errors:
        return None, errors
    assert location is not None and day is not None and start is not None and end is not None
    result = DayInput(
        location,
        SessionDayPlan(
            date=day,
            start_time=start,
            end_time=end,
            slot_minutes=numbers["slot_minutes"],
            gap_minutes=numbers["gap_minutes"],
            capacity=numbers["capacity"],
            timezone=location.timezone,
        ),
    )
    if not result.slots():
        return None, {
            "slot_minutes": _("No %(slot_minutes)s-minute slot fits between %(start)s and %(end)s.")
            % {
                "slot_minutes": numbers["slot_minutes"],
                "start": format(start, "%H:%M"),
                "end": format(end, "%H:%M"),
            }
        }
    return result, {}


WARNINGS = {
    "past": lazy_gettext("This date is in the past: clients can't book it."),
    "overlap": lazy_gettext("It overlaps another day of this mini session at the same location."),
}


async def day_warnings(
    db: Database, mini_id: int, day: DayInput, today: date, except_day_id: int | None = None
) -> list[str]:
    """Allowed, but worth a second look (keys of WARNINGS): a date gone by, a clash."""
    warnings = []
    plan = day.plan
    if plan.date < today:
        warnings.append("past")
    query = sa.select(session_days.c.id).where(
        session_days.c.mini_session_id == mini_id,
        session_days.c.location_id == day.location.id,
        session_days.c.date == plan.date,
        session_days.c.start_time < plan.end_time,
        session_days.c.end_time > plan.start_time,
    )
    if except_day_id is not None:
        query = query.where(session_days.c.id != except_day_id)
    if await db.fetch_one(query) is not None:
        warnings.append("overlap")
    return warnings
