"""Emails about a mini session or a studio's list rather than a booking: early access to
a scheduled drop, the "notify me" list's confirmation and announcements. Rendered like
booking emails (mail/render.py), from what is true when sent: an announcement to an
address that unsubscribed meanwhile (or never confirmed) is never sent. Each speaks the
language decided when it was queued (the payload's ``language``: the subscriber's, or
for early access the one its client last booked in); rows from before languages, the
subscriber's language now, else the studio's default."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from databases import Database

from .. import formatting, i18n
from ..booking.catalog import mini_session_by_id, studio_by_id
from ..booking.email_language import email_language
from ..booking.tokens import BookingTokens
from ..db.outbox import OutboxEmail
from ..db.tables import subscribers
from ..i18n import gettext as _
from ..i18n import lazy_gettext
from .render import RenderedEmail, RenderError, mail_templates

# kind: subject (a %-format string over title, studio, when), translated when rendered
LIST_KINDS = {
    "early_access": lazy_gettext("Early access: %(title)s opens for you %(when)s"),
    "notify_confirm": lazy_gettext("Please confirm: news of %(studio)s's mini sessions"),
    "announcement": lazy_gettext("New from %(studio)s: %(title)s"),
}


async def _list_language(db: Database, email: OutboxEmail) -> str:
    """The language decided when it was queued; for older rows, the subscriber's now (or
    the studio's default)."""
    queued = email.payload.get("language")
    if isinstance(queued, str) and queued:
        return queued
    subscriber_language = await db.fetch_val(
        subscribers.select()
        .with_only_columns(subscribers.c.language)
        .where(subscribers.c.id == email.payload.get("subscriber_id"))
    )
    return await email_language(db, studio_id=email.studio_id, chosen=subscriber_language)


async def render_list_email(
    db: Database, email: OutboxEmail, *, base_url: str, tokens: BookingTokens, now: datetime
) -> RenderedEmail:
    with i18n.use_language(await _list_language(db, email)) as language:
        rendered = await _render_list_email(db, email, base_url=base_url, tokens=tokens)
    return dataclasses.replace(rendered, language=language)


async def _render_list_email(
    db: Database, email: OutboxEmail, *, base_url: str, tokens: BookingTokens
) -> RenderedEmail:
    if email.kind in ("notify_confirm", "announcement"):
        return await _render_notify(db, email, base_url=base_url, tokens=tokens)
    raw_id = email.payload.get("mini_session_id")
    mini = await mini_session_by_id(db, raw_id) if isinstance(raw_id, int) else None
    studio = await studio_by_id(db, mini.studio_id) if mini else None
    if mini is None or studio is None:
        raise RenderError(f"mini session {raw_id!r} is gone")
    tz = studio.timezone
    early = mini.early_opens_at or mini.opens_at
    context: dict[str, Any] = {
        "studio": studio,
        "mini": mini,
        "base_url": base_url,
        "unsubscribe_url": "",
        # Translators: when booking opens, in "You can book from now"
        "early_when": formatting.slot_label(early, tz) if early else _("now"),
        # Translators: when booking opens, in "everyone else can from now"
        "opens_when": formatting.slot_label(mini.opens_at, tz) if mini.opens_at else _("now"),
        "early_url": (
            f"{base_url}/{studio.slug}/{mini.slug}"
            f"?early={tokens.make_early(mini.id, email.recipient)}"
        ),
    }
    subject = str(LIST_KINDS[email.kind]) % {
        "title": mini.title,
        "studio": studio.name,
        "when": context["early_when"],
    }
    return RenderedEmail(
        kind=email.kind,
        recipient=email.recipient,
        recipient_name="",
        subject=" ".join(subject.split()),
        text=mail_templates("txt").get_template(f"{email.kind}.txt").render(context),
        html=mail_templates("html").get_template(f"{email.kind}.html").render(context),
        studio_name=studio.name,
        reply_to=studio.notify_email,
        attachments=[],
    )


async def _render_notify(
    db: Database, email: OutboxEmail, *, base_url: str, tokens: BookingTokens
) -> RenderedEmail:
    raw_id = email.payload.get("subscriber_id")
    row = await db.fetch_one(subscribers.select().where(subscribers.c.id == raw_id))
    studio = await studio_by_id(db, email.studio_id)
    if row is None or studio is None:
        raise RenderError(f"subscriber {raw_id!r} is gone")
    state, public_id = row._mapping["state"], row._mapping["public_id"]
    if email.kind == "announcement" and state != "confirmed":
        raise RenderError("not a confirmed subscriber (unsubscribed, or never confirmed)")
    if email.kind == "notify_confirm" and state != "pending":
        raise RenderError("no confirmation pending")
    token = tokens.make_subscriber(public_id)
    mini = None
    if email.kind == "announcement":
        mini_id = email.payload.get("mini_session_id")
        mini = await mini_session_by_id(db, mini_id) if isinstance(mini_id, int) else None
        if mini is None:
            raise RenderError(f"mini session {mini_id!r} is gone")
    unsubscribe_url = f"{base_url}/notify/{token}/unsubscribe"
    context: dict[str, Any] = {
        "studio": studio,
        "mini": mini,
        "base_url": base_url,
        "confirm_url": f"{base_url}/notify/{token}/confirm",
        "unsubscribe_url": unsubscribe_url if email.kind == "announcement" else "",
        "mini_url": f"{base_url}/{studio.slug}/{mini.slug}" if mini else "",
    }
    subject = str(LIST_KINDS[email.kind]) % {
        "title": mini.title if mini else "",
        "studio": studio.name,
        "when": "",
    }
    return RenderedEmail(
        kind=email.kind,
        recipient=email.recipient,
        recipient_name="",
        subject=" ".join(subject.split()),
        text=mail_templates("txt").get_template(f"{email.kind}.txt").render(context),
        html=mail_templates("html").get_template(f"{email.kind}.html").render(context),
        studio_name=studio.name,
        reply_to=studio.notify_email,
        attachments=[],
        list_unsubscribe=unsubscribe_url if email.kind == "announcement" else "",
    )
