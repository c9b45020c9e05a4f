"""Turning an outbox row into the email people read: subject, plain text, HTML, .ics.

Rendered when the email is sent (or shown on the dashboard) from the facts the row
carries (booking/email_facts.py): the booking as it was in the transaction that queued
it, so every email says what was true when it was written, however late it goes, and
carries its calendar file. Rows queued without facts (before they existed) are rendered
from the booking as it is now and the slots their payload names. Templates live in
templates/mail/: ``{kind}.html`` is autoescaped, ``{kind}.txt`` is not (plain text has
nothing to escape, and escaping would garble names like "O'Brien").

Each email is rendered under ``i18n.use_language`` in its reader's language, so its
words, dates, times and amounts follow it: a client's email in the language decided when
it was queued (the facts' ``language``, booking/email_language.py), the photographer's in
the dashboard's (English for now).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from babel.support import LazyProxy
from databases import Database
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .. import formatting, i18n
from ..booking.answers import booking_answers
from ..booking.catalog import studio_by_id
from ..booking.contracts import signature_of
from ..booking.email_facts import EmailFacts, PlaceAndTime, place_and_time, read_facts
from ..booking.email_language import STUDIO_LANGUAGE, email_language
from ..booking.events import calendar_sequence
from ..booking.tokens import BookingTokens
from ..booking.unpaid import offline_deadline
from ..booking.views import BookingView, load_booking_view
from ..contract_pdf import signed_contract_pdf
from ..db.outbox import OutboxEmail
from ..db.tables import bookings
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from ..notice import notice_html, notice_text
from .ics import booking_ics, google_calendar_link, map_link, outlook_calendar_link
from .refund_text import refund_story
from .studio_notices import STUDIO_KINDS, render_studio_notice

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"

# kind: (audience, subject). Subjects are %-format strings over the values below,
# translated when rendered (in the client's language; the studio's in English).
KINDS: dict[str, tuple[str, LazyProxy]] = {
    "booked": ("client", lazy_gettext("You're booked: %(title)s, %(when)s")),
    "rescheduled": ("client", lazy_gettext("Your session has moved to %(when)s")),
    "cancelled": ("client", lazy_gettext("Your booking is cancelled: %(title)s, %(when)s")),
    "reminder": ("client", lazy_gettext("Reminder: %(title)s, %(when)s")),
    "balance_reminder": ("client", lazy_gettext("Balance due for %(title)s: %(balance)s")),
    "payment_due": (
        "client",
        lazy_gettext("Payment due by %(deadline)s to keep %(title)s, %(when)s"),
    ),
    "waitlist_offer": (
        "client",
        lazy_gettext("A spot opened up: %(title)s, %(when)s. Yours until %(deadline)s"),
    ),
    "new_booking": ("studio", lazy_gettext("New booking: %(client)s for %(title)s, %(when)s")),
    "rescheduled_studio": (
        "studio",
        lazy_gettext("Rescheduled: %(client)s, %(old_when)s → %(when)s"),
    ),
    "cancelled_studio": ("studio", lazy_gettext("Cancelled: %(client)s, %(title)s, %(when)s")),
}
# The client's email about a change the studio made for them (payload ``by="studio"``).
BY_STUDIO_SUBJECTS = {
    "cancelled": lazy_gettext("%(studio)s cancelled your booking: %(title)s, %(when)s"),
    "rescheduled": lazy_gettext("%(studio)s moved your session to %(when)s"),
}
# The emails about a time released because its offline payment never came (``by="deadline"``).
BY_DEADLINE_SUBJECTS = {
    "cancelled": lazy_gettext("Your time was released (no payment received): %(title)s, %(when)s"),
    "cancelled_studio": lazy_gettext("Released, not paid: %(client)s, %(title)s, %(when)s"),
}
# The calendar file each client email carries, by its iTIP method (mail/ics.py): the entry
# added or moved (REQUEST, with the entry's current SEQUENCE), or removed (CANCEL).
CALENDAR_METHODS = {
    "booked": "REQUEST",
    "rescheduled": "REQUEST",
    "reminder": "REQUEST",
    "cancelled": "CANCEL",
}
# The line inboxes show after the subject (hidden at the top of the HTML part).
PREHEADERS = {
    "booked": lazy_gettext("%(when)s at %(place)s. Your calendar entry is attached."),
    "rescheduled": lazy_gettext(
        "Your new time: %(when)s at %(place)s. Your calendar entry is updated."
    ),
    "cancelled": lazy_gettext("%(title)s, %(when)s, is cancelled. %(money)s"),
    "reminder": lazy_gettext("%(when)s at %(place)s. Here's everything you need for the day."),
    "balance_reminder": lazy_gettext("%(balance)s is due for your session on %(when)s."),
    "payment_due": lazy_gettext("Please pay %(balance)s by %(deadline)s to keep your time."),
    "waitlist_offer": lazy_gettext("Held for you alone until %(deadline)s: claim it in one step."),
    "new_booking": lazy_gettext("%(client)s booked %(when)s at %(place)s. %(paid)s"),
    "rescheduled_studio": lazy_gettext("%(client)s moved from %(old_when)s to %(when)s."),
    "cancelled_studio": lazy_gettext("%(client)s cancelled %(when)s. The time is open again."),
}
# The name studio emails are sent under: the studio's own name is in the To line.
SERVICE_NAME = "Minis"


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
    # Content-Type parameters beyond the type (a calendar file's charset and method).
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedEmail:
    kind: str
    recipient: str
    recipient_name: str
    subject: str
    text: str
    html: str
    studio_name: str  # the name it is sent under (From's display name)
    reply_to: str | None
    attachments: list[Attachment]
    # A list email's one-click unsubscribe URL (RFC 8058): List-Unsubscribe(-Post) headers.
    list_unsubscribe: str = ""
    # The language it is written in (a key of i18n.LANGUAGES): its Content-Language header.
    language: str = i18n.DEFAULT_LANGUAGE


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
    env.filters.update(formatting.TEMPLATE_FILTERS, markdown=notice_html, markdown_text=notice_text)
    i18n.install_in(env)
    return env


def _tidy_text(text: str) -> str:
    """Plain text with at most one blank line in a row (template tags leave some behind)."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


async def slot_place(db: Database, slot_id: int) -> PlaceAndTime:
    place = await place_and_time(db, slot_id)
    if place is None:
        raise RenderError(f"slot {slot_id} is gone")
    return place


def _one_line(text: str) -> str:
    """One line, as the dashboard shows a subject (mail/compose.header_text makes every
    header value safe, whatever Python runs)."""
    return " ".join(text.split())


async def _facts_now(db: Database, email: OutboxEmail) -> EmailFacts:
    """The facts of a row queued without them: the booking now, at the slots it names."""
    public_id = await db.fetch_val(
        sa.select(bookings.c.public_id).where(bookings.c.id == email.booking_id)
    )
    view = await load_booking_view(db, public_id) if public_id else None
    if view is None:
        raise RenderError(f"booking {email.booking_id} is gone")
    payload = email.payload
    place = await slot_place(db, int(payload.get("slot_id", view.slot_id)))
    booking = dataclasses.replace(
        view, starts_at=place.starts_at, ends_at=place.ends_at, location=place.location
    )
    old = await slot_place(db, int(payload["old_slot_id"])) if "old_slot_id" in payload else None
    return EmailFacts(booking, await calendar_sequence(db, view.id), old)


async def _with_current_logo(db: Database, booking: BookingView) -> BookingView:
    """The booking with the studio's logo as it is now: a replaced logo's old URL is
    retired (404), and the logo says who writes, not what was booked."""
    studio = await studio_by_id(db, booking.studio.id)
    if studio is None:
        return booking
    now = dataclasses.replace(
        booking.studio, logo_sha256=studio.logo_sha256, logo_type=studio.logo_type
    )
    return dataclasses.replace(booking, studio=now)


def _paid_line(booking: BookingView) -> str:
    """What the studio has been paid, in one sentence (the studio's preheader)."""
    if booking.quote is None or not booking.total_minor:
        return _("Free session.")
    paid = formatting.money(booking.paid_minor, booking.currency)
    total = formatting.money(booking.total_minor, booking.currency)
    if booking.paid_minor >= booking.total_minor:
        return _("Paid in full: %(total)s.") % {"total": total}
    if _offline_pending(booking):
        if not booking.paid_minor:
            return _("Paying you directly: %(total)s, not received yet.") % {"total": total}
        return _("Paid %(paid)s of %(total)s; paying you the rest directly.") % {
            "paid": paid,
            "total": total,
        }
    return _("Paid %(paid)s of %(total)s.") % {"paid": paid, "total": total}


def _offline_pending(booking: BookingView) -> bool:
    """The client chose to pay the studio directly and it isn't marked received yet."""
    return any(p.method == "offline" and p.status == "pending" for p in booking.payments)


async def render_email(
    db: Database, email: OutboxEmail, *, base_url: str, tokens: BookingTokens, now: datetime
) -> RenderedEmail:
    """The email for this outbox row. Raises RenderError when it can no longer be written."""
    if email.kind in STUDIO_KINDS:  # about the studio, not a booking
        rendered: RenderedEmail = await render_studio_notice(db, email, base_url=base_url)
        return rendered
    from .render_lists import LIST_KINDS, render_list_email  # it builds on this module

    if email.kind in LIST_KINDS:
        return await render_list_email(db, email, base_url=base_url, tokens=tokens, now=now)
    if email.kind not in KINDS or email.booking_id is None:
        raise RenderError(f"unknown email kind {email.kind!r}")
    facts = read_facts(email.payload) or await _facts_now(db, email)
    audience = KINDS[email.kind][0]
    if audience == "studio":
        language = STUDIO_LANGUAGE  # the dashboard's language
    else:  # the one decided when it was queued; rows from before languages: the lead's now
        language = facts.language or await email_language(
            db, studio_id=facts.booking.studio.id, lead_id=facts.booking.lead_id
        )
    with i18n.use_language(language) as language:
        return await _render_booking_email(
            db, email, facts, language, base_url=base_url, tokens=tokens
        )


async def _render_booking_email(
    db: Database,
    email: OutboxEmail,
    facts: EmailFacts,
    language: str,
    *,
    base_url: str,
    tokens: BookingTokens,
) -> RenderedEmail:
    """A booking's email from its facts, in ``language`` (the one in force)."""
    audience, subject_format = KINDS[email.kind]
    by = str(email.payload.get("by", "client"))
    if by == "studio":
        subject_format = BY_STUDIO_SUBJECTS.get(email.kind, subject_format)
    elif by == "deadline":
        subject_format = BY_DEADLINE_SUBJECTS.get(email.kind, subject_format)
    else:
        by = "client"
    payload = email.payload
    booking, old = await _with_current_logo(db, facts.booking), facts.old
    manage_url = f"{base_url}/b/{tokens.make(booking.public_id)}"
    tz = booking.location.timezone
    refund_minor = int(payload.get("refund_minor", 0))
    money_story = refund_story(booking, refund_minor, by)
    when = formatting.slot_label(booking.starts_at, tz)
    old_when = formatting.slot_label(old.starts_at, old.location.timezone) if old else ""
    deadline = _deadline(payload, tz)
    pay_by = offline_deadline(booking)
    values = {
        "title": booking.mini.title,
        "when": when,
        "old_when": old_when,
        "place": booking.location.name,
        "client": booking.client_name,
        "studio": booking.studio.name,
        "balance": formatting.money(booking.balance_minor, booking.currency),
        "deadline": deadline,
        "money": money_story.summary,
        "paid": _paid_line(booking),
    }
    context: dict[str, Any] = {
        "booking": booking,
        "studio": booking.studio,
        "mini": booking.mini,
        "old": old,
        "message": str(payload.get("message", "")),
        "refund_minor": refund_minor,
        "money_story": money_story,
        "manage_url": manage_url,
        "dashboard_url": f"{base_url}/admin/bookings/{booking.id}",
        "book_again_url": f"{base_url}/{quote(booking.studio.slug)}/{quote(booking.mini.slug)}",
        "google_url": google_calendar_link(booking, manage_url),
        "outlook_url": outlook_calendar_link(booking, manage_url),
        "map_url": map_link(booking),
        "offline_pending": _offline_pending(booking),
        "paid_line": values["paid"],
        "audience": audience,
        "by": by,
        "base_url": base_url,  # the logo's absolute URL in the header
        "deadline": deadline,
        "pay_by": formatting.slot_label(pay_by, tz) if pay_by else "",
        "preheader": _one_line(str(PREHEADERS[email.kind]) % values),
        # As given when the email was queued (its facts); else as they are now.
        "answers": facts.answers
        if facts.answers is not None
        else await booking_answers(db, booking.id),
    }
    # A waitlist offer's links: claim the spot, or leave the list (the entry's own token).
    context["claim_url"] = f"{manage_url}/claim"
    entry = payload.get("entry")
    context["leave_url"] = (
        f"{base_url}/waitlist/{tokens.make_waitlist(entry)}" if isinstance(entry, str) else ""
    )
    attachments = []
    method = CALENDAR_METHODS.get(email.kind)
    if method is not None and booking.status == ("cancelled" if method == "CANCEL" else "booked"):
        calendar = booking_ics(
            booking,
            manage_url,
            base_url=base_url,
            sequence=facts.calendar_sequence,
            stamp=email.created_at,  # when it was written: a retry sends the same file
            method=method,
        )
        attachments.append(
            Attachment(
                f"{booking.reference}.ics",
                "text",
                "calendar",
                calendar.data,
                {"charset": "utf-8", "method": method},
            )
        )
    signature = await signature_of(db, booking.id) if email.kind == "booked" else None
    if signature is not None:
        # The client's copy of what they signed (the dashboard serves the same file).
        attachments.append(
            Attachment(
                f"contract-{booking.reference}.pdf",
                "application",
                "pdf",
                signed_contract_pdf(booking, signature),
            )
        )
    to_client = audience == "client"
    return RenderedEmail(
        kind=email.kind,
        recipient=email.recipient,
        recipient_name=booking.client_name if to_client else booking.studio.name,
        subject=_one_line(str(subject_format) % values),
        text=_tidy_text(mail_templates("txt").get_template(f"{email.kind}.txt").render(context)),
        html=mail_templates("html").get_template(f"{email.kind}.html").render(context),
        studio_name=booking.studio.name if to_client else SERVICE_NAME,
        reply_to=booking.studio.notify_email if to_client else booking.client_email,
        attachments=attachments,
        language=language,
    )
