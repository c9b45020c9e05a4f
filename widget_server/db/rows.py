"""Typed rows at the database boundary: records in, dataclasses and named tuples out.

``databases`` hands back ``Record`` objects whose columns are read as attributes
(``record.starts_at``), which a type checker cannot follow. Queries read through
these helpers instead and get a typed row: an existing domain dataclass, or a small
``NamedTuple`` declared next to the query for its columns.

A row type's fields are read from the record by name (with an optional prefix,
for queries that label a joined table's columns ``loc_name`` and so on); columns
the type does not name are ignored. A field without a default must be in the
record (a missing one raises ``KeyError``); a field with a default takes the
column when the query selects it.

Each column is read as ``record[name]``, exactly as ``record.name`` reads it: on
PostgreSQL ``record._mapping`` is asyncpg's raw row, and ``databases`` applies
SQLAlchemy's result processing only on item access, so building from the raw
mapping could hand back different values than the attribute reads did.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple, TypeVar

from databases import Database
from databases.interfaces import Record
from sqlalchemy.sql import ClauseElement

T = TypeVar("T")


class IdRow(NamedTuple):
    """A row's ``id``, e.g. what ``.returning(table.c.id)`` hands back."""

    id: int


# Row type -> its fields, worked out once per type rather than once per row.
_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _fields_of(row_type: type) -> tuple[tuple[str, bool], ...]:
    """``(name, required)`` for each field a dataclass or ``NamedTuple`` is built from."""
    fields = _FIELDS.get(row_type)
    if fields is None:
        fields = _FIELDS[row_type] = _find_fields(row_type)
    return fields


def _find_fields(row_type: type) -> tuple[tuple[str, bool], ...]:
    if dataclasses.is_dataclass(row_type):
        return tuple(
            (
                f.name,
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(row_type)
            if f.init
        )
    names: tuple[str, ...] | None = getattr(row_type, "_fields", None)
    if names is None:
        raise TypeError(f"{row_type.__name__} is neither a dataclass nor a NamedTuple")
    defaults: dict[str, Any] = getattr(row_type, "_field_defaults", {})
    return tuple((name, name not in defaults) for name in names)


def row_as(record: Record, row_type: type[T], prefix: str = "") -> T:
    """Build ``row_type`` from the record's columns named like its fields (plus ``prefix``)."""
    values: dict[str, Any] = {}
    for name, required in _fields_of(row_type):
        try:
            values[name] = record[prefix + name]
        except KeyError:
            if required:
                raise
    return row_type(**values)


async def fetch_one_as(db: Database, query: ClauseElement, row_type: type[T]) -> T | None:
    """The query's first row as ``row_type``, or None when it finds nothing."""
    record = await db.fetch_one(query)
    return None if record is None else row_as(record, row_type)


async def fetch_all_as(db: Database, query: ClauseElement, row_type: type[T]) -> list[T]:
    """Every row the query finds, as ``row_type``."""
    return [row_as(record, row_type) for record in await db.fetch_all(query)]
