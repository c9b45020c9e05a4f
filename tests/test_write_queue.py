"""SQLite's writers of one process queue for the write lock (db/transactions.py) while the
pool lends at most a few connections (db/sqlite_pool.py): the two must never wait on
each other."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from widget_server.db.backends import SQLITE_POOL_SIZE, MinisDatabase
from widget_server.db.connection import create_database
from widget_server.db.connection_scope import given_back, one_connection
from widget_server.db.transactions import write_transaction

TOUCH = "UPDATE studios SET name = name"


def test_a_background_write_and_a_full_pool_of_writing_requests_both_finish(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """A background round (it holds no connection) asks to write while every pooled
    connection is out to a request that is about to write too. Taking the write queue
    before a connection, the round waited for the pool while the requests waited for the
    queue it held: under a drop's stampede the worker stopped answering (bench §11)."""
    path = tmp_path / "queue.db"
    shutil.copyfile(sqlite_template, path)

    async def scene() -> tuple[int, int]:
        db = create_database(f"sqlite:///{path}")
        assert isinstance(db, MinisDatabase) and db.sqlite_pool is not None
        await db.connect()
        pool_full = asyncio.Event()
        holding = 0
        writes = 0

        async def request() -> None:
            nonlocal holding, writes
            async with one_connection(db):
                await db.fetch_val("SELECT 1")  # the request's connection, taken
                holding += 1
                if holding == SQLITE_POOL_SIZE:
                    pool_full.set()
                await asyncio.sleep(0.05)  # the round queues meanwhile
                async with write_transaction(db):
                    await db.execute(TOUCH)
                    writes += 1

        async def background_round() -> None:
            nonlocal writes
            await pool_full.wait()
            async with given_back(db), write_transaction(db):
                await db.execute(TOUCH)
                writes += 1

        try:
            await asyncio.wait_for(
                asyncio.gather(
                    background_round(), *(request() for _ in range(SQLITE_POOL_SIZE * 2))
                ),
                timeout=10,
            )
            return writes, db.sqlite_pool.most_out
        finally:
            await db.disconnect()

    writes, most_out = asyncio.run(scene())
    assert writes == SQLITE_POOL_SIZE * 2 + 1
    assert most_out == SQLITE_POOL_SIZE
