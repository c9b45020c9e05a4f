"""Run the Alembic migrations from code (``minis migrate``, ``minis demo``, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from .connection import prepare_sqlite_file, sqlalchemy_async_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on a "%" in a password.
    config.set_main_option("sqlalchemy.url", sqlalchemy_async_url(database_url).replace("%", "%%"))
    return config


def migrate(database_url: str) -> None:
    """Bring the database to the newest schema; safe to run on every start."""
    prepare_sqlite_file(database_url)
    command.upgrade(alembic_config(database_url), "head")
