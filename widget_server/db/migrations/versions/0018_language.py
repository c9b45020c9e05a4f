"""language: the studio's default language and the language each client booked in

Revision ID: 0018_language
Revises: 0017_pricing
Create Date: 2026-12-01 20:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_language"
down_revision = "0017_pricing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("studios", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("default_language", sa.String(length=16), server_default="en", nullable=False)
        )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("studios", schema=None) as batch_op:
        batch_op.drop_column("default_language")
