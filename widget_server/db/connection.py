"""Opening the database: one URL in the settings, two drivers underneath.

``MINIS_DATABASE_URL`` is written the plain way (``sqlite:///minis.db``,
``postgresql://...``); this module maps it to the async drivers that
``databases`` (requests) and SQLAlchemy (migrations) use.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import asyncpg
from databases import Database
from sqlalchemy.engine import make_url

from .backends import MinisDatabase

logger = logging.getLogger("minis")

# SQLite serialises writers; a writer waits this long for its turn instead of
# failing with "database is locked" under a burst of bookings.
SQLITE_BUSY_TIMEOUT_SECONDS = 30
# PostgreSQL: connections per process (each uvicorn worker has its own pool).
POOL_SIZE = 10
# A new PostgreSQL connection that isn't established by then fails (asyncpg's default is
# 60 s): a database host that has gone silent answers "try again" in seconds.
CONNECT_TIMEOUT_SECONDS = 5


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlalchemy_async_url(url: str) -> str:
    """The URL for a SQLAlchemy async engine (used by Alembic)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def sqlite_path(url: str) -> str:
    return make_url(url).database or ""


def create_database(url: str) -> MinisDatabase:
    """A ``databases.Database`` for the URL, not yet connected.

    Its backends compile each statement shape once and, on SQLite, keep a bounded pool
    of connections (db/backends.py).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return MinisDatabase(f"sqlite:///{parsed.database}", timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    # asyncpg, pooled; several uvicorn workers each hold a pool like this one. No connection
    # is opened up front (min_size=0): a process started while the database is away (a
    # worker uvicorn respawns, `minis worker` restarted by its supervisor) comes up, answers
    # 503 and connects when the database is back, instead of failing to start.
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return MinisDatabase(
        plain,
        min_size=0,
        max_size=POOL_SIZE,
        timeout=CONNECT_TIMEOUT_SECONDS,
        reset=_nothing_to_reset,
    )


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    """A connection going back to the pool has nothing to undo: the app sets no session
    state (no SET outside a transaction, LISTEN, advisory lock or cursor), and asyncpg
    rolls back a transaction left open before it calls this. Its default instead sends
    ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` at every release:
    a round trip and a statement in the server for every request (bench/README.md, 13)."""


async def close_database(db: Database, within: float) -> bool:
    """Close the pool within ``within`` seconds; what doesn't close by then is terminated.

    ``Pool.close()`` waits for every connection to come back and to close politely,
    which a database that stopped answering (or a connection never given back) turns
    into forever. Returns False when connections had to be terminated.
    """
    try:
        await asyncio.wait_for(db.disconnect(), within)
    except Exception as exc:  # a timeout, or anything else that stops a clean close
        logger.warning("database pool did not close cleanly (%r); terminating it", exc)
        terminate_database(db)
        return False
    return True


def terminate_database(db: Database) -> None:
    """Close every PostgreSQL connection of the pool at once, without waiting for anything.

    Queries in flight fail at once (with a connection error, which the web layer answers
    503). SQLite's pool (db/sqlite_pool.py) closes its idle connections on disconnect.
    """
    # databases has no public handle on the asyncpg pool; its backend keeps it here.
    pool = getattr(db._backend, "_pool", None)
    if isinstance(pool, asyncpg.Pool):
        pool.terminate()


def prepare_sqlite_file(url: str) -> None:
    """Switch a SQLite file to WAL so readers never block the writer (persists in the file).

    ``synchronous`` stays at SQLite's default (FULL): every committed booking is
    on disk before the client is told, power cut or not.
    """
    if not is_sqlite(url):
        return
    with sqlite3.connect(sqlite_path(url), timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
