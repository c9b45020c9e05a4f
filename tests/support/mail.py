"""Driving the outbox from tests: deliver with a real SMTP server, read what is queued, and
read what arrived (its parts, its calendar files)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from databases import Database
from icalendar import Calendar
from starlette.testclient import TestClient

from widget_server.booking.clock import Clock
from widget_server.config import Settings
from widget_server.db.tables import mini_sessions, outbox
from widget_server.mail.sender import DeliveryReport, deliver_due, mail_tick, transport_for

from .clock import FakeClock
from .databases import run_db
from .queries import rows
from .smtp import SmtpServer


def outbox_rows(url: str) -> list[dict[str, Any]]:
    return rows(url, sa.select(outbox).order_by(outbox.c.id))


def kinds(url: str) -> list[tuple[str, str]]:
    """(kind, recipient) of every queued email, oldest first."""
    return [(r["kind"], r["recipient"]) for r in outbox_rows(url)]


def deliver(settings: Settings, clock: Clock) -> DeliveryReport:
    """One delivery round against ``settings.smtp_url``."""
    transport = transport_for(settings)
    assert transport is not None

    async def work(db: Database) -> DeliveryReport:
        return await deliver_due(db, settings, transport, clock)

    return run_db(settings.database_url, work)


def tick(settings: Settings, clock: Clock) -> DeliveryReport:
    """One round of the sender loop: queue due reminders, then deliver (if SMTP is set)."""
    transport = transport_for(settings)

    async def work(db: Database) -> DeliveryReport:
        return await mail_tick(db, settings, transport, clock)

    return run_db(settings.database_url, work)


def set_mini(url: str, slug: str, **values: Any) -> None:
    """Change mini session settings (every studio's mini with this slug)."""

    async def work(db: Database) -> None:
        await db.execute(
            mini_sessions.update().where(mini_sessions.c.slug == slug).values(**values)
        )

    run_db(url, work)


def text_body(message: EmailMessage) -> str:
    """The plain text part of a received message."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, f"no plain text part in {message['Subject']!r}"
    return str(part.get_content())


def html_body(message: EmailMessage) -> str:
    """The HTML part of a received message."""
    part = message.get_body(preferencelist=("html",))
    assert part is not None, f"no HTML part in {message['Subject']!r}"
    return str(part.get_content())


def parts(message: EmailMessage) -> tuple[str, str, list[EmailMessage]]:
    """(plain text, HTML, attachments) of a received message."""
    return text_body(message), html_body(message), list(message.iter_attachments())


def calendar_summaries(message: EmailMessage) -> list[str]:
    """The first event's summary of each calendar file attached."""
    return [
        str(Calendar.from_ical(part.get_content()).walk("VEVENT")[0]["summary"])
        for part in message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]


def by_recipient(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    """Recipient's address → the message (one message each)."""
    return {m["To"].addresses[0].addr_spec: m for m in messages}


def the_one(messages: list[EmailMessage], to: str, subject_start: str) -> EmailMessage:
    """The single message to ``to`` whose subject starts so."""
    [found] = [
        m
        for m in messages
        if m["To"].addresses[0].addr_spec == to and str(m["Subject"]).startswith(subject_start)
    ]
    return found


def deliver_from_booked_to_cancelled(
    client: TestClient,
    settings: Settings,
    clock: FakeClock,
    smtp: SmtpServer,
    token: str,
    later_slot: int,
) -> tuple[list[int], list[EmailMessage]]:
    """A booking's emails from booked to cancelled, over real SMTP (``settings.smtp_url``):
    a delivery of what the booking queued; a day on (23 hours), a round of the sender
    (the reminder and the balance reminder); a move to ``later_slot`` and a cancellation,
    then their delivery. How many each of the three rounds sent, and every message
    received by then."""
    sent = [deliver(settings, clock).sent]
    clock.advance(hours=23)
    sent.append(tick(settings, clock).sent)
    moved = client.post(f"/b/{token}/reschedule", data={"slot": str(later_slot)})
    assert moved.status_code == 303, moved.text
    cancelled = client.post(f"/b/{token}/cancel", data={"message": "", "confirm": "yes"})
    assert cancelled.status_code == 303, cancelled.text
    sent.append(deliver(settings, clock).sent)
    return sent, smtp.wait_for(sum(sent))
