"""Is the database there? Which errors mean "unreachable right now", and a readiness probe.

An outage surfaces as whatever the driver raises at that moment: a refused or reset
socket when connecting (``OSError``), asyncpg's connection errors mid-query or on a
connection that was closed under it, SQLite's "unable to open database file". This is
the one place that knows them, so the web layer can answer "try again in a moment"
(503) for an outage and still report a bug as a bug (500). Bad SQL, constraint
violations and wrong arguments are never classified as unavailability.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sqlite3

import asyncpg
from databases import Database

# sqlite3.OperationalError also covers bad SQL; only these mean the file can't be used now.
SQLITE_UNAVAILABLE = ("unable to open database file", "disk i/o error", "database is locked")
# asyncpg raises InterfaceError for misuse too (wrong arguments, DataError); these
# messages are a connection that was lost or closed under the query.
ASYNCPG_CONNECTION_LOST = (
    "connection is closed",
    "connection was closed",
    "another operation is in progress",
    "pool is closing",
    "pool is closed",
)
NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.ETIMEDOUT,
    errno.ENETUNREACH,
    errno.ENETDOWN,
    errno.EHOSTUNREACH,
    errno.EHOSTDOWN,
}
# The server is up but refuses work for now: starting, shutting down, out of connections.
ASYNCPG_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    # A protocol state left behind by a connection that broke mid-operation.
    asyncpg.InternalClientError,
)


class DatabaseUnavailable(Exception):
    """Minis's own verdict that the database did not answer in time."""


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc``, or an error it was raised from or while handling, is an outage.

    The chain matters: a transaction whose query failed because the connection dropped
    then fails again rolling back, and the error that surfaces is the second one.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if _means_unavailable(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _means_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, (DatabaseUnavailable, *ASYNCPG_UNAVAILABLE)):
        return True
    if isinstance(exc, asyncpg.InterfaceError) and not isinstance(exc, asyncpg.DataError):
        return any(text in str(exc) for text in ASYNCPG_CONNECTION_LOST)
    if isinstance(exc, sqlite3.OperationalError):
        return any(text in str(exc).lower() for text in SQLITE_UNAVAILABLE)
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(exc, OSError):
        # errno None: asyncio's "Multiple exceptions: ..." when every address of the
        # host refused (e.g. localhost as ::1 and 127.0.0.1).
        return exc.errno in NETWORK_ERRNOS or (exc.errno is None and "connect" in str(exc).lower())
    return False


class ReadinessProbe:
    """Answers "does the database answer a trivial query?" within ``timeout`` seconds.

    One query at a time per process: a probe that outlives its timeout (a database that
    accepts connections but never answers) keeps running in the background until the
    driver gives up, and later probes wait on it instead of piling up more.
    """

    def __init__(self, db: Database, timeout: float) -> None:
        self.db = db
        self.timeout = timeout
        self._inflight: asyncio.Task[bool] | None = None

    async def ready(self) -> bool:
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.create_task(self._ping())
        try:
            return await asyncio.wait_for(asyncio.shield(self._inflight), self.timeout)
        except TimeoutError:
            return False

    async def _ping(self) -> bool:
        try:
            await self.db.fetch_val("SELECT 1")
        except Exception as exc:
            if is_unavailable(exc):
                return False
            raise
        return True
