"""Calendar files that calendar apps update in place, and emails that say what was true
when they were written: booked → rescheduled → reminded → cancelled, every file read by
icalendar and by ical.js, over real SMTP (also down, then up again)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from starlette.testclient import TestClient

from tests.support.calendars import calendar_attachment, read_both
from tests.support.clock import FakeClock
from tests.support.flow import book_with_demo_card
from tests.support.mail import deliver, set_mini, text_body, the_one, tick
from tests.support.queries import all_bookings
from tests.support.smtp import SmtpServer
from tests.support.world import World
from widget_server.config import Settings

BASE_URL = "https://book.example.com"
ADA = "ada@example.com"
# The world's first two portraits slots (Thu Nov 26, New York), in UTC as ical.js writes it.
FIRST = ("2026-11-26T14:00:00.000Z", "2026-11-26T14:20:00.000Z")
SECOND = ("2026-11-26T14:25:00.000Z", "2026-11-26T14:45:00.000Z")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app on a real host name: calendar UIDs and Message-IDs are on it."""
    return settings.with_(base_url=BASE_URL)


def _to_ada(messages: list[EmailMessage], subject_start: str) -> EmailMessage:
    return the_one(messages, ADA, subject_start)


def _text(message: EmailMessage) -> str:
    return " ".join(text_body(message).split())


def _file(message: EmailMessage) -> tuple[bytes, str]:
    """The calendar attachment's bytes and its Content-Type header as sent."""
    ics = calendar_attachment(message)
    data = ics.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data, str(ics["Content-Type"])


def test_one_uid_a_rising_sequence_and_a_cancelling_file_from_booked_to_cancelled(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    set_mini(db_url, "portraits", change_cutoff_hours=1, cancel_refund_policy="keep_deposit")
    settings = settings.with_(smtp_url=smtp.url)
    token = book_with_demo_card(client, world.slots["portraits"][0])
    assert tick(settings, clock).sent == 2
    assert client.post(f"/b/{token}/reschedule", data={"slot": str(world.slots["portraits"][1])})
    assert tick(settings, clock).sent == 2
    download = client.get(f"/b/{token}/calendar.ics")  # the confirmation page's file
    clock.advance(hours=23, minutes=25)  # the reminder is due 24 hours before the new time
    assert tick(settings, clock).sent == 2  # the reminder and the balance reminder
    cancelled = client.post(f"/b/{token}/cancel", data={"confirm": "yes"})
    assert cancelled.status_code == 303
    assert tick(settings, clock).sent == 2
    messages = smtp.wait_for(8)

    emails = [
        _to_ada(messages, "You're booked"),
        _to_ada(messages, "Your session has moved"),
        _to_ada(messages, "Reminder:"),
        _to_ada(messages, "Your booking is cancelled"),
    ]
    files, content_types = zip(*(_file(m) for m in emails), strict=True)
    reference = all_bookings(db_url)[0]["reference"]
    assert list(content_types) == [
        f'text/calendar; charset="utf-8"; method="{method}"'
        for method in ("REQUEST", "REQUEST", "REQUEST", "CANCEL")
    ]
    assert {calendar_attachment(m).get_filename() for m in emails} == {f"{reference}.ics"}
    assert download.headers["content-type"] == "text/calendar; charset=utf-8; method=PUBLISH"
    read = read_both([*files, download.content])
    events = [r["events"][0] for r in read]
    # One UID for every file about the booking, on the service's own host.
    assert {e["uid"] for e in events} == {f"{reference.lower()}@book.example.com"}
    assert [r["method"] for r in read] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL", "PUBLISH"]
    # booked 0, moved 1, the reminder carries the current 1, the cancellation 2; the page 1.
    assert [e["sequence"] for e in events] == [0, 1, 1, 2, 1]
    assert [(e["start"], e["end"]) for e in events] == [FIRST, SECOND, SECOND, SECOND, SECOND]
    assert [e["status"] for e in events] == [
        "CONFIRMED",
        "CONFIRMED",
        "CONFIRMED",
        "CANCELLED",
        "CONFIRMED",
    ]
    for event in events[:4]:  # iTIP: the studio organises, the client attends
        assert event["organizer"] == "mailto:acme@studio.test"
        assert event["attendees"] == [f"mailto:{ADA}"]
    assert all(e["summary"] == "Portraits with Acme Photo" for e in events)
    assert all(e["location"] == "Park, 1 Park Ave" for e in events)

    cancel_text = _text(emails[3])
    assert "$0.00 is being refunded" not in cancel_text
    assert "No refund: Acme Photo keeps the $50.00 you paid." in cancel_text
    assert "Under Acme Photo's cancellation policy the deposit is not refunded." in cancel_text
    assert "removes this session from your calendar" in cancel_text


def test_an_email_delayed_by_an_outage_says_what_was_true_when_it_was_written(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    """The confirmation waits out an SMTP outage while the client moves, then cancels: it
    still confirms the first time with the amounts then, and carries its calendar file;
    each later email carries its own, with a higher SEQUENCE."""
    set_mini(db_url, "portraits", change_cutoff_hours=1, cancel_refund_policy="full")
    settings = settings.with_(smtp_url=smtp.url)
    smtp.stop()
    token = book_with_demo_card(client, world.slots["portraits"][0])
    assert deliver(settings, clock).retrying == 2
    assert client.post(f"/b/{token}/reschedule", data={"slot": str(world.slots["portraits"][1])})
    assert deliver(settings, clock).retrying == 2  # the two new ones; the first two wait
    cancelled = client.post(f"/b/{token}/cancel", data={"message": "", "confirm": "yes"})
    assert cancelled.status_code == 303
    assert all_bookings(db_url)[0]["status"] == "cancelled"
    smtp.start()
    clock.advance(minutes=5)  # past every backoff
    report = deliver(settings, clock)
    assert (report.sent, report.retrying, report.failed) == (6, 0, 0)
    messages = smtp.wait_for(6)

    booked = _to_ada(messages, "You're booked: Portraits, Thu, Nov 26, 9:00 AM EST")
    text = _text(booked)
    assert (
        "Time: 9:00 AM EST \u2013 9:20 AM" in text and "Paid: $50.00, balance due: $150.00" in text
    )
    moved = _to_ada(messages, "Your session has moved to Thu, Nov 26, 9:25 AM EST")
    assert "it was Thu, Nov 26, 9:00 AM EST at Park" in _text(moved)
    gone = _to_ada(messages, "Your booking is cancelled")
    assert "All you paid, $50.00, is being refunded to you." in _text(gone)
    [studio_new] = [m for m in messages if str(m["Subject"]).startswith("New booking")]
    assert "Paid $50.00 of $200.00." in _text(studio_new)

    # Message-IDs on the service's host, one per outbox row however many attempts it took.
    assert all(str(m["Message-ID"]).endswith("@book.example.com>") for m in messages)
    assert len({str(m["Message-ID"]) for m in messages}) == 6
    read = read_both([_file(m)[0] for m in (booked, moved, gone)])
    events = [r["events"][0] for r in read]
    assert len({e["uid"] for e in events}) == 1
    assert [
        (r["method"], e["sequence"], e["status"]) for r, e in zip(read, events, strict=True)
    ] == [
        ("REQUEST", 0, "CONFIRMED"),
        ("REQUEST", 1, "CONFIRMED"),
        ("CANCEL", 2, "CANCELLED"),
    ]
    assert [(e["start"], e["end"]) for e in events] == [FIRST, SECOND, SECOND]
