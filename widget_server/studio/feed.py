"""The photographer's calendar feed: its capability (a signed token naming a studio and its
feed version) and its calendar (icalendar), one event per booked session.

Calendar apps cannot log in, so the feed URL itself is the secret. The token is
``[studio_id, feed_version]`` signed with the secret key (salt ``minis.feed``): an
invented or altered token fails the signature before any lookup, and a genuine
token whose version is not the studio's current ``feed_version`` is dead. Bumping
the version ("Make a new link") therefore revokes every URL handed out before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from databases import Database
from icalendar import Calendar, Event
from itsdangerous import BadSignature, URLSafeSerializer

from ..db.tables import studios
from ..formatting import money
from ..i18n import gettext as _
from .export import ExportRow

SALT = "minis.feed"
MAX_TOKEN_CHARS = 200


class FeedTokens:
    """``FeedTokens(secret).read(FeedTokens(secret).make(7, 2)) == (7, 2)``."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=SALT)

    def make(self, studio_id: int, version: int) -> str:
        return self._serializer.dumps([studio_id, version])

    def read(self, token: str) -> tuple[int, int] | None:
        """(studio id, version) inside a genuine token, or None."""
        if len(token) > MAX_TOKEN_CHARS:
            return None
        try:
            value = self._serializer.loads(token)
        except BadSignature:
            return None
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            return value[0], value[1]
        return None


async def feed_version(db: Database, studio_id: int) -> int | None:
    return await db.fetch_val(sa.select(studios.c.feed_version).where(studios.c.id == studio_id))


async def current_feed_token(db: Database, tokens: FeedTokens, studio_id: int) -> str:
    """The studio's live feed token (the one its calendar apps should subscribe to)."""
    version = await feed_version(db, studio_id)
    if version is None:
        raise LookupError(f"no studio {studio_id}")
    return tokens.make(studio_id, version)


async def studio_for_feed(db: Database, tokens: FeedTokens, token: str) -> int | None:
    """The studio a live token opens, or None (forged, garbled, or revoked by a new link)."""
    found = tokens.read(token)
    if found is None:
        return None
    studio_id, version = found
    return studio_id if await feed_version(db, studio_id) == version else None


async def rotate_feed(db: Database, studio_id: int) -> None:
    """Revoke the current feed URL: one atomic increment, safe under concurrent clicks."""
    await db.execute(
        studios.update()
        .where(studios.c.id == studio_id)
        .values(feed_version=studios.c.feed_version + 1)
    )


def studio_feed_ics(
    studio_name: str, rows: Sequence[ExportRow], currency: str, now: datetime
) -> bytes:
    """The photographer's subscription calendar: one event per booked session.

    The UID comes from the booking's reference (stable, and not a secret, unlike the
    public id in the client's own .ics), so a reschedule moves the event in the
    subscribed calendar instead of adding a second one.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Minis//Studio bookings feed//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{studio_name} bookings")
    for row in rows:
        balance = row.balance_minor
        details = [
            _("Booking %(reference)s") % {"reference": row.reference},
            _("Phone: %(client_phone)s") % {"client_phone": row.client_phone},
            _("Email: %(client_email)s") % {"client_email": row.client_email},
            _("Balance due: %(money)s") % {"money": money(balance, row.currency or currency)}
            if balance is not None
            else _("Balance due: no quote"),
        ]
        event = Event()
        event.add("uid", f"booking-{row.reference}@minis")
        event.add("dtstamp", now)
        event.add("dtstart", row.starts_at)
        event.add("dtend", row.ends_at)
        event.add("summary", f"{row.mini_title} — {row.client_name}")
        where = row.location_name
        event.add("location", f"{where}, {row.location_address}" if row.location_address else where)
        event.add("description", "\n".join(details))
        calendar.add_component(event)
    return calendar.to_ical()
