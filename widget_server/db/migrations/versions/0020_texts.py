"""texts: the photographer's own texts (mini sessions, questions) in other languages

Revision ID: 0020_texts
Revises: 0019_subscriber_language
Create Date: 2026-12-01 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_texts"
down_revision = "0019_subscriber_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "owner_kind IN ('mini_session', 'question')",
            name=op.f("ck_text_translations_owner_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["studio_id"], ["studios.id"], name=op.f("fk_text_translations_studio_id_studios")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_translations")),
        sa.UniqueConstraint(
            "owner_kind",
            "owner_id",
            "field",
            "language",
            name="uq_text_translations_owner_field",
        ),
    )


def downgrade() -> None:
    op.drop_table("text_translations")
