"""Background upkeep, run by every web process (``MINIS_BACKGROUND_JOBS=in-process``) or
by ``minis worker``: lapsed holds give their spots back, refunds owed (refund
intents: never made because the process stopped, or the provider failed) are carried
out once their wait is over, open spots are offered to waiting clients, and offline
bookings nobody paid for are reminded, then released; old Idempotency-Keys and old
webhook delivery logs are deleted (db/retention.py). Any number of processes may run it
at once: every job is claims and keyed requests that happen once whoever runs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from databases import Database

from .booking.clock import Clock
from .booking.holds import release_expired_holds
from .booking.unpaid import remind_and_release_unpaid
from .booking.waitlist import advance_waitlists
from .db.connection_scope import given_back
from .db.retention import forget_old_idempotency_keys, forget_old_webhook_deliveries
from .payments.base import PaymentMethod
from .payments.refunds import retry_due_refunds

logger = logging.getLogger("minis")


async def upkeep(db: Database, clock: Clock, methods: Mapping[str, PaymentMethod]) -> None:
    """One round. A failure in one job is logged and doesn't stop the others."""
    # The loop's task lives as long as the process: no connection may outlive a round.
    async with given_back(db):
        await _round(db, clock, methods)


async def _round(db: Database, clock: Clock, methods: Mapping[str, PaymentMethod]) -> None:
    try:
        released = await release_expired_holds(db, clock())
        if released:
            logger.info("released %d expired holds", released)
    except Exception:  # the next round tries again; each claim also sweeps its own slot
        logger.exception("hold sweep failed")
    try:  # after the sweep (which hands lapsed offers on): open spots to waiting clients
        offered = await advance_waitlists(db, clock())
        if offered:
            logger.info("offered %d spots to waiting clients", offered)
    except Exception:  # the next round tries again; the mini session's page catches up too
        logger.exception("waitlist round failed")
    try:
        retried = await retry_due_refunds(methods, db, clock())
        if retried:
            logger.info("made %d refunds owed", retried)
    except Exception:  # the next round tries again; the photographer can retry too
        logger.exception("refund retry failed")
    try:
        reminded, released = await remind_and_release_unpaid(db, clock())
        if reminded or released:
            logger.info("unpaid offline bookings: %d reminded, %d released", reminded, released)
    except Exception:  # the next round tries again
        logger.exception("unpaid offline bookings round failed")
    try:
        keys = await forget_old_idempotency_keys(db, clock())
        deliveries = await forget_old_webhook_deliveries(db, clock())
        if keys or deliveries:
            logger.info("deleted %d old idempotency keys, %d old deliveries", keys, deliveries)
    except Exception:  # the next round tries again
        logger.exception("housekeeping failed")


async def upkeep_forever(
    db: Database,
    clock: Clock,
    methods: Mapping[str, PaymentMethod],
    interval: float,
    stop: asyncio.Event | None = None,
) -> None:
    """A round every ``interval`` seconds until ``stop`` is set (or the task is cancelled)."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        await upkeep(db, clock, methods)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
