"""Turning an outbox row into the email people read: subject, plain text, HTML, .ics.

Rendered when the email is sent (or shown on the dashboard), from the booking
as it is then and the slots named in the row's payload, so every email
describes the time it was written about. Templates live in templates/mail/:
``{kind}.html`` is autoescaped, ``{kind}.txt`` is not (plain text has nothing
to escape, and escaping would garble names like "O'Brien").
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from databases import Database
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .. import formatting
from ..booking.catalog import Location
from ..booking.tokens import BookingTokens
from ..booking.unpaid import offline_deadline
from ..booking.views import load_booking_view
from ..db.outbox import OutboxEmail
from ..db.rows import row_as
from ..db.tables import bookings, locations, session_days, slots
from ..notice import notice_html
from .ics import booking_ics

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"

# kind: (audience, subject). Subjects are format strings over the context below.
KINDS: dict[str, tuple[str, str]] = {
    "booked": ("client", "You're booked: {title}, {when}"),
    "rescheduled": ("client", "Your session has moved to {when}"),
    "cancelled": ("client", "Your booking is cancelled: {title}, {when}"),
    "reminder": ("client", "Reminder: {title}, {when}"),
    "balance_reminder": ("client", "Balance due for {title}: {balance}"),
    "payment_due": ("client", "Payment due by {deadline} to keep {title}, {when}"),
    "waitlist_offer": ("client", "A spot opened up: {title}, {when}. Yours until {deadline}"),
    "new_booking": ("studio", "New booking: {client} for {title}, {when}"),
    "rescheduled_studio": ("studio", "Rescheduled: {client}, {old_when} → {when}"),
    "cancelled_studio": ("studio", "Cancelled: {client}, {title}, {when}"),
}
# The client's email about a change the studio made for them (payload ``by="studio"``).
BY_STUDIO_SUBJECTS = {
    "cancelled": "{studio} cancelled your booking: {title}, {when}",
    "rescheduled": "{studio} moved your session to {when}",
}
# The emails about a time released because its offline payment never came (``by="deadline"``).
BY_DEADLINE_SUBJECTS = {
    "cancelled": "Your time was released (no payment received): {title}, {when}",
    "cancelled_studio": "Released, not paid: {client}, {title}, {when}",
}
# Emails that carry the calendar entry of the (new) time.
WITH_CALENDAR = {"booked", "rescheduled", "reminder"}


def _deadline(payload: dict[str, Any], timezone: str) -> str:
    """The payment deadline an email is about, in the session's time zone ("" if none)."""
    raw = payload.get("deadline")
    if not isinstance(raw, str):
        return ""
    try:
        return formatting.slot_label(datetime.fromisoformat(raw), timezone)
    except ValueError:
        return ""


class RenderError(Exception):
    """The email can't be rendered any more (e.g. its booking is gone): it fails for good."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    data: bytes


@dataclass(frozen=True)
class RenderedEmail:
    kind: str
    recipient: str
    recipient_name: str
    subject: str
    text: str
    html: str
    studio_name: str
    reply_to: str | None
    attachments: list[Attachment]
    # A list email's one-click unsubscribe URL (RFC 8058): List-Unsubscribe(-Post) headers.
    list_unsubscribe: str = ""


@dataclass(frozen=True)
class SlotPlace:
    starts_at: datetime
    ends_at: datetime
    location: Location


@cache
def mail_templates(kind: str) -> Environment:
    """Jinja for ``html`` (autoescaped) or ``txt`` (plain; block tags keep their line breaks)."""
    html = kind == "html"
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=html,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(formatting.TEMPLATE_FILTERS, markdown=notice_html)
    return env


def _tidy_text(text: str) -> str:
    """Plain text with at most one blank line in a row (template tags leave some behind)."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


class _SlotTimes(NamedTuple):
    starts_at: datetime
    ends_at: datetime


async def slot_place(db: Database, slot_id: int) -> SlotPlace:
    row = await db.fetch_one(
        sa.select(slots.c.starts_at, slots.c.ends_at, *locations.c)
        .join(session_days, session_days.c.id == slots.c.session_day_id)
        .join(locations, locations.c.id == session_days.c.location_id)
        .where(slots.c.id == slot_id)
    )
    if row is None:
        raise RenderError(f"slot {slot_id} is gone")
    times = row_as(row, _SlotTimes)
    return SlotPlace(times.starts_at, times.ends_at, Location.from_mapping(row._mapping))


def _one_line(text: str) -> str:
    """One line, as the dashboard shows a subject (mail/compose.header_text makes every
    header value safe, whatever Python runs)."""
    return " ".join(text.split())


async def render_email(
    db: Database, email: OutboxEmail, *, base_url: str, tokens: BookingTokens, now: datetime
) -> RenderedEmail:
    """The email for this outbox row. Raises RenderError when it can no longer be written."""
    from .render_lists import LIST_KINDS, render_list_email  # it builds on this module

    if email.kind in LIST_KINDS:
        return await render_list_email(db, email, base_url=base_url, tokens=tokens, now=now)
    if email.kind not in KINDS or email.booking_id is None:
        raise RenderError(f"unknown email kind {email.kind!r}")
    audience, subject_format = KINDS[email.kind]
    by = str(email.payload.get("by", "client"))
    if by == "studio":
        subject_format = BY_STUDIO_SUBJECTS.get(email.kind, subject_format)
    elif by == "deadline":
        subject_format = BY_DEADLINE_SUBJECTS.get(email.kind, subject_format)
    else:
        by = "client"
    public_id = await db.fetch_val(
        sa.select(bookings.c.public_id).where(bookings.c.id == email.booking_id)
    )
    view = await load_booking_view(db, public_id) if public_id else None
    if view is None:
        raise RenderError(f"booking {email.booking_id} is gone")
    payload = email.payload
    place = await slot_place(db, int(payload.get("slot_id", view.slot_id)))
    # The booking as it was at the time this email is about.
    booking = dataclasses.replace(
        view, starts_at=place.starts_at, ends_at=place.ends_at, location=place.location
    )
    old = await slot_place(db, int(payload["old_slot_id"])) if "old_slot_id" in payload else None
    manage_url = f"{base_url}/b/{tokens.make(view.public_id)}"
    tz = place.location.timezone
    context: dict[str, Any] = {
        "booking": booking,
        "studio": booking.studio,
        "mini": booking.mini,
        "old": old,
        "message": str(payload.get("message", "")),
        "refund_minor": int(payload.get("refund_minor", 0)),
        "manage_url": manage_url,
        "audience": audience,
        "by": by,
        "base_url": base_url,  # the logo's absolute URL in the header
    }
    when = formatting.slot_label(place.starts_at, tz)
    deadline = _deadline(payload, tz)
    context["deadline"] = deadline
    # A waitlist offer's links: claim the spot, or leave the list (the entry's own token).
    context["claim_url"] = f"{manage_url}/claim"
    entry = payload.get("entry")
    context["leave_url"] = (
        f"{base_url}/waitlist/{tokens.make_waitlist(entry)}" if isinstance(entry, str) else ""
    )
    pay_by = offline_deadline(booking)
    context["pay_by"] = formatting.slot_label(pay_by, tz) if pay_by else ""
    subject = subject_format.format(
        title=booking.mini.title,
        when=when,
        old_when=formatting.slot_label(old.starts_at, old.location.timezone) if old else "",
        client=booking.client_name,
        studio=booking.studio.name,
        balance=formatting.money(booking.balance_minor, booking.currency),
        deadline=deadline,
    )
    attachments = []
    if email.kind in WITH_CALENDAR and booking.status == "booked":
        attachments.append(
            Attachment(
                f"{booking.reference}.ics",
                "text",
                "calendar",
                booking_ics(booking, manage_url, now),
            )
        )
    to_client = audience == "client"
    return RenderedEmail(
        kind=email.kind,
        recipient=email.recipient,
        recipient_name=booking.client_name if to_client else booking.studio.name,
        subject=_one_line(subject),
        text=_tidy_text(mail_templates("txt").get_template(f"{email.kind}.txt").render(context)),
        html=mail_templates("html").get_template(f"{email.kind}.html").render(context),
        studio_name=booking.studio.name,
        reply_to=booking.studio.notify_email if to_client else booking.client_email,
        attachments=attachments,
    )
