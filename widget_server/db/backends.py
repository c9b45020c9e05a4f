"""``databases``' two backends, with statements compiled once and a bounded SQLite pool.

``MinisDatabase(url)`` is a ``databases.Database`` whose backends are these subclasses;
everything else (connections per task, transactions, records) is ``databases``' own.
Each backend overrides ``_compile``, the method that turns a SQLAlchemy statement into
the driver's SQL and arguments, to go through db/compiled.py, and ``fetch_all`` /
``fetch_one`` (``databases``' own code) to build records from maps made once per shape;
SQLite's also takes its connections from db/sqlite_pool.py.
"""

from __future__ import annotations

from typing import Any

from databases import Database
from databases.backends.common.records import Record, Row
from databases.backends.postgres import PostgresBackend, PostgresConnection
from databases.backends.sqlite import (
    CompilationContext,
    SQLiteBackend,
    SQLiteConnection,
)
from databases.core import DatabaseURL
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.engine.cursor import CursorResultMetaData
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement

from .compiled import CompiledCache, Execution
from .sqlite_pool import BoundedSQLitePool

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

    @property
    def compiled(self) -> CompiledCache:
        backend = self._backend
        assert isinstance(backend, CachedSQLiteBackend | CachedPostgresBackend)
        return backend.compiled

    @property
    def sqlite_pool(self) -> BoundedSQLitePool | None:
        backend = self._backend
        return backend.pool if isinstance(backend, CachedSQLiteBackend) else None


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

    async def fetch_all(self, query: ClauseElement) -> list[Any]:
        run = self._cache.execution(query)
        if run is None:
            return await super().fetch_all(query)
        assert self._connection is not None, "Connection is not acquired"
        async with self._connection.execute(run.sql, run.args) as cursor:
            rows = await cursor.fetchall()
            return [self._record(run, cursor, row) for row in rows]

    async def fetch_one(self, query: ClauseElement) -> Any:
        run = self._cache.execution(query)
        if run is None:
            return await super().fetch_one(query)
        assert self._connection is not None, "Connection is not acquired"
        async with self._connection.execute(run.sql, run.args) as cursor:
            row = await cursor.fetchone()
            return None if row is None else self._record(run, cursor, row)

    def _record(self, run: Execution, cursor: Any, row: Any) -> Record:
        """``databases``' own record (SQLiteConnection.fetch_all), from what the shape
        keeps: its column maps and its result metadata (a shape's columns, and so the
        cursor's description, are always the same)."""
        if run.shape.metadata is None:
            context: Any = _sqlite_context(self, run)
            run.shape.metadata = CursorResultMetaData(context, cursor.description)
        metadata: Any = run.shape.metadata
        wrapped = Row(metadata, metadata._processors, metadata._keymap, row)
        compiled: Any = run.shape.compiled
        return Record(wrapped, compiled._result_columns, self._dialect, run.shape.column_maps)

    def _compile(self, query: ClauseElement) -> Any:
        run = self._cache.execution(query)
        if run is None:
            return super()._compile(query)
        return run.sql, run.args, run.shape.compiled._result_columns, _sqlite_context(self, run)


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
        compiled: Any = run.shape.compiled
        return Record(row, compiled._result_columns, self._dialect, run.shape.column_maps)

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
