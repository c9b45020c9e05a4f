"""Emails to the photographer about their studio rather than a booking: for now, a webhook
endpoint that kept failing and was paused (db/webhook_outbox.mark_failed_attempt)."""

from __future__ import annotations

from typing import Any

from databases import Database

from .. import i18n
from ..booking.catalog import studio_by_id
from ..booking.email_language import STUDIO_LANGUAGE
from ..db.outbox import OutboxEmail
from ..i18n import lazy_gettext

# kind: subject (%-format over url), in the dashboard's language.
STUDIO_KINDS = {"webhook_paused": lazy_gettext("Webhooks paused: %(url)s")}


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
    with i18n.use_language(STUDIO_LANGUAGE) as language:
        return RenderedEmail(
            kind=email.kind,
            recipient=email.recipient,
            recipient_name=studio.name,
            subject=_one_line(str(STUDIO_KINDS[email.kind]) % {"url": context["url"]}),
            text=_tidy_text(
                mail_templates("txt").get_template(f"{email.kind}.txt").render(context)
            ),
            html=mail_templates("html").get_template(f"{email.kind}.html").render(context),
            studio_name=studio.name,
            reply_to=None,
            attachments=[],
            language=language,
        )
