"""booking_events by kind and time: the background retry finds failed refunds without a scan

Revision ID: 0009_event_kinds
Revises: 0008_admin_sessions
Create Date: 2026-11-25 02:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0009_event_kinds"
down_revision = "0008_admin_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_booking_events_kind_created", "booking_events", ["kind", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_booking_events_kind_created", table_name="booking_events")
