"""A booking's calendar entry: .ics files (icalendar) that calendar apps update in place,
and the "add to calendar" links of Google Calendar and Outlook.

Every file about one booking carries the same UID, ``<reference>@<service host>`` (the
host of MINIS_BASE_URL: a real domain, so no other system's UID collides with it), and a
SEQUENCE that rises with every change (``booking/events.calendar_sequence``: +1 per
reschedule and for the cancellation). A calendar app that has the entry replaces it with
a file of the same UID and a higher (or equal and newer-stamped) SEQUENCE, and removes it
on a CANCEL. The emails use iTIP (RFC 5546): the studio is the ORGANIZER, the client the
ATTENDEE (already accepted, no reply asked), METHOD:REQUEST to add or move it,
METHOD:CANCEL with STATUS:CANCELLED to remove it. The confirmation page's download is a
PUBLISH of the same entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode, urlsplit

from icalendar import Calendar, Event, vCalAddress, vText

from ..booking.views import BookingView
from ..i18n import gettext as _

PRODID = "-//Minis//Mini session booking//EN"
METHODS = ("PUBLISH", "REQUEST", "CANCEL")


@dataclass(frozen=True)
class CalendarFile:
    data: bytes
    method: str

    @property
    def content_type(self) -> str:
        """What the file is served or attached as: calendar apps look for the method."""
        return f"text/calendar; charset=utf-8; method={self.method}"


def service_host(base_url: str) -> str:
    """The service's host name (MINIS_BASE_URL's), the domain of UIDs and Message-IDs."""
    return (urlsplit(base_url).hostname or "localhost").lower()


def calendar_uid(booking: BookingView, base_url: str) -> str:
    """The one UID of every calendar file about ``booking``. The reference, not the secret
    ``public_id``: an entry may be shared or synced to places the booking's link must not go."""
    return f"{booking.reference.lower()}@{service_host(base_url)}"


def where(booking: BookingView) -> str:
    loc = booking.location
    return f"{loc.name}, {loc.address}" if loc.address else loc.name


def map_link(booking: BookingView) -> str:
    """The location's map: the studio's own link, else a map search for its address."""
    loc = booking.location
    if loc.map_url:
        return loc.map_url
    if not loc.address:
        return ""
    return "https://www.google.com/maps/search/?" + urlencode({"api": "1", "query": where(booking)})


def _summary(booking: BookingView) -> str:
    """The entry's title, in the language in force (the email's, or the page's)."""
    # Translators: a calendar entry's title, e.g. "Fall minis with Jane Doe Photography"
    return _("%(title)s with %(studio)s") % {
        "title": booking.mini.title,
        "studio": booking.studio.name,
    }


def _booking_line(booking: BookingView) -> str:
    return _("Booking %(reference)s") % {"reference": booking.reference}


def _details(booking: BookingView, manage_url: str) -> str:
    return _("Booking %(reference)s\nManage your booking: %(url)s") % {
        "reference": booking.reference,
        "url": manage_url,
    }


def booking_ics(
    booking: BookingView,
    manage_url: str,
    *,
    base_url: str,
    sequence: int,
    stamp: datetime,
    method: str = "PUBLISH",
) -> CalendarFile:
    """The booking's calendar entry as a file. ``stamp`` is when it was written (DTSTAMP:
    the email's queueing time, so a retry sends the same file); ``method`` CANCEL makes it
    the cancelling file."""
    if method not in METHODS:
        raise ValueError(f"unknown calendar method {method!r}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", calendar_uid(booking, base_url))
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("summary", _summary(booking))
    event.add("location", where(booking))
    event.add("description", _details(booking, manage_url))
    event.add("url", manage_url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if method == "CANCEL" else "OPAQUE")
    organizer = vCalAddress(f"mailto:{booking.studio.notify_email}")
    organizer.params["cn"] = vText(booking.studio.name)
    event["organizer"] = organizer
    if method != "PUBLISH":
        # iTIP names the attendee a REQUEST or CANCEL is for: the client, already in.
        attendee = vCalAddress(f"mailto:{booking.client_email}")
        attendee.params["cn"] = vText(booking.client_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("DECLINED" if method == "CANCEL" else "ACCEPTED")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee)
    calendar.add_component(event)
    return CalendarFile(calendar.to_ical(), method)


def _utc(instant: datetime, fmt: str) -> str:
    return instant.astimezone(UTC).strftime(fmt)


def google_calendar_link(booking: BookingView, manage_url: str) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": _summary(booking),
            "dates": f"{_utc(booking.starts_at, fmt)}/{_utc(booking.ends_at, fmt)}",
            "location": where(booking),
            "details": _booking_line(booking) + "\n" + manage_url,
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"


def outlook_calendar_link(booking: BookingView, manage_url: str) -> str:
    """Outlook on the web's "new event" form, filled in (works for Outlook.com and 365)."""
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    query = urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": _summary(booking),
            "startdt": _utc(booking.starts_at, fmt),
            "enddt": _utc(booking.ends_at, fmt),
            "location": where(booking),
            "body": _booking_line(booking) + "\n" + manage_url,
        },
        quote_via=quote,
    )
    return f"https://outlook.live.com/calendar/0/action/compose?{query}"
