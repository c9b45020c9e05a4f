"""Emails about a mini session rather than a booking: early access to a scheduled drop.
Rendered like booking emails (mail/render.py), from the mini session as it is when sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from databases import Database

from .. import formatting
from ..booking.catalog import mini_session_by_id, studio_by_id
from ..booking.tokens import BookingTokens
from ..db.outbox import OutboxEmail
from .render import RenderedEmail, RenderError, mail_templates

# kind: subject (a format string over title, studio, when)
LIST_KINDS = {
    "early_access": "Early access: {title} opens for you {when}",
}


async def render_list_email(
    db: Database, email: OutboxEmail, *, base_url: str, tokens: BookingTokens, now: datetime
) -> RenderedEmail:
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
        "early_when": formatting.slot_label(early, tz) if early else "now",
        "opens_when": formatting.slot_label(mini.opens_at, tz) if mini.opens_at else "now",
        "early_url": (
            f"{base_url}/{studio.slug}/{mini.slug}"
            f"?early={tokens.make_early(mini.id, email.recipient)}"
        ),
    }
    subject = LIST_KINDS[email.kind].format(
        title=mini.title, studio=studio.name, when=context["early_when"]
    )
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
