"""Alembic migrations run on SQLite and PostgreSQL and match the tables exactly."""

from __future__ import annotations

import sqlite3

from alembic import command
from alembic.script import ScriptDirectory

from widget_server.db.connection import SQLITE_BUSY_TIMEOUT_SECONDS, create_database
from widget_server.db.migrate import alembic_config, migrate


def test_schema_matches_the_tables(db_url: str) -> None:
    # db_url is already migrated to head; `check` fails if the models drifted.
    command.check(alembic_config(db_url))


def test_migrating_again_is_a_no_op(db_url: str) -> None:
    migrate(db_url)
    command.check(alembic_config(db_url))


def test_one_linear_history() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite:///unused.db"))
    assert len(script.get_heads()) == 1


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: str) -> None:
    path = f"{tmp_path}/wal.db"
    migrate(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    database = create_database(f"sqlite:///{path}")
    assert database.options["timeout"] == SQLITE_BUSY_TIMEOUT_SECONDS >= 5
