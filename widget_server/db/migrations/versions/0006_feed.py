"""feed: a per-studio version signed into the calendar feed URL, bumped to revoke it

Revision ID: 0006_feed
Revises: 0005_changes
Create Date: 2026-11-25 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_feed"
down_revision = "0005_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("studios", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("feed_version", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("studios", schema=None) as batch_op:
        batch_op.drop_column("feed_version")
