"""SQL compiled once per statement shape, not on every execution.

``databases`` compiles each query from scratch every time it runs it (``query.compile``
with ``render_postcompile``), which was about 40 % of a page's CPU. SQLAlchemy's own
engine avoids that with its compiled cache: a statement's *cache key* names its shape
(tables, columns, operators, but not the values bound into it), the shape is compiled
once, and each execution only pulls its values out of the statement. This module is
that mechanism for ``databases``' backends (db/backends.py): a small LRU of compiled
statements per dialect, and the driver-ready SQL text and arguments for one execution.

IN lists (``expanding`` parameters) are compiled once too; only the final text, with
as many placeholders as the list has values, is written out per execution.

The hottest statements go one step further: ``Prepared`` builds a statement once, at
import, with named ``sa.bindparam``s, and ``STATEMENT.bind(name=value)`` runs it with
no statement built and no cache key computed per execution::

    SLOT = Prepared(sa.select(slots).where(slots.c.id == sa.bindparam("slot")))
    row = await db.fetch_one(SLOT.bind(slot=7))
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from databases.backends.common.records import create_column_maps
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.ddl import DDLElement
from sqlalchemy.sql.selectable import SelectBase

# Distinct statement shapes the app runs: a few hundred; the bound keeps a runaway
# producer of shapes (none known) from growing memory.
CAPACITY = 1000


class Shape:
    """A compiled statement, and what a backend derives from it once: ``databases``'
    maps from column names to positions (``column_maps``), SQLite's result context."""

    __slots__ = ("column_maps", "compiled", "context", "metadata", "reads", "short_read")

    def __init__(self, compiled: SQLCompiler, short_read: bool = False) -> None:
        self.compiled = compiled
        # A prepared SELECT: SQLite runs it in the event loop's thread (db/backends.py).
        self.short_read = short_read
        # ``databases`` builds these for every execution, compiling each result column
        # to a string on the way (records.create_column_maps): as dear as the statement.
        self.column_maps = create_column_maps(compiled._result_columns)
        self.context: Any = None
        self.metadata: Any = None
        # For db/backends.FastRecord: a column's name or position -> (index, processor).
        self.reads: dict[str | int, tuple[int, Any]] | None = None


class Prepared:
    """A statement built once; ``bind(**values)`` is what ``db.fetch_*`` and ``execute`` run.

    Only for short statements the indexes answer at once: on SQLite a prepared SELECT runs
    in the event loop's thread, with no hand-over to the connection's (db/backends.py).
    """

    def __init__(self, query: ClauseElement) -> None:
        key = query._generate_cache_key()
        assert key is not None, "a prepared statement needs a cache key"
        self.query = query
        self.key = key

    def bind(self, **values: Any) -> Bound:
        return Bound(self, values)


class Bound(ClauseElement):
    """A prepared statement with one execution's values. Only db/backends.py runs it (it
    passes through ``databases`` untouched); SQLAlchemy never compiles it directly."""

    __visit_name__ = "minis_bound"

    def __init__(self, prepared: Prepared, values: dict[str, Any]) -> None:
        self.prepared = prepared
        self.bound_values = values


class PreparedInsert(Prepared):
    """``INSERT INTO table (columns…) VALUES (…)`` built once; ``bind(column=value, …)``
    names every column (a missing one is an error when it runs). Inside, the parameters
    are prefixed: SQLAlchemy keeps a column's own name for the VALUES clause."""

    def __init__(self, table: sa.Table, columns: Sequence[str]) -> None:
        super().__init__(table.insert().values({c: sa.bindparam(f"v_{c}") for c in columns}))

    def bind(self, **values: Any) -> Bound:
        return Bound(self, {f"v_{name}": value for name, value in values.items()})


@dataclass(frozen=True)
class Execution:
    """One statement ready for the driver: its text, its positional arguments, and its
    shape (whose compiled result columns type the rows)."""

    sql: str
    args: list[Any]
    shape: Shape


class CompiledCache:
    """Compiled statements of one dialect, by shape.

    ``cache.execution(query)`` returns the SQL and arguments for ``query``; the
    first query of a shape compiles it, every later one reuses it.
    """

    def __init__(self, dialect: Dialect, capacity: int = CAPACITY) -> None:
        self.dialect = dialect
        self.capacity = capacity
        self._shapes: OrderedDict[Any, Shape] = OrderedDict()
        # Prepared statements live as long as their module: a few dozen, never evicted.
        self._prepared: dict[Prepared, Shape] = {}
        # How many times a statement was compiled: a test's way to see the cache work.
        self.compilations = 0

    def execution(self, query: ClauseElement) -> Execution | None:
        """None for what the cache does not handle (DDL, a statement without a cache
        key): the caller compiles those the old way."""
        values: dict[str, Any] | None = None
        extracted = None
        if isinstance(query, Bound):
            prepared, values = query.prepared, query.bound_values
            key = prepared.key  # its own parameters: nothing to extract
            shape = self._prepared.get(prepared)
            if shape is None:
                shape = self._prepared[prepared] = self._compile(prepared.query, key)
                shape.short_read = isinstance(prepared.query, SelectBase)
        elif isinstance(query, DDLElement):
            return None
        else:
            found = query._generate_cache_key()
            if found is None:
                return None
            key = found
            extracted = key[1]
            shape = self._shapes.get(key[0])
            if shape is None:
                shape = self._shapes[key[0]] = self._compile(query, key)
                if len(self._shapes) > self.capacity:
                    self._shapes.popitem(last=False)
            else:
                self._shapes.move_to_end(key[0])
        compiled = shape.compiled
        constructed = compiled.construct_params(
            values,
            extracted_parameters=extracted,
            escape_names=False,
            _collected_params=key[2],
        )
        params: Mapping[str, Any] = constructed
        processors: Any = compiled._bind_processors
        positions: Sequence[str] | None = compiled.positiontup
        sql = compiled.string
        if compiled.literal_execute_params or compiled.post_compile_params:
            expanded = compiled._process_parameters_for_postcompile(constructed)
            sql, positions, params = expanded.statement, expanded.positiontup, expanded.parameters
            processors = {**processors, **expanded.processors}
        return Execution(sql, _arguments(params, positions or (), processors), shape)

    def _compile(self, query: ClauseElement, key: Any) -> Shape:
        compiled = query._compiler(self.dialect, cache_key=key, column_keys=None)
        assert isinstance(compiled, SQLCompiler) and compiled.positional
        self.compilations += 1
        return Shape(compiled)


def _arguments(
    params: Mapping[str, Any],
    positions: Sequence[str],
    processors: Mapping[str, Callable[..., Any]],
) -> list[Any]:
    return [
        processors[name](params[name]) if name in processors else params[name] for name in positions
    ]
