"""Driving the outbox from tests: deliver with a real SMTP server, read what is queued."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from databases import Database

from widget_server.booking.clock import Clock
from widget_server.config import Settings
from widget_server.db.tables import mini_sessions, outbox
from widget_server.mail.sender import DeliveryReport, deliver_due, mail_tick, transport_for

from .databases import run_db
from .queries import rows


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
