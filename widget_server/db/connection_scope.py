"""Connections that always go back to the pool, whatever happened while they were out.

``databases`` counts how many blocks use a task's connection (the request's hold, each
transaction) and returns it to the pool when the count reaches zero. A transaction whose
COMMIT or ROLLBACK raises (a constraint checked at commit, a cancellation while asyncpg
waits for the server, "another operation is in progress") never takes its count back,
so the connection is never returned: the pool shrinks by one, for good, and
``Pool.close()`` waits for it forever at shutdown. A release that raises (the network
cut during the reset that precedes it) leaves the task's connection object behind, and
every later query of that task fails with "Connection is already acquired", which for
the background loops means until a restart.

``one_connection`` (a request's one connection) and ``given_back`` (a background
round's queries) check when their block ends: a connection still out is terminated (its
state can't be trusted, and closing it rolls back whatever it had open on the server;
asyncpg returns its pool slot when it closes) and the task's connection object is
forgotten, so the next block starts clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from databases import Database
from databases.core import Connection

from .backends import CachedSQLiteConnection
from .kept_connection import KeptConnection

logger = logging.getLogger("minis")


@asynccontextmanager
async def one_connection(db: Database, *, take_now: bool = False) -> AsyncIterator[None]:
    """Every query of the current task inside shares one connection, taken by the first
    (none if nothing queries: db/kept_connection.py), or at once with ``take_now``, and
    given back at the end."""
    if _task_connection(db) is not None:  # an enclosing block holds it and gives it back
        yield
        return
    connection = db.connection()
    assert isinstance(connection, KeptConnection), "a MinisDatabase (db/connection.py)"
    connection.keep = True
    try:
        if take_now:
            async with connection:  # taken, and kept when the block closes
                pass
        yield
    finally:
        try:
            await connection.give_back()
        finally:
            _give_back(db, connection)


@asynccontextmanager
async def given_back(db: Database) -> AsyncIterator[None]:
    """Queries inside take connections as they need them; none is left out at the end."""
    outer = _task_connection(db)
    try:
        yield
    finally:
        connection = _task_connection(db)
        if outer is None and connection is not None:
            _give_back(db, connection)


def _task_connection(db: Database) -> Connection | None:
    task = asyncio.current_task()
    # databases keeps each task's connection in this map (Database._connection reads it).
    return db._connection_map.get(task) if task is not None else None


def _give_back(db: Database, connection: Connection) -> None:
    """Synchronous on purpose: it must run to the end even in a task being cancelled."""
    raw = _raw_connection(connection)
    if raw is not None:
        logger.warning("a database connection was not given back cleanly; closing it")
        backend = connection._connection
        if isinstance(backend, CachedSQLiteConnection):
            backend.discard()  # closes it and frees its place in the pool
        else:
            _terminate(raw)
    task = asyncio.current_task()
    if task is not None and db._connection_map.get(task) is connection:
        del db._connection_map[task]


def _raw_connection(connection: Connection) -> Any:
    """The driver's connection while ``databases`` still holds it, else None.

    ``Connection._connection`` is the backend's connection wrapper; its own
    ``_connection`` is set from acquire to release (both backends). Neither is declared
    on the interface ``databases`` types them with, hence getattr.
    """
    return getattr(connection._connection, "_connection", None)


def _terminate(raw: Any) -> None:
    stop = getattr(raw, "terminate", None)  # asyncpg; aiosqlite has stop() instead
    stop = stop or getattr(raw, "stop", None)
    if stop is not None:
        # A pool connection already given back (closed under us) refuses: nothing to do.
        with contextlib.suppress(Exception):
            stop()
