"""waitlist entries and offers, each mini session's claim window, scheduled drops, the
"notify me" list

Revision ID: 0016_waitlist_drops
Revises: 0015_integrations
Create Date: 2026-12-01 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from widget_server.db.types import UTCDateTime

revision = "0016_waitlist_drops"
down_revision = "0015_integrations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mini_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claim_window_minutes", sa.Integer(), server_default="120", nullable=False)
        )
        batch_op.add_column(sa.Column("opens_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("early_opens_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("early_access_key", sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(
            "claim_window_range", "claim_window_minutes BETWEEN 10 AND 2880"
        )
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("mini_session_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("preferences", sa.Text(), server_default="{}", nullable=False),
        sa.Column("state", sa.String(length=16), server_default="waiting", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN ('waiting', 'offered', 'claimed', 'lapsed', 'left')",
            name=op.f("ck_waitlist_entries_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["mini_session_id"],
            ["mini_sessions.id"],
            name=op.f("fk_waitlist_entries_mini_session_id_mini_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["studio_id"], ["studios.id"], name=op.f("fk_waitlist_entries_studio_id_studios")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
        sa.UniqueConstraint("public_id", name=op.f("uq_waitlist_entries_public_id")),
    )
    op.create_index(
        "ix_waitlist_entries_mini_state",
        "waitlist_entries",
        ["mini_session_id", "state", "id"],
        unique=False,
    )
    op.create_table(
        "waitlist_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="offered", nullable=False),
        sa.Column("by_hand", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("offered_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('offered', 'claimed', 'lapsed', 'withdrawn')",
            name=op.f("ck_waitlist_offers_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_waitlist_offers_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entries.id"],
            name=op.f("fk_waitlist_offers_entry_id_waitlist_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["slots.id"], name=op.f("fk_waitlist_offers_slot_id_slots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offers")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_waitlist_offers_booking_id")),
    )
    op.create_index(
        op.f("ix_waitlist_offers_entry_id"), "waitlist_offers", ["entry_id"], unique=False
    )
    op.create_index(
        "ix_waitlist_offers_state_expires",
        "waitlist_offers",
        ["state", "expires_at"],
        unique=False,
    )
    op.create_table(
        "early_access_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mini_session_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mini_session_id"],
            ["mini_sessions.id"],
            name=op.f("fk_early_access_emails_mini_session_id_mini_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_access_emails")),
        sa.UniqueConstraint("mini_session_id", "email", name="uq_early_access_emails_mini_email"),
    )
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("unsubscribed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'confirmed', 'unsubscribed')",
            name=op.f("ck_subscribers_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["studio_id"], ["studios.id"], name=op.f("fk_subscribers_studio_id_studios")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribers")),
        sa.UniqueConstraint("public_id", name=op.f("uq_subscribers_public_id")),
        sa.UniqueConstraint("studio_id", "email", name="uq_subscribers_studio_email"),
    )


def downgrade() -> None:
    op.drop_table("subscribers")
    op.drop_table("early_access_emails")
    op.drop_index("ix_waitlist_offers_state_expires", table_name="waitlist_offers")
    op.drop_index(op.f("ix_waitlist_offers_entry_id"), table_name="waitlist_offers")
    op.drop_table("waitlist_offers")
    op.drop_index("ix_waitlist_entries_mini_state", table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
    with op.batch_alter_table("mini_sessions", schema=None) as batch_op:
        batch_op.drop_constraint("claim_window_range", type_="check")
        batch_op.drop_column("early_access_key")
        batch_op.drop_column("early_opens_at")
        batch_op.drop_column("opens_at")
        batch_op.drop_column("claim_window_minutes")
