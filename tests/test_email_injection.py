"""No name, title or message can make an email header or body part, whatever Python runs.

Python 3.11.7 lacks the fix for CVE-2024-6923: a display name or subject made of RFC 2047
encoded words (``=?utf-8?q?Eve=0D=0AX-Injected:_yes?=``) was decoded while the header
was parsed and its line breaks written out as they were, adding headers and replacing
the body. These tests book and cancel over HTTP, deliver through the real sender to a
real SMTP server (aiosmtpd), and read the raw bytes it accepted.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from databases import Database
from icalendar import Calendar
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import book_with_demo_card
from tests.support.mail import deliver, set_mini
from tests.support.smtp import SmtpServer
from tests.support.world import World
from widget_server.config import Settings
from widget_server.db.tables import leads, mini_sessions, studios
from widget_server.mail import compose
from widget_server.mail.render import RenderedEmail, RenderError

INJECTED = "Eve\r\nX-Injected: yes\r\n\r\nInjected body"
PAYLOADS = {
    "q-encoded": "=?utf-8?q?Eve=0D=0AX-Injected:_yes=0D=0A=0D=0AInjected_body?=",
    "b-encoded": f"=?utf-8?b?{base64.b64encode(INJECTED.encode()).decode()}?=",
    "encoded, quoted": '"=?utf-8?q?Eve=0D=0AX-Injected:_yes?=" <eve@example.com>',
    "encoded, split": "Eve =?utf-8?q?=0D=0A?= =?utf-8?q?X-Injected:_yes?=",
    "raw line breaks": INJECTED,
    "unicode line breaks": "Eve\u2028X-Injected: yes\u2029\x85Injected body\x0bX-Injected: 2",
}
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
# What each email's top-level header block must be: these, once each, in this order.
HEADERS = [
    "From",
    "To",
    "Reply-To",
    "Subject",
    "Message-ID",
    "Date",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
    "Content-Language",  # the email's language (mail/compose.py)
]


def _plant(db_url: str, payload: str) -> None:
    """The payload as the client's name, the studio's name and the mini session's title,
    as stored before the forms refused it (the details form does now): the emails are
    written from what is stored when they are sent."""

    async def work(db: Database) -> None:
        await db.execute(leads.update().values(name=payload))
        await db.execute(studios.update().where(studios.c.slug == "acme").values(name=payload))
        await db.execute(
            mini_sessions.update().where(mini_sessions.c.slug == "portraits").values(title=payload)
        )

    run_db(db_url, work)


# The headers a body part may have.
PART_HEADERS = {"Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version"}


def _header_names(block: bytes) -> list[str]:
    """The names of the headers in a raw header block, folded lines joined."""
    unfolded = block.replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    return [line.split(b":", 1)[0].decode() for line in unfolded.split(b"\r\n")]


def _check_raw(raw: bytes) -> EmailMessage:
    """The message parsed from the bytes the server accepted, after checking that its
    header block is exactly HEADERS, that each body part's header block holds part
    headers only, and that no header anywhere is X-Injected."""
    header_block, separator, _ = raw.partition(b"\r\n\r\n")
    assert separator, raw[:300]
    assert _header_names(header_block) == HEADERS, header_block
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    assert list(parsed.keys()) == HEADERS
    for part in parsed.walk():
        assert "X-Injected" not in part, part.items()
        for name, value in part.items():
            assert not set(str(value)) & {"\r", "\n"}, (name, value)
        boundary = part.get_boundary()
        if boundary is None:
            continue
        delimiter = b"\r\n--" + boundary.encode()
        chunks = raw.split(delimiter)[1:]
        assert chunks and chunks[-1].startswith(b"--"), boundary  # closed, once
        for chunk in chunks[:-1]:
            block = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")[0]
            assert set(_header_names(block)) <= PART_HEADERS, block
    return parsed


def _structure(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def _by_subject(messages: list[EmailMessage], start: str) -> EmailMessage:
    # (strip: a subject folded whole onto its second line keeps the fold's space)
    [found] = [m for m in messages if str(m["Subject"]).strip().startswith(start)]
    return found


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_names_titles_and_messages_cannot_make_headers_or_body_parts(
    client: TestClient,
    world: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
    payload: str,
) -> None:
    set_mini(db_url, "portraits", change_cutoff_hours=1, cancel_refund_policy="full")
    token = book_with_demo_card(client, world.slots["portraits"][0])
    _plant(db_url, payload)
    settings = settings.with_(smtp_url=smtp.url, mail_from="Bookings <mail@minis.test>")
    assert deliver(settings, clock).sent == 2
    message = f"{PAYLOADS['q-encoded']}\r\n{INJECTED}"
    cancelled = client.post(f"/b/{token}/cancel", data={"message": message, "confirm": "yes"})
    assert cancelled.status_code == 303
    assert deliver(settings, clock).sent == 2

    raws = smtp.raw_messages()
    assert len(raws) == 4
    parsed = [_check_raw(raw) for raw in raws]
    booked = _by_subject(parsed, "You're booked: ")
    new_booking = _by_subject(parsed, "New booking: ")
    cancelled_email = _by_subject(parsed, "Your booking is cancelled: ")
    cancelled_studio = _by_subject(parsed, "Cancelled: ")

    for email, to in (
        (booked, "ada@example.com"),
        (new_booking, "acme@studio.test"),
        (cancelled_email, "ada@example.com"),
        (cancelled_studio, "acme@studio.test"),
    ):
        [recipient] = email["To"].addresses
        [sender] = email["From"].addresses
        [reply_to] = email["Reply-To"].addresses
        assert recipient.addr_spec == to and sender.addr_spec == "mail@minis.test"
        assert {recipient.addr_spec, reply_to.addr_spec} == {"ada@example.com", "acme@studio.test"}
        assert "=?" not in sender.display_name and "=?" not in str(email["Subject"])
        assert "\n" not in sender.display_name + recipient.display_name
    assert "=?" not in booked["To"].addresses[0].display_name

    # The body parts are the ones written, whole: text and HTML, and the calendar file.
    assert _structure(booked) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert _structure(cancelled_email) == _structure(booked)  # the cancelling calendar file
    for email in (new_booking, cancelled_studio):
        assert _structure(email) == ["multipart/alternative", "text/plain", "text/html"]
    text = booked.get_body(preferencelist=("plain",))
    html = booked.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "You're booked" in text.get_content()
    assert "View or change your booking: http" in text.get_content()
    assert "You're booked" in html.get_content() and "Keep this email" in html.get_content()
    [ics] = list(booked.iter_attachments())
    event = Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    assert event.decoded("dtstart").isoformat() == "2026-11-26T14:00:00+00:00"
    studio_text = cancelled_studio.get_body(preferencelist=("plain",))
    assert studio_text is not None
    assert PAYLOADS["q-encoded"] in studio_text.get_content()  # the message, as written


def test_a_header_that_would_still_hold_a_line_break_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The last check in build_message: were a value to slip past ``header_text``, the
    message is refused (RenderError: the email fails for good) rather than sent."""
    monkeypatch.setattr(compose, "header_text", lambda value: value)  # a case it missed
    for field in ("recipient_name", "studio_name", "subject"):
        values = {"recipient_name": "Ada", "studio_name": "Acme", "subject": "Booked"}
        values[field] = PAYLOADS["q-encoded"]
        rendered = RenderedEmail(
            kind="booked",
            recipient="ada@example.com",
            text="hello",
            html="<p>hello</p>",
            reply_to=None,
            attachments=[],
            **values,
        )
        with pytest.raises(RenderError, match="line break"):
            compose.build_message(
                rendered, mail_from="m@minis.test", message_id="<1@minis.test>", date=NOW
            )
