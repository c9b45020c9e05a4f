"""Exactly-once inserts: ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` on both databases."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from databases import Database
from sqlalchemy.dialects import postgresql, sqlite

from .rows import IdRow, fetch_one_as


async def insert_once(
    db: Database, table: sa.Table, values: dict[str, Any], unique: list[str]
) -> int | None:
    """Insert the row unless one with the same ``unique`` columns exists.

    Returns the new id, or None when the row was already there (a replay). A
    plain INSERT would raise instead, and on PostgreSQL that aborts the whole
    transaction it runs in.
    """
    insert = postgresql.insert if db.url.dialect == "postgresql" else sqlite.insert
    row = await fetch_one_as(
        db,
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(table.c.id),
        IdRow,
    )
    return None if row is None else row.id
