"""Calendar entries for a booking: an .ics file (icalendar) and a Google Calendar link."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from icalendar import Calendar, Event, vCalAddress

from ..booking.views import BookingView


def _where(booking: BookingView) -> str:
    loc = booking.location
    return f"{loc.name}, {loc.address}" if loc.address else loc.name


def booking_ics(booking: BookingView, manage_url: str, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Minis//Mini session booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    # Stable per booking, so re-downloading updates the entry instead of duplicating it.
    event.add("uid", f"{booking.public_id}@minis")
    event.add("dtstamp", now)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", f"{booking.mini.title} with {booking.studio.name}")
    event.add("location", _where(booking))
    event.add("description", f"Booking {booking.reference}\nManage your booking: {manage_url}")
    event.add("url", manage_url)
    organizer = vCalAddress(f"mailto:{booking.studio.notify_email}")
    organizer.params["cn"] = booking.studio.name
    event["organizer"] = organizer
    calendar.add_component(event)
    return calendar.to_ical()


def google_calendar_link(booking: BookingView, manage_url: str) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": f"{booking.mini.title} with {booking.studio.name}",
            "dates": f"{booking.starts_at.strftime(fmt)}/{booking.ends_at.strftime(fmt)}",
            "location": _where(booking),
            "details": f"Booking {booking.reference}\n{manage_url}",
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"
