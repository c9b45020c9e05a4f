"""stripe checkout sessions

Revision ID: 0003_stripe
Revises: 0002
Create Date: 2026-11-24 23:01:06.036356
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from widget_server.db.types import UTCDateTime

revision = "0003_stripe"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkout_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("payment_intent", sa.String(length=255), nullable=True),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('due_now', 'balance')", name=op.f("ck_checkout_sessions_purpose_known")
        ),
        sa.CheckConstraint(
            "status IN ('creating', 'open', 'processing', 'complete', 'expired', 'failed')",
            name=op.f("ck_checkout_sessions_status_known"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_checkout_sessions_amount_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_checkout_sessions_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkout_sessions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_checkout_sessions_idempotency_key")),
        sa.UniqueConstraint("session_id", name=op.f("uq_checkout_sessions_session_id")),
    )
    with op.batch_alter_table("checkout_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkout_sessions_booking_id"), ["booking_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_checkout_sessions_payment_intent"), ["payment_intent"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("checkout_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkout_sessions_payment_intent"))
        batch_op.drop_index(batch_op.f("ix_checkout_sessions_booking_id"))

    op.drop_table("checkout_sessions")
