"""subscriber_language: the language a "notify me" subscriber or a waitlist entry joined in

Revision ID: 0019_subscriber_language
Revises: 0018_language
Create Date: 2026-12-01 20:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_subscriber_language"
down_revision = "0018_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("language")
