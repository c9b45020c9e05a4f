"""Counting what the app asks of the database, by patching ``databases`` in this process only.

Every statement goes through ``databases.core.Connection`` (fetch_all, fetch_one,
fetch_val, execute; execute_many counts one per row, as that is what it sends),
every transaction through ``databases.core.Transaction.start``, and on SQLite
every connection a request takes comes from the pool's ``acquire`` (and the ones it
opens from its ``_open``: db/sqlite_pool.py); either backend's connection ``acquire`` counts
the pooled connections taken. Statements compiled are read from each
database's cache (``db.compiled.compilations``). The patches are undone when the
``counting()`` block ends.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from databases.backends.postgres import PostgresConnection
from databases.backends.sqlite import SQLiteConnection
from databases.core import Connection, Transaction

from widget_server.db.compiled import CompiledCache
from widget_server.db.sqlite_pool import BoundedSQLitePool

# The one method through which every statement a backend runs gets compiled.
COMPILE = "_compile"


@dataclass
class Counts:
    queries: int = 0
    transactions: int = 0
    sqlite_connections: int = 0
    sqlite_opened: int = 0
    compilations: int = 0
    pooled: int = 0  # pooled connections taken (either database)

    def reset(self) -> None:
        self.queries = self.transactions = self.sqlite_connections = 0
        self.sqlite_opened = self.compilations = self.pooled = 0


def _counting(original: Callable[..., Any], bump: Callable[..., None]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        bump(*args, **kwargs)
        return await original(*args, **kwargs)

    return wrapper


@contextmanager
def counting() -> Iterator[Counts]:
    """Count statements, transactions and SQLite connections while the block runs."""
    counts = Counts()

    def one(*_: Any, **__: Any) -> None:
        counts.queries += 1

    def many(_self: Connection, _query: Any, values: list[Any]) -> None:
        counts.queries += len(values)

    def transaction(*_: Any, **__: Any) -> None:
        counts.transactions += 1

    def connection(*_: Any, **__: Any) -> None:
        counts.sqlite_connections += 1

    def opened(*_: Any, **__: Any) -> None:
        counts.sqlite_opened += 1

    def pooled(*_: Any, **__: Any) -> None:
        counts.pooled += 1

    patches: list[tuple[type, str, Callable[..., None]]] = [
        (Connection, "fetch_all", one),
        (Connection, "fetch_one", one),
        (Connection, "fetch_val", one),
        (Connection, "execute", one),
        (Connection, "execute_many", many),
        (Transaction, "start", transaction),
        (BoundedSQLitePool, "acquire", connection),
        (BoundedSQLitePool, "_open", opened),
        (SQLiteConnection, "acquire", pooled),
        (PostgresConnection, "acquire", pooled),
    ]
    originals = [(owner, name, owner.__dict__[name]) for owner, name, _ in patches]
    for owner, name, bump in patches:
        setattr(owner, name, _counting(owner.__dict__[name], bump))
    compile_original = CompiledCache.__dict__[COMPILE]

    def compile_counted(self: CompiledCache, *args: Any, **kwargs: Any) -> Any:
        counts.compilations += 1
        return compile_original(self, *args, **kwargs)

    setattr(CompiledCache, COMPILE, compile_counted)
    try:
        yield counts
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
        setattr(CompiledCache, COMPILE, compile_original)
