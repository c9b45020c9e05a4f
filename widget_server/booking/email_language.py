"""The language an email to a client speaks, decided in one place.

In order: the language the client chose (stored on their lead when they booked, or on
their waitlist entry or "notify me" subscription when they joined), else the studio's
default language, else English. Decided when the email is queued and kept with it
(booking/email_facts.py), so a delayed email speaks the language chosen then. Emails to
the photographer speak the dashboard's language, English for now (``STUDIO_LANGUAGE``).
"""

from __future__ import annotations

import sqlalchemy as sa
from databases import Database

from ..db.tables import leads, studios
from ..i18n import DEFAULT_LANGUAGE, known_language

# The language of the emails to the photographer: the dashboard's, English for now.
STUDIO_LANGUAGE = DEFAULT_LANGUAGE


def choose_language(*candidates: str | None) -> str:
    """The first shipped language among ``candidates`` (most wanted first), else English."""
    for candidate in candidates:
        found = known_language(candidate)
        if found is not None:
            return found
    return DEFAULT_LANGUAGE


async def studio_default_language(db: Database, studio_id: int) -> str | None:
    value = await db.fetch_val(
        sa.select(studios.c.default_language).where(studios.c.id == studio_id)
    )
    return value if isinstance(value, str) else None


async def email_language(
    db: Database, *, studio_id: int, lead_id: int | None = None, chosen: str | None = None
) -> str:
    """The language of an email to a client of ``studio_id``: ``chosen`` (a subscriber's or
    waitlist entry's stored language), else the lead's, else the studio's default, else
    English."""
    lead_language = None
    if lead_id is not None:
        lead_language = await db.fetch_val(sa.select(leads.c.language).where(leads.c.id == lead_id))
    return choose_language(chosen, lead_language, await studio_default_language(db, studio_id))


async def language_of_address(db: Database, studio_id: int, email: str) -> str:
    """The language of an email to an address that is not one booking's (early access to
    a drop): the one its owner last booked this studio in, else the studio's default."""
    latest = await db.fetch_val(
        sa.select(leads.c.language)
        .where(
            leads.c.studio_id == studio_id,
            sa.func.lower(leads.c.email) == email.lower(),
            leads.c.language.is_not(None),
        )
        .order_by(leads.c.id.desc())
        .limit(1)
    )
    return choose_language(latest, await studio_default_language(db, studio_id))
