"""The outbox as the photographer's dashboard will show it: each email and what it says.

Without MINIS_SMTP_URL nothing is sent, so this is where the emails can be
read (and copied by hand); with it, failed emails show their last error here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from databases import Database

from ..booking.tokens import BookingTokens
from ..db.outbox import OutboxEmail, email_by_id, emails_for_studio
from .render import RenderedEmail, RenderError, render_email


@dataclass(frozen=True)
class EmailPreview:
    email: OutboxEmail
    rendered: RenderedEmail | None
    problem: str  # why it can't be rendered, when it can't


async def _preview(
    db: Database, email: OutboxEmail, *, base_url: str, tokens: BookingTokens, now: datetime
) -> EmailPreview:
    try:
        rendered = await render_email(db, email, base_url=base_url, tokens=tokens, now=now)
    except RenderError as exc:
        return EmailPreview(email, None, str(exc))
    return EmailPreview(email, rendered, "")


async def outbox_previews(
    db: Database,
    studio_id: int,
    *,
    base_url: str,
    tokens: BookingTokens,
    now: datetime,
    statuses: tuple[str, ...] = ("pending", "failed"),
) -> list[EmailPreview]:
    """The studio's pending and failed emails, newest first, each rendered."""
    return [
        await _preview(db, email, base_url=base_url, tokens=tokens, now=now)
        for email in await emails_for_studio(db, studio_id, statuses)
    ]


async def email_preview(
    db: Database,
    studio_id: int,
    email_id: int,
    *,
    base_url: str,
    tokens: BookingTokens,
    now: datetime,
) -> EmailPreview | None:
    """One of the studio's emails, rendered as it is sent; None for another studio's."""
    email = await email_by_id(db, email_id)
    if email is None or email.studio_id != studio_id:
        return None
    return await _preview(db, email, base_url=base_url, tokens=tokens, now=now)
