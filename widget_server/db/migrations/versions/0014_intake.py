"""intake: questions per mini session, answers per booking, contracts and their signatures

Revision ID: 0014_intake
Revises: 0013_dashboard
Create Date: 2026-12-01 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from widget_server.db.types import UTCDateTime

revision = "0014_intake"
down_revision = "0013_dashboard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mini_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contract", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mini_session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("help", sa.Text(), server_default="", nullable=False),
        sa.Column("required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("choices", sa.Text(), server_default="[]", nullable=False),
        sa.Column("removed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('short', 'long', 'single', 'select', 'several', 'number', 'date', 'yesno')",
            name=op.f("ck_questions_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["mini_session_id"],
            ["mini_sessions.id"],
            name=op.f("fk_questions_mini_session_id_mini_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questions_mini_session_id"), ["mini_session_id"], unique=False
        )
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), server_default="", nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_answers_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_answers_question_id_questions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint("booking_id", "question_id", name="uq_answers_booking_question"),
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answers_booking_id"), ["booking_id"], unique=False)
    op.create_table(
        "contract_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", UTCDateTime(), nullable=False),
        sa.Column("ip_address", sa.String(length=64), server_default="", nullable=False),
        sa.Column("user_agent", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_contract_signatures_booking_id_bookings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_signatures")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_contract_signatures_booking_id")),
    )


def downgrade() -> None:
    op.drop_table("contract_signatures")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_booking_id"))
    op.drop_table("answers")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_mini_session_id"))
    op.drop_table("questions")
    with op.batch_alter_table("mini_sessions", schema=None) as batch_op:
        batch_op.drop_column("contract")
