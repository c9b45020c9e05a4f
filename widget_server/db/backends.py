"""``databases``' two backends, with statements compiled once and a bounded SQLite pool.

``MinisDatabase(url)`` is a ``databases.Database`` whose backends are these subclasses;
everything else (connections per task, transactions, records) is ``databases``' own.
Each backend overrides ``_compile``, the method that turns a SQLAlchemy statement into
the driver's SQL and arguments, to go through db/compiled.py, and ``fetch_all`` /
``fetch_one`` (``databases``' own code) to build records from maps made once per shape;
SQLite's also takes its connections from db/sqlite_pool.py.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from databases import Database
from databases.backends.common.records import DIALECT_EXCLUDE, Record, Row
from databases.backends.postgres import PostgresBackend, PostgresConnection
from databases.backends.sqlite import (
    CompilationContext,
    SQLiteBackend,
    SQLiteConnection,
    SQLiteTransaction,
)
from databases.core import DatabaseURL
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.engine.cursor import CursorResultMetaData
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement

from .compiled import CompiledCache, Execution, Shape
from .kept_connection import KeptConnection
from .sqlite_pool import READS_NEVER_WAIT, BoundedSQLitePool

# Connections (each with its thread) per process on SQLite. Every request holds one while
# it runs; more than a few would only queue on the one core and on SQLite's one writer.
SQLITE_POOL_SIZE = 4


class MinisDatabase(Database):
    """A ``Database`` on the backends below; ``compiled`` is its statement cache."""

    SUPPORTED_BACKENDS = {
        **Database.SUPPORTED_BACKENDS,
        "sqlite": "widget_server.db.backends:CachedSQLiteBackend",
        "postgresql": "widget_server.db.backends:CachedPostgresBackend",
        "postgres": "widget_server.db.backends:CachedPostgresBackend",
    }

    def connection(self) -> KeptConnection:
        """The current task's connection (``databases``' own logic), a KeptConnection."""
        if self._global_connection is not None:
            assert isinstance(self._global_connection, KeptConnection)
            return self._global_connection
        if not self._connection:
            self._connection = KeptConnection(self, self._backend)
        assert isinstance(self._connection, KeptConnection)
        return self._connection

    @property
    def compiled(self) -> CompiledCache:
        backend = self._backend
        assert isinstance(backend, CachedSQLiteBackend | CachedPostgresBackend)
        return backend.compiled

    @property
    def sqlite_pool(self) -> BoundedSQLitePool | None:
        backend = self._backend
        return backend.pool if isinstance(backend, CachedSQLiteBackend) else None


class FastRecord(Record):
    """``databases``' Record, reading a column by name or position without deciding again,
    at every read, what the statement's shape decides once: the column's index, and the
    result processor ``databases`` applies on PostgreSQL (none on SQLite, whose row comes
    processed). The same values as ``Record.__getitem__``; anything else (a ``Column`` as
    the key, a statement with no result columns) goes to it. A page reads a hundred columns
    or so: this was a tenth of a freshly read mini session page."""

    __slots__ = ("_reads", "_values")

    def __init__(
        self, row: Any, dialect: Dialect, shape: Shape, reads: dict[str | int, tuple[int, Any]]
    ) -> None:
        compiled: Any = shape.compiled
        super().__init__(row, compiled._result_columns, dialect, shape.column_maps)
        self._reads = reads
        self._values = tuple(row)

    def __getitem__(self, key: Any) -> Any:
        kind = type(key)
        found = self._reads.get(key) if kind is str or kind is int else None
        if found is None:
            return super().__getitem__(key)
        index, processor = found
        raw = self._values[index]
        if processor is not None and isinstance(raw, int | str | float):
            return processor(raw)
        return raw


def _reads_of(shape: Shape, dialect: Dialect) -> dict[str | int, tuple[int, Any]]:
    """What FastRecord reads by, made once per shape (Record.__getitem__'s decisions)."""
    if shape.reads is None:
        by_name, by_position, _ = shape.column_maps
        reads: dict[str | int, tuple[int, Any]] = {}
        if by_name:  # else Record reads the row itself: leave it to it
            processed = dialect.name in DIALECT_EXCLUDE
            for key, (index, datatype) in [*by_name.items(), *by_position.items()]:
                processor = datatype._cached_result_processor(dialect, None)
                reads[key] = (index, processor if processed else None)
        shape.reads = reads
    return shape.reads


class CachedSQLiteBackend(SQLiteBackend):
    def __init__(self, database_url: DatabaseURL | str, **options: Any) -> None:
        size = int(options.pop("pool_size", SQLITE_POOL_SIZE))
        super().__init__(database_url, **options)
        self.pool = BoundedSQLitePool(self._database_url, size, **options)
        self._pool = self.pool
        self.compiled = CompiledCache(self._dialect)

    async def disconnect(self) -> None:
        await super().disconnect()
        await self.pool.close()

    def connection(self) -> CachedSQLiteConnection:
        return CachedSQLiteConnection(self.pool, self._dialect, self.compiled)


class CachedSQLiteConnection(SQLiteConnection):
    def __init__(self, pool: BoundedSQLitePool, dialect: Dialect, cache: CompiledCache) -> None:
        super().__init__(pool, dialect)
        self._bounded = pool
        self._cache = cache

    def discard(self) -> None:
        """Close this task's connection without waiting (db/connection_scope.py)."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            self._bounded.discard(connection)

    # Each statement is ONE call into the connection's thread. aiosqlite's cursor API,
    # as ``databases`` uses it, makes three (execute, fetch, close; or cursor, execute,
    # close), and each call is a hand-over to the thread and back (a queue, a future, a
    # wake-up of the event loop): on a hold's 17 statements that hand-over was most of
    # its CPU. The functions below run in the thread, on the sqlite3 connection.

    async def _in_thread(self, function: Any, *args: Any) -> Any:
        connection = self._connection
        assert connection is not None, "Connection is not acquired"
        return await connection._execute(function, connection._conn, *args)

    # A short read (a prepared SELECT: the hot pages' statements, each answered by an
    # index at once) runs right here, in the event loop's thread: the hand-over to the
    # connection's thread and back cost more CPU than the read itself (a queue, a future,
    # two thread switches and a wake-up of the loop). Only on a WAL file, where a read
    # never waits for a writer's lock, so the loop is never stalled by the busy timeout;
    # anything that writes or may run long still goes to the thread.
    async def _read(self, run: Execution, one: bool) -> tuple[list[Any], Any]:
        connection = self._connection
        assert connection is not None, "Connection is not acquired"
        if run.shape.short_read and connection in READS_NEVER_WAIT:
            return _fetch(connection._conn, run.sql, run.args, one)
        result: tuple[list[Any], Any] = await self._in_thread(_fetch, run.sql, run.args, one)
        return result

    async def fetch_all(self, query: ClauseElement) -> list[Any]:
        run = self._cache.execution(query)
        if run is None:
            return await super().fetch_all(query)
        rows, description = await self._read(run, False)
        return [self._record(run, description, row) for row in rows]

    async def fetch_one(self, query: ClauseElement) -> Any:
        run = self._cache.execution(query)
        if run is None:
            return await super().fetch_one(query)
        rows, description = await self._read(run, True)
        return self._record(run, description, rows[0]) if rows else None

    async def execute(self, query: ClauseElement) -> Any:
        run = self._cache.execution(query)
        if run is None:
            return await super().execute(query)
        return await self._in_thread(_execute, run.sql, run.args)

    def transaction(self) -> SQLiteTransaction:
        return OneCallSQLiteTransaction(self)

    def _record(self, run: Execution, description: Any, row: Any) -> Record:
        """``databases``' own record (SQLiteConnection.fetch_all), from what the shape
        keeps: its column maps and its result metadata (a shape's columns, and so the
        cursor's description, are always the same)."""
        if run.shape.metadata is None:
            context: Any = _sqlite_context(self, run)
            run.shape.metadata = CursorResultMetaData(context, description)
        metadata: Any = run.shape.metadata
        wrapped = Row(metadata, metadata._processors, metadata._keymap, row)
        return FastRecord(wrapped, self._dialect, run.shape, _reads_of(run.shape, self._dialect))

    def _compile(self, query: ClauseElement) -> Any:
        run = self._cache.execution(query)
        if run is None:
            return super()._compile(query)
        return run.sql, run.args, run.shape.compiled._result_columns, _sqlite_context(self, run)


def _fetch(
    connection: sqlite3.Connection, sql: str, args: list[Any], one: bool
) -> tuple[list[Any], Any]:
    """In the connection's thread: the rows (the first only, for ``one``) and their
    description, the cursor closed (as ``databases``' fetch_one and fetch_all do)."""
    cursor = connection.execute(sql, args)
    try:
        if one:
            row = cursor.fetchone()
            return ([] if row is None else [row]), cursor.description
        return cursor.fetchall(), cursor.description
    finally:
        cursor.close()


def _execute(connection: sqlite3.Connection, sql: str, args: list[Any]) -> int | None:
    """In the connection's thread: ``databases``' SQLiteConnection.execute's answer (the
    new row's id after an INSERT, else the rows changed)."""
    cursor = connection.execute(sql, args)
    try:
        return cursor.rowcount if cursor.lastrowid == 0 else cursor.lastrowid
    finally:
        cursor.close()


def _run(connection: sqlite3.Connection, sql: str) -> None:
    connection.execute(sql).close()


class OneCallSQLiteTransaction(SQLiteTransaction):
    """``databases``' SQLite transaction, each of BEGIN, COMMIT, ROLLBACK (and their
    savepoint forms) one call into the thread instead of three."""

    _connection: CachedSQLiteConnection

    async def start(self, is_root: bool, extra_options: dict[Any, Any]) -> None:
        self._is_root = is_root
        if is_root:
            await self._connection._in_thread(_run, "BEGIN")
        else:
            self._savepoint_name = f"STARLETTE_SAVEPOINT_{uuid.uuid4().hex}"
            await self._connection._in_thread(_run, f"SAVEPOINT {self._savepoint_name}")

    async def commit(self) -> None:
        sql = "COMMIT" if self._is_root else f"RELEASE SAVEPOINT {self._savepoint_name}"
        await self._connection._in_thread(_run, sql)

    async def rollback(self) -> None:
        name = self._savepoint_name
        sql = "ROLLBACK" if self._is_root else f"ROLLBACK TO SAVEPOINT {name}"
        await self._connection._in_thread(_run, sql)


def _sqlite_context(connection: SQLiteConnection, run: Execution) -> CompilationContext:
    """What ``databases`` reads result rows with, built once per statement shape."""
    if run.shape.context is None:
        compiled: Any = run.shape.compiled
        context: Any = connection._dialect.execution_ctx_cls()
        context.dialect = connection._dialect
        context.result_column_struct = (
            compiled._result_columns,
            compiled._ordered_columns,
            compiled._textual_ordered_columns,
            compiled._ad_hoc_textual,
            compiled._loose_column_name_matching,
        )
        run.shape.context = CompilationContext(context)
    context_: CompilationContext = run.shape.context
    return context_


class CachedPostgresBackend(PostgresBackend):
    def __init__(self, database_url: DatabaseURL | str, **options: Any) -> None:
        super().__init__(database_url, **options)
        # Compiled with asyncpg's own placeholders ($1, $2...) so the text goes to the
        # driver as it is; ``databases`` compiles as pyformat and rewrites it each time.
        self.compiled = CompiledCache(_numeric_dollar_dialect())

    def connection(self) -> CachedPostgresConnection:
        return CachedPostgresConnection(self, self._dialect, self.compiled)


class CachedPostgresConnection(PostgresConnection):
    def __init__(self, database: PostgresBackend, dialect: Dialect, cache: CompiledCache) -> None:
        super().__init__(database, dialect)
        self._cache = cache

    async def fetch_all(self, query: ClauseElement) -> list[Any]:
        run = self._cache.execution(query)
        if run is None:
            return await super().fetch_all(query)
        assert self._connection is not None, "Connection is not acquired"
        rows = await self._connection.fetch(run.sql, *run.args)
        return [self._record(run, row) for row in rows]

    async def fetch_one(self, query: ClauseElement) -> Any:
        run = self._cache.execution(query)
        if run is None:
            return await super().fetch_one(query)
        assert self._connection is not None, "Connection is not acquired"
        row = await self._connection.fetchrow(run.sql, *run.args)
        return None if row is None else self._record(run, row)

    def _record(self, run: Execution, row: Any) -> Record:
        return FastRecord(row, self._dialect, run.shape, _reads_of(run.shape, self._dialect))

    def _compile(self, query: ClauseElement) -> Any:
        run = self._cache.execution(query)
        if run is None:
            return super()._compile(query)
        return run.sql, run.args, run.shape.compiled._result_columns


def _numeric_dollar_dialect() -> Dialect:
    """``databases``' PostgreSQL dialect (PostgresBackend._get_dialect), with $n placeholders."""
    dialect: Any = psycopg_dialect(paramstyle="numeric_dollar")
    dialect.implicit_returning = True
    dialect.supports_native_enum = True
    dialect.supports_smallserial = True
    dialect._backslash_escapes = False
    dialect.supports_sane_multi_rowcount = True
    dialect._has_native_hstore = True
    dialect.supports_native_decimal = True
    return dialect
