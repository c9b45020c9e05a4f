"""studio settings: the payment methods a studio takes, and its logo

Revision ID: 0007_studio_settings
Revises: 0006_feed
Create Date: 2026-11-25 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from widget_server.db.types import UTCDateTime

revision = "0007_studio_settings"
down_revision = "0006_feed"
branch_labels = None
depends_on = None

# The order methods are listed in; a studio's set is kept in this order.
KNOWN_ORDER = ("offline", "demo", "stripe")


def _initial_methods(mini_methods: list[str]) -> str:
    """What each studio took so far: the union of its mini sessions' methods, else offline."""
    keys = {key for methods in mini_methods for key in methods.split()}
    ordered = [k for k in KNOWN_ORDER if k in keys] + sorted(keys - set(KNOWN_ORDER))
    return " ".join(ordered) or "offline"


def upgrade() -> None:
    with op.batch_alter_table("studios", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "payment_methods", sa.String(length=200), server_default="offline", nullable=False
            )
        )
        batch_op.add_column(sa.Column("logo_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("logo_type", sa.String(length=32), nullable=True))
    op.create_table(
        "studio_logos",
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["studio_id"], ["studios.id"], name=op.f("fk_studio_logos_studio_id_studios")
        ),
        sa.PrimaryKeyConstraint("studio_id", name=op.f("pk_studio_logos")),
    )
    conn = op.get_bind()
    studios = sa.table("studios", sa.column("id"), sa.column("payment_methods"))
    minis = sa.table("mini_sessions", sa.column("studio_id"), sa.column("payment_methods"))
    by_studio: dict[int, list[str]] = {}
    for row in conn.execute(sa.select(minis.c.studio_id, minis.c.payment_methods)):
        by_studio.setdefault(row.studio_id, []).append(row.payment_methods or "")
    for (studio_id,) in conn.execute(sa.select(studios.c.id)).fetchall():
        conn.execute(
            studios.update()
            .where(studios.c.id == studio_id)
            .values(payment_methods=_initial_methods(by_studio.get(studio_id, [])))
        )


def downgrade() -> None:
    op.drop_table("studio_logos")
    with op.batch_alter_table("studios", schema=None) as batch_op:
        batch_op.drop_column("logo_type")
        batch_op.drop_column("logo_sha256")
        batch_op.drop_column("payment_methods")
