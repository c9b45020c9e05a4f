"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 22:17:18.487171
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from widget_server.db.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "studios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("notify_email", sa.String(length=320), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("brand_color", sa.String(length=7), server_default="#3b5bdb", nullable=False),
        sa.Column("allowed_origins", sa.Text(), server_default="", nullable=False),
        sa.Column("offline_instructions", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studios")),
        sa.UniqueConstraint("slug", name=op.f("uq_studios_slug")),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), server_default="", nullable=False),
        sa.Column("map_url", sa.Text(), server_default="", nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id"], ["studios.id"], name=op.f("fk_locations_studio_id_studios")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
    )
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_locations_studio_id"), ["studio_id"], unique=False)

    op.create_table(
        "mini_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("image_url", sa.Text(), server_default="", nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("deposit_minor", sa.Integer(), nullable=True),
        sa.Column("visibility", sa.String(length=16), server_default="public", nullable=False),
        sa.Column("booking_process", sa.String(length=16), server_default="quote", nullable=False),
        sa.Column(
            "payment_methods", sa.String(length=200), server_default="offline", nullable=False
        ),
        sa.Column("hold_minutes", sa.Integer(), server_default="15", nullable=False),
        sa.Column("min_notice_hours", sa.Integer(), server_default="2", nullable=False),
        sa.Column("allow_reschedule", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("allow_cancel", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("change_cutoff_hours", sa.Integer(), server_default="48", nullable=False),
        sa.Column("confirmation_notice", sa.Text(), server_default="", nullable=False),
        sa.Column("terms", sa.Text(), server_default="", nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "booking_process IN ('quote', 'free')",
            name=op.f("ck_mini_sessions_booking_process_known"),
        ),
        sa.CheckConstraint(
            "visibility IN ('public', 'unlisted', 'draft')",
            name=op.f("ck_mini_sessions_visibility_known"),
        ),
        sa.CheckConstraint(
            "deposit_minor IS NULL OR (deposit_minor > 0 AND deposit_minor <= price_minor)",
            name=op.f("ck_mini_sessions_deposit_within_price"),
        ),
        sa.CheckConstraint(
            "hold_minutes BETWEEN 1 AND 1440", name=op.f("ck_mini_sessions_hold_minutes_range")
        ),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_mini_sessions_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["studio_id"], ["studios.id"], name=op.f("fk_mini_sessions_studio_id_studios")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mini_sessions")),
        sa.UniqueConstraint("studio_id", "slug", name="uq_mini_sessions_studio_slug"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id"], ["studios.id"], name=op.f("fk_users_studio_id_studios")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_studio_id"), ["studio_id"], unique=False)

    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("mini_session_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("utm", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('scheduling_in_progress', 'booked', 'closed')",
            name=op.f("ck_leads_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["mini_session_id"],
            ["mini_sessions.id"],
            name=op.f("fk_leads_mini_session_id_mini_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["studio_id"], ["studios.id"], name=op.f("fk_leads_studio_id_studios")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_studio_id"), ["studio_id"], unique=False)

    op.create_table(
        "session_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mini_session_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("gap_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("capacity", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_session_days_capacity_positive")),
        sa.CheckConstraint("gap_minutes >= 0", name=op.f("ck_session_days_gap_not_negative")),
        sa.CheckConstraint("slot_minutes > 0", name=op.f("ck_session_days_slot_minutes_positive")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_session_days_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["mini_session_id"],
            ["mini_sessions.id"],
            name=op.f("fk_session_days_mini_session_id_mini_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_days")),
    )
    with op.batch_alter_table("session_days", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_days_mini_session_id"), ["mini_session_id"], unique=False
        )

    op.create_table(
        "slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_day_id", sa.Integer(), nullable=False),
        sa.Column("mini_session_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), server_default="0", nullable=False),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_slots_ends_after_start")),
        sa.CheckConstraint(
            "taken >= 0 AND taken <= capacity", name=op.f("ck_slots_taken_within_capacity")
        ),
        sa.ForeignKeyConstraint(
            ["mini_session_id"],
            ["mini_sessions.id"],
            name=op.f("fk_slots_mini_session_id_mini_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["session_day_id"],
            ["session_days.id"],
            name=op.f("fk_slots_session_day_id_session_days"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slots")),
        sa.UniqueConstraint("session_day_id", "starts_at", name="uq_slots_day_start"),
    )
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.create_index("ix_slots_mini_start", ["mini_session_id", "starts_at"], unique=False)

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("booked_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("rescheduled_from_slot_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status != 'held' OR expires_at IS NOT NULL", name=op.f("ck_bookings_hold_has_expiry")
        ),
        sa.CheckConstraint(
            "status IN ('held', 'booked', 'cancelled', 'expired')",
            name=op.f("ck_bookings_status_known"),
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_bookings_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["rescheduled_from_slot_id"],
            ["slots.id"],
            name=op.f("fk_bookings_rescheduled_from_slot_id_slots"),
        ),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name=op.f("fk_bookings_slot_id_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("public_id", name=op.f("uq_bookings_public_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_bookings_reference")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookings_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index("ix_bookings_slot_status", ["slot_id", "status"], unique=False)
        batch_op.create_index("ix_bookings_status_expires", ["status", "expires_at"], unique=False)

    op.create_table(
        "booking_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_events_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_events")),
    )
    with op.batch_alter_table("booking_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_booking_events_booking_id"), ["booking_id"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("provider_ref", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed', 'refunded')",
            name=op.f("ck_payments_status_known"),
        ),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_payments_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_payments_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("method", "provider_ref", name="uq_payments_method_ref"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_booking_id"), ["booking_id"], unique=False)

    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("due_now_minor", sa.Integer(), nullable=False),
        sa.Column("terms", sa.Text(), server_default="", nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "due_now_minor >= 0 AND due_now_minor <= total_minor",
            name=op.f("ck_quotes_due_now_range"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_quotes_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_quotes_booking_id")),
    )


def downgrade() -> None:

    op.drop_table("quotes")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_booking_id"))

    op.drop_table("payments")
    with op.batch_alter_table("booking_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_events_booking_id"))

    op.drop_table("booking_events")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_status_expires")
        batch_op.drop_index("ix_bookings_slot_status")
        batch_op.drop_index(batch_op.f("ix_bookings_lead_id"))

    op.drop_table("bookings")
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.drop_index("ix_slots_mini_start")

    op.drop_table("slots")
    with op.batch_alter_table("session_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_days_mini_session_id"))

    op.drop_table("session_days")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_studio_id"))

    op.drop_table("leads")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_studio_id"))

    op.drop_table("users")
    op.drop_table("mini_sessions")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_locations_studio_id"))

    op.drop_table("locations")
    op.drop_table("studios")
