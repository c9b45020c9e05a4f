"""dashboard: mini session pictures uploaded like the logo, and page view counts

``mini_images`` keeps an uploaded picture per mini session (its URL names its SHA-256);
``page_views`` counts views of a mini session's pages per day, channel, source and stage,
with nothing about the person who looked (the dashboard's funnel).

Revision ID: 0013_dashboard
Revises: 0012_page_cost
Create Date: 2026-12-01 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from widget_server.db.types import UTCDateTime

revision = "0013_dashboard"
down_revision = "0012_page_cost"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mini_images",
        sa.Column("mini_session_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mini_session_id"],
            ["mini_sessions.id"],
            name=op.f("fk_mini_images_mini_session_id_mini_sessions"),
        ),
        sa.PrimaryKeyConstraint("mini_session_id", name=op.f("pk_mini_images")),
    )
    op.create_index(op.f("ix_mini_images_sha256"), "mini_images", ["sha256"], unique=False)
    op.create_table(
        "page_views",
        sa.Column("mini_session_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_page_views_count_not_negative")),
        sa.ForeignKeyConstraint(
            ["mini_session_id"],
            ["mini_sessions.id"],
            name=op.f("fk_page_views_mini_session_id_mini_sessions"),
        ),
        sa.PrimaryKeyConstraint(
            "mini_session_id", "day", "channel", "source", "stage", name=op.f("pk_page_views")
        ),
    )


def downgrade() -> None:
    op.drop_table("page_views")
    op.drop_index(op.f("ix_mini_images_sha256"), table_name="mini_images")
    op.drop_table("mini_images")
