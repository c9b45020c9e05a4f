"""Stopping a web process's background work and its database in bounded time.

SIGTERM reaches the lifespan's shutdown once uvicorn has let the requests in flight
finish (``minis serve`` gives them ``GRACEFUL_SHUTDOWN_SECONDS``, then cancels them).
Then, whatever the database is doing:

1. the upkeep loop is cancelled (its claims and keyed refunds are safe to interrupt);
2. the mail sender finishes the email in hand (sent, then marked sent) for up to
   ``MAIL_SHUTDOWN_SECONDS``, but only while the database answers: when it doesn't, the
   email couldn't be marked sent anyway (it goes out again once its lease runs out);
3. the pool closes within ``DATABASE_CLOSE_SECONDS``; connections that don't close are
   terminated, which also ends any query still waiting on a database that went silent;
4. the loops are given ``TASK_EXIT_SECONDS`` to wind down, then left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from databases import Database

from .db.availability import ReadinessProbe
from .db.connection import close_database

logger = logging.getLogger("minis")

# How long shutdown waits for the mail sender to finish the email it is sending.
MAIL_SHUTDOWN_SECONDS = 70
DATABASE_CLOSE_SECONDS = 3
TASK_EXIT_SECONDS = 1


async def stop_background(
    db: Database,
    readiness: ReadinessProbe,
    *,
    sweeper: asyncio.Task[None] | None,
    mailer: asyncio.Task[None] | None,
    stop_mail: asyncio.Event,
) -> None:
    stop_mail.set()
    if sweeper is not None:
        sweeper.cancel()
    if mailer is not None and not mailer.done():
        if await _answers(readiness):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(mailer), MAIL_SHUTDOWN_SECONDS)
        else:
            logger.warning("database not answering: not waiting for the mail sender")
        mailer.cancel()
    # Cancelled tasks put back the connections they held before the pool closes (else a
    # release meets a closed connection); bounded, in case the database hangs them.
    await settle([sweeper, mailer])
    await close_database(db, DATABASE_CLOSE_SECONDS)
    # Closing terminated whatever query a loop was still waiting on: a last moment to end.
    stuck = await settle([sweeper, mailer])
    if stuck:
        logger.warning("%d background task(s) still running at exit", stuck)


async def settle(tasks: list[asyncio.Task[None] | None]) -> int:
    """Wait, a moment at most, for cancelled tasks to unwind; how many didn't."""
    running = [task for task in tasks if task is not None and not task.done()]
    if not running:
        return 0
    _, stuck = await asyncio.wait(running, timeout=TASK_EXIT_SECONDS)
    return len(stuck)


async def _answers(readiness: ReadinessProbe) -> bool:
    try:
        return await readiness.ready()
    except Exception:  # whatever the probe ran into, the database is no help right now
        logger.exception("readiness probe failed during shutdown")
        return False
