"""Opening the database: one URL in the settings, two drivers underneath.

``MINIS_DATABASE_URL`` is written the plain way (``sqlite:///minis.db``,
``postgresql://...``); this module maps it to the async drivers that
``databases`` (requests) and SQLAlchemy (migrations) use.
"""

from __future__ import annotations

import sqlite3

from databases import Database
from sqlalchemy.engine import make_url

# SQLite serialises writers; a writer waits this long for its turn instead of
# failing with "database is locked" under a burst of bookings.
SQLITE_BUSY_TIMEOUT_SECONDS = 30


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


def create_database(url: str) -> Database:
    """A ``databases.Database`` for the URL, not yet connected."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Database(f"sqlite:///{parsed.database}", timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    # asyncpg, pooled; several uvicorn workers each hold a pool like this one.
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return Database(plain, min_size=1, max_size=10)


def prepare_sqlite_file(url: str) -> None:
    """Switch a SQLite file to WAL so readers never block the writer (persists in the file).

    ``synchronous`` stays at SQLite's default (FULL): every committed booking is
    on disk before the client is told, power cut or not.
    """
    if not is_sqlite(url):
        return
    with sqlite3.connect(sqlite_path(url), timeout=SQLITE_BUSY_TIMEOUT_SECONDS) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
