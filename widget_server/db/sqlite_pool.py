"""A bounded pool of SQLite connections: a fixed number of connections and threads per process.

``databases`` opens a new aiosqlite connection (a new thread, a new file handle, the
schema read again) for every connection it hands out, and never more than one request
at a time uses it: under a burst of 1,000 clients that was 1,007 threads and 3,019 file
descriptors in one worker, each refused booking 2.8 times dearer than in a steady
stream. This pool opens at most ``size`` connections, lazily, and keeps them: a task
that wants one while all are out waits its turn (FIFO), which is also the fair queue
the worker's CPU would have imposed anyway.

A connection given back inside a transaction (only a failure can leave one so) is
closed, not reused; one that ``db/connection_scope`` had to abandon is ``discard``-ed,
which closes it and frees its place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any

import aiosqlite
from databases.backends.sqlite import SQLitePool
from databases.core import DatabaseURL

logger = logging.getLogger("minis")

# Connections whose file is in WAL mode, where a read never waits for a writer's lock (a
# reader sees the last commit; only a writer takes the lock, and it blocks no reader).
# Only on those may a short read run in the event loop's thread without ever stalling it
# for the busy timeout.
READS_NEVER_WAIT: weakref.WeakSet[aiosqlite.Connection] = weakref.WeakSet()


class BoundedSQLitePool(SQLitePool):
    """``await pool.acquire()`` waits while ``size`` connections are out; ``release`` keeps
    the connection for the next task."""

    def __init__(self, url: DatabaseURL, size: int, **options: Any) -> None:
        super().__init__(url, **options)
        self.size = size
        self._idle: list[aiosqlite.Connection] = []
        self._out = 0
        self._places = asyncio.Semaphore(size)
        # For tests and the bench: connections ever opened, and the most out at once.
        self.opened = 0
        self.most_out = 0

    @property
    def open_connections(self) -> int:
        return self._out + len(self._idle)

    async def acquire(self) -> aiosqlite.Connection:
        await self._places.acquire()
        self._out += 1
        self.most_out = max(self.most_out, self._out)
        try:
            while self._idle:
                connection = self._idle.pop()
                if _usable(connection):
                    return connection
            return await self._open()
        except BaseException:
            self._give_place()
            raise

    async def release(self, connection: aiosqlite.Connection) -> None:
        try:
            if _usable(connection) and not connection.in_transaction:
                self._idle.append(connection)
            else:
                with contextlib.suppress(Exception):
                    await connection.close()
        finally:
            self._give_place()

    def discard(self, connection: aiosqlite.Connection) -> None:
        """Close a connection that won't be given back (synchronous: it must finish even in
        a task being cancelled) and free its place."""
        with contextlib.suppress(Exception):
            connection.stop()
        self._give_place()

    async def close(self) -> None:
        """Close the idle connections (at shutdown; the ones out close as they come back)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            with contextlib.suppress(Exception):
                await connection.close()

    async def _open(self) -> aiosqlite.Connection:
        connection = aiosqlite.connect(
            database=self._database,
            isolation_level=None,
            # Short reads run in the event loop's thread (db/backends.py), the rest in the
            # connection's own; never both at once: one task holds it, awaiting each call.
            check_same_thread=False,
            **self._options,
        )
        # A kept connection's thread must not hold the interpreter open at exit if a
        # process never closes its pool (a test, a crash on the way down).
        connection._thread.daemon = True
        await connection.__aenter__()
        [(mode,)] = await connection.execute_fetchall("PRAGMA journal_mode")
        if str(mode).lower() == "wal":
            READS_NEVER_WAIT.add(connection)
        self.opened += 1
        return connection

    def _give_place(self) -> None:
        self._out -= 1
        self._places.release()


def _usable(connection: aiosqlite.Connection) -> bool:
    # aiosqlite keeps these from connect to close; stop() clears them.
    return connection._running and connection._connection is not None
