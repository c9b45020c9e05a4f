"""reschedule, cancel and email: refund policy, reminder hours, the outbox

Revision ID: 0005_changes
Revises: 0004_embed
Create Date: 2026-11-24 23:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from widget_server.db.types import UTCDateTime

revision = "0005_changes"
down_revision = "0004_embed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mini_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "cancel_refund_policy",
                sa.String(length=16),
                server_default="keep_deposit",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("reminder_hours", sa.Integer(), server_default="24", nullable=False)
        )
        batch_op.create_check_constraint(
            "refund_policy_known", "cancel_refund_policy IN ('none', 'full', 'keep_deposit')"
        )
        batch_op.create_check_constraint("reminder_hours_range", "reminder_hours BETWEEN 0 AND 168")
        batch_op.create_check_constraint("change_cutoff_not_negative", "change_cutoff_hours >= 0")

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("payload", sa.Text(), server_default="{}", nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_attempts_not_negative")),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_outbox_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_outbox_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["studio_id"], ["studios.id"], name=op.f("fk_outbox_studio_id_studios")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index("ix_outbox_status_next", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_next")
        batch_op.drop_index(batch_op.f("ix_outbox_booking_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("mini_sessions", schema=None) as batch_op:
        batch_op.drop_constraint("change_cutoff_not_negative", type_="check")
        batch_op.drop_constraint("reminder_hours_range", type_="check")
        batch_op.drop_constraint("refund_policy_known", type_="check")
        batch_op.drop_column("reminder_hours")
        batch_op.drop_column("cancel_refund_policy")
