"""Emails to the photographer about their studio rather than a booking: for now, a webhook
endpoint that kept failing and was paused (db/webhook_outbox.mark_failed_attempt)."""

from __future__ import annotations

from typing import Any

from databases import Database

from ..booking.catalog import studio_by_id
from ..db.outbox import OutboxEmail

STUDIO_KINDS = {"webhook_paused": "Webhooks paused: {url}"}


async def render_studio_notice(db: Database, email: OutboxEmail, *, base_url: str) -> Any:
    """The RenderedEmail for a studio notice (typed Any here: render.py imports this module)."""
    from .render import RenderedEmail, RenderError, _one_line, _tidy_text, mail_templates

    studio = await studio_by_id(db, email.studio_id)
    if studio is None:
        raise RenderError(f"studio {email.studio_id} is gone")
    context = {
        "studio": studio,
        "url": str(email.payload.get("url", "")),
        "reason": str(email.payload.get("reason", "")),
        "manage_url": f"{base_url}/admin/integrations/webhooks/{email.payload.get('endpoint_id')}",
        "base_url": base_url,
    }
    return RenderedEmail(
        kind=email.kind,
        recipient=email.recipient,
        recipient_name=studio.name,
        subject=_one_line(STUDIO_KINDS[email.kind].format(url=context["url"])),
        text=_tidy_text(mail_templates("txt").get_template(f"{email.kind}.txt").render(context)),
        html=mail_templates("html").get_template(f"{email.kind}.html").render(context),
        studio_name=studio.name,
        reply_to=None,
        attachments=[],
    )
