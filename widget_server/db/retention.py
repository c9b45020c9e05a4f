"""How long the API's and the webhooks' records are kept: the upkeep deletes what is older.

An ``Idempotency-Key`` is answered for a day (clients retry within minutes; the API
reference says a day); a webhook delivery that is settled (delivered, or out of
retries) stays in the dashboard's delivery log, with its attempts, for 30 days after it
was delivered or last tried (so "Send again" on an old one starts its 30 days anew). A
delivery still pending is never deleted, however old: it is an event not yet sent.
Deletes go in batches, each its own short transaction, so a large backlog never holds
a lock for long; every process may run this at once (deleting twice deletes nothing).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from databases import Database

from .tables import api_idempotency, webhook_attempts, webhook_deliveries
from .transactions import write_transaction

IDEMPOTENCY_KEPT = timedelta(hours=24)
WEBHOOK_LOG_KEPT = timedelta(days=30)
BATCH = 500


async def forget_old_idempotency_keys(db: Database, now: datetime) -> int:
    """Delete the Idempotency-Keys older than IDEMPOTENCY_KEPT; how many."""
    cutoff = now - IDEMPOTENCY_KEPT
    deleted = 0
    while True:
        batch = sa.select(api_idempotency.c.id).where(api_idempotency.c.created_at < cutoff)
        async with write_transaction(db):
            ids = [r._mapping["id"] for r in await db.fetch_all(batch.limit(BATCH))]
            if ids:
                await db.execute(api_idempotency.delete().where(api_idempotency.c.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < BATCH:
            return deleted


async def forget_old_webhook_deliveries(db: Database, now: datetime) -> int:
    """Delete deliveries settled more than WEBHOOK_LOG_KEPT ago, attempts first; how many."""
    cutoff = now - WEBHOOK_LOG_KEPT
    deleted = 0
    while True:
        batch = sa.select(webhook_deliveries.c.id).where(
            webhook_deliveries.c.created_at < cutoff,
            webhook_deliveries.c.status.in_(("delivered", "failed")),
            # Delivered then; a failed one's last try was at most a retry delay before.
            sa.func.coalesce(
                webhook_deliveries.c.delivered_at, webhook_deliveries.c.next_attempt_at
            )
            < cutoff,
        )
        if db.url.dialect == "postgresql":  # "Send again" waits until these are gone
            batch = batch.with_for_update()
        async with write_transaction(db):
            ids = [r._mapping["id"] for r in await db.fetch_all(batch.limit(BATCH))]
            if ids:
                await db.execute(
                    webhook_attempts.delete().where(webhook_attempts.c.delivery_id.in_(ids))
                )
                await db.execute(
                    webhook_deliveries.delete().where(webhook_deliveries.c.id.in_(ids))
                )
        deleted += len(ids)
        if len(ids) < BATCH:
            return deleted
