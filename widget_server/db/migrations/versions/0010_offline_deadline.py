"""mini_sessions.offline_pay_hours: an unpaid offline booking is released after this long

Revision ID: 0010_offline_deadline
Revises: 0009_event_kinds
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_offline_deadline"
down_revision = "0009_event_kinds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mini_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offline_pay_hours", sa.Integer(), server_default="72", nullable=False)
        )
        batch_op.create_check_constraint(
            "offline_pay_hours_range", "offline_pay_hours BETWEEN 0 AND 720"
        )


def downgrade() -> None:
    with op.batch_alter_table("mini_sessions", schema=None) as batch_op:
        batch_op.drop_constraint("offline_pay_hours_range", type_="check")
        batch_op.drop_column("offline_pay_hours")
