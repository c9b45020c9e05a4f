"""Calendar entries for a booking: an .ics file (icalendar) and a Google Calendar link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlencode

from icalendar import Calendar, Event, vCalAddress

from ..booking.views import BookingView
from ..formatting import money
from ..studio.export import ExportRow


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
            f"Booking {row.reference}",
            f"Phone: {row.client_phone}",
            f"Email: {row.client_email}",
            f"Balance due: {money(balance, row.currency or currency)}"
            if balance is not None
            else "Balance due: no quote",
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
