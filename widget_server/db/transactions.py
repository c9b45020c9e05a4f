"""Write transactions: how domain code changes the database.

On SQLite only one connection writes at a time. Left to itself, SQLite makes the
others retry in its busy handler, which sleeps in growing steps (up to 100 ms)
even once the lock is free, so a burst of 100 bookings spends most of its time
asleep. Writers of this process therefore queue on an asyncio lock first, and
reach SQLite one at a time; writers in other processes still wait through the
busy timeout. PostgreSQL needs none of this: its row locks queue writers well.

Whoever keeps copies of what the database says (web/availability_cache.py) hears of each
write transaction of this process once it has committed (``on_commit``), and whether it
only claimed spots (``write_transaction(db, claims_only=True)``: a new hold or booking,
which takes a spot and frees none, and changes no studio or mini session).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from databases import Database


class _WriterQueue:
    """A lock that the task holding it may take again (nested transactions)."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[object] | None = None


_queues: weakref.WeakKeyDictionary[Database, _WriterQueue] = weakref.WeakKeyDictionary()
_listeners: weakref.WeakKeyDictionary[Database, list[Callable[[bool], None]]] = (
    weakref.WeakKeyDictionary()
)
# Write transactions the current task is inside (nested ones are savepoints).
_depth: ContextVar[int] = ContextVar("minis_write_depth", default=0)
# Whether the outermost one, and every one nested in it so far, only claims spots.
_claims_only: ContextVar[list[bool]] = ContextVar("minis_claims_only")


def on_commit(db: Database, listener: Callable[[bool], None]) -> None:
    """Call ``listener(claims_only)`` after each outermost write transaction on ``db``
    commits (not after one that rolls back). It must be quick and must not raise."""
    _listeners.setdefault(db, []).append(listener)


@asynccontextmanager
async def write_transaction(db: Database, *, claims_only: bool = False) -> AsyncIterator[None]:
    """``async with write_transaction(db):`` a transaction that will write. ``claims_only``:
    it takes spots and frees none, and changes nothing else a page shows but the times."""
    depth = _depth.get()
    if depth == 0:
        outermost = [claims_only]
        reset_claims = _claims_only.set(outermost)
    else:
        outermost = _claims_only.get()
        outermost[0] = outermost[0] and claims_only
    reset = _depth.set(depth + 1)
    try:
        async with _transaction(db):
            yield
    finally:
        _depth.reset(reset)
        if depth == 0:
            _claims_only.reset(reset_claims)
    if depth == 0:  # committed (an exception would have left above)
        committed(db, claims_only=outermost[0])


def committed(db: Database, *, claims_only: bool = False) -> None:
    """Tell the listeners a write of this process committed: a write transaction's end, or
    a statement written outside any transaction (db/kept_connection.py)."""
    for listener in _listeners.get(db, ()):
        listener(claims_only)


@asynccontextmanager
async def _transaction(db: Database) -> AsyncIterator[None]:
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
    # The connection first, then the queue. A task that queued first and then asked the
    # pool for a connection (a background round holds none yet) waited behind requests
    # that held the pool's every connection while queueing behind it: under a stampede
    # the worker stopped answering anything that used the database.
    async with db.connection(), queue.lock:
        queue.owner = task
        try:
            async with db.transaction():
                yield
        finally:
            queue.owner = None
