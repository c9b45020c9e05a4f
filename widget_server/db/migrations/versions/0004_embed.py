"""embed: remember the host page a booking came from

Revision ID: 0004_embed
Revises: 0003_stripe
Create Date: 2026-11-24 23:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_embed"
down_revision = "0003_stripe"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("return_url", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("return_url")
