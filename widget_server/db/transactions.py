"""Write transactions: how domain code changes the database.

On SQLite only one connection writes at a time. Left to itself, SQLite makes the
others retry in its busy handler, which sleeps in growing steps (up to 100 ms)
even once the lock is free, so a burst of 100 bookings spends most of its time
asleep. Writers of this process therefore queue on an asyncio lock first, and
reach SQLite one at a time; writers in other processes still wait through the
busy timeout. PostgreSQL needs none of this: its row locks queue writers well.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from databases import Database


class _WriterQueue:
    """A lock that the task holding it may take again (nested transactions)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[object] | None = None


_queues: weakref.WeakKeyDictionary[Database, _WriterQueue] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def write_transaction(db: Database) -> AsyncIterator[None]:
    """``async with write_transaction(db):`` a transaction that will write."""
    if db.url.dialect != "sqlite":
        async with db.transaction():
            yield
        return
    queue = _queues.setdefault(db, _WriterQueue())
    task = asyncio.current_task()
    if queue.owner is task:  # nested: the outer transaction already holds the queue
        async with db.transaction():
            yield
        return
    async with queue.lock:
        queue.owner = task
        try:
            async with db.transaction():
                yield
        finally:
            queue.owner = None
