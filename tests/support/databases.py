"""Test databases: a fresh SQLite file per test, and PostgreSQL when MINIS_TEST_POSTGRES_URL is set.

PostgreSQL gets one scratch database per test session (created and dropped
here), migrated once and truncated between tests.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg
from databases import Database
from sqlalchemy.engine import make_url

from widget_server.db.connection import create_database
from widget_server.db.migrate import migrate
from widget_server.db.tables import metadata

T = TypeVar("T")
POSTGRES_ENV = "MINIS_TEST_POSTGRES_URL"


def run_db(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work(db)`` on its own connection and event loop (outside any app)."""

    async def go() -> T:
        db = create_database(url)
        await db.connect()
        try:
            return await work(db)
        finally:
            await db.disconnect()

    return asyncio.run(go())


def make_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    migrate(f"sqlite:///{path}")
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    path = directory / f"minis-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


async def admin_execute(url: str, sql: str, connect_timeout: float = 10) -> None:
    """Run one statement on the server at ``url`` (creating and dropping databases)."""
    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username,
        password=parsed.password,
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        database=parsed.database,
        timeout=connect_timeout,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_postgres_database(admin_url: str) -> str:
    name = f"minis_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin_execute(admin_url, f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(drivername="postgresql", database=name)
    rendered = url.render_as_string(hide_password=False)
    migrate(rendered)
    return rendered


def drop_postgres_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    asyncio.run(admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def truncate_all(url: str) -> None:
    """Empty every table and restart every id sequence, as a fresh database would be.

    DELETE, children first, and ``ALTER SEQUENCE … RESTART`` rather than ``TRUNCATE``:
    on a few rows TRUNCATE costs about a second for this schema (it replaces each table's
    files), DELETE about a tenth; half the suite's tests start here."""
    tables = [table.name for table in reversed(metadata.sorted_tables)]

    async def work(db: Database) -> None:
        sequences = await db.fetch_all(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
        )
        async with db.transaction():
            for table in tables:
                await db.execute(f'DELETE FROM "{table}"')
            for row in sequences:
                await db.execute(f'ALTER SEQUENCE "{row[0]}" RESTART')

    run_db(url, work)


SNAPSHOT_SCHEMA = "world_snapshot"


def snapshot_postgres(url: str) -> None:
    """Keep a copy of every table's rows, and where each id sequence stands, in a schema of
    their own in the same database (``restore_postgres`` puts them back)."""

    async def work(db: Database) -> None:
        async with db.transaction():
            await db.execute(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE")
            await db.execute(f"CREATE SCHEMA {SNAPSHOT_SCHEMA}")
            for table in metadata.sorted_tables:
                await db.execute(
                    f'CREATE TABLE {SNAPSHOT_SCHEMA}."{table.name}" AS TABLE public."{table.name}"'
                )
            await db.execute(
                f"CREATE TABLE {SNAPSHOT_SCHEMA}.sequences AS SELECT sequencename, last_value"
                " FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )

    run_db(url, work)


def restore_postgres(url: str) -> None:
    """Put the snapshot's rows back into the emptied tables (``truncate_all``), parents
    first, and each id sequence where it stood."""

    async def work(db: Database) -> None:
        async with db.transaction():
            for table in metadata.sorted_tables:
                name = table.name
                await db.execute(
                    f'INSERT INTO public."{name}" SELECT * FROM {SNAPSHOT_SCHEMA}."{name}"'
                )
            # count(): one row asked for, every sequence set (a driver may fetch one row).
            await db.execute(
                f"SELECT count(setval(quote_ident(sequencename), last_value, true))"
                f" FROM {SNAPSHOT_SCHEMA}.sequences"
            )

    run_db(url, work)
