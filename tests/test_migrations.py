"""Alembic migrations run on SQLite and PostgreSQL and match the tables exactly."""

from __future__ import annotations

import json
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


def test_refunds_that_failed_before_intents_are_still_owed_after(tmp_path: str) -> None:
    """0011_refund_intents: a ``refund_failed`` request not recorded since becomes a pending
    intent (its failures counted, its next try where the old schedule had it); one made
    since, or confirmed, does not; one past the automatic retries waits for the button."""
    path = f"{tmp_path}/before.db"
    url = f"sqlite:///{path}"
    prepare_sqlite_file(url)
    config = alembic_config(url)
    command.upgrade(config, "0010_offline_deadline")

    def failed(key: str, at: str, payment_id: int = 7) -> tuple[str, str, str]:
        detail = {"payment_id": payment_id, "amount_minor": 900, "key": key}
        detail |= {"reason": "Cancelled by the client", "error": f"down at {at}"}
        return ("refund_failed", json.dumps(detail), f"2026-11-20 {at}:00.000000")

    def settled(kind: str, key: str, at: str) -> tuple[str, str, str]:
        return (kind, json.dumps({"key": key}), f"2026-11-20 {at}:00.000000")

    log = [
        failed("cancel-7", "10:00"),
        failed("cancel-7", "10:05"),  # owed: two failures, next try 10 minutes later
        failed("cancel-8", "10:00", payment_id=8),
        settled("refund_recorded", "cancel-8", "10:06"),  # made since
        failed("cancel-9", "10:00", payment_id=9),
        settled("refund_confirmed", "cancel-9", "10:07"),  # found made since
        *(failed("cancel-10", "11:00", payment_id=10) for _ in range(7)),  # given up
    ]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO booking_events (booking_id, kind, detail, created_at) VALUES (3, ?, ?, ?)",
            log,
        )
    command.upgrade(config, "0011_refund_intents")
    with sqlite3.connect(path) as conn:
        found = conn.execute(
            "SELECT booking_id, payment_id, amount_minor, request_key, reason, state, attempts, "
            "next_attempt_at, last_error FROM refund_intents ORDER BY id"
        ).fetchall()
    assert found == [
        (3, 7, 900, "cancel-7", "Cancelled by the client", "pending", 2,
         "2026-11-20 10:15:00.000000", "down at 10:05"),
        (3, 10, 900, "cancel-10", "Cancelled by the client", "failed", 7,
         "2026-11-20 16:20:00.000000", "down at 11:00"),
    ]  # fmt: skip
