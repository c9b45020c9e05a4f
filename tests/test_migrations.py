"""Alembic migrations run on SQLite and PostgreSQL and match the tables exactly."""

from __future__ import annotations

import sqlite3

from alembic import command
from alembic.script import ScriptDirectory

from widget_server.db.connection import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    create_database,
    prepare_sqlite_file,
)
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


def test_studio_payment_methods_start_as_what_their_mini_sessions_offered(tmp_path: str) -> None:
    """0007_studio_settings: each studio takes the union of its mini sessions' methods
    (so nothing a client was offered before disappears), or offline when it has none."""
    path = f"{tmp_path}/before.db"
    url = f"sqlite:///{path}"
    prepare_sqlite_file(url)
    config = alembic_config(url)
    command.upgrade(config, "0007_studio_settings-1")
    with sqlite3.connect(path) as conn:
        for studio_id, slug in ((1, "many"), (2, "none")):
            conn.execute(
                "INSERT INTO studios (id, slug, name, notify_email, timezone, currency, "
                "created_at) VALUES (?, ?, 'S', 'a@example.com', 'UTC', 'USD', "
                "'2026-01-01 00:00:00.000000')",
                (studio_id, slug),
            )
        for n, methods in enumerate(("stripe demo", "offline", "demo")):
            conn.execute(
                "INSERT INTO mini_sessions (studio_id, slug, title, price_minor, "
                "payment_methods) VALUES (1, ?, 'M', 100, ?)",
                (f"m{n}", methods),
            )
    command.upgrade(config, "0007_studio_settings")
    with sqlite3.connect(path) as conn:
        found = dict(conn.execute("SELECT slug, payment_methods FROM studios").fetchall())
    assert found == {"many": "offline demo stripe", "none": "offline"}
