"""pricing: add-ons, party size, coupons and tax rates as quote lines

Stock and coupon uses are counters (``taken``, ``used``) with CHECKs, claimed by
conditional UPDATEs like a slot's spots.

Revision ID: 0017_pricing
Revises: 0016_waitlist_drops
Create Date: 2026-12-01 16:54:07.470178
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from widget_server.db.types import UTCDateTime

revision = "0017_pricing"
down_revision = "0016_waitlist_drops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coupons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("base_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("all_minis", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=True),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("per_email_limit", sa.Integer(), nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint("kind IN ('percent', 'fixed')", name=op.f("ck_coupons_kind_known")),
        sa.CheckConstraint(
            "value > 0 AND (kind != 'percent' OR value <= 1000000)",
            name=op.f("ck_coupons_value_range"),
        ),
        sa.CheckConstraint(
            "per_email_limit IS NULL OR per_email_limit > 0",
            name=op.f("ck_coupons_per_email_positive"),
        ),
        sa.CheckConstraint(
            "used >= 0 AND (max_uses IS NULL OR used <= max_uses)",
            name=op.f("ck_coupons_used_within_max"),
        ),
        sa.ForeignKeyConstraint(
            ["studio_id"], ["studios.id"], name=op.f("fk_coupons_studio_id_studios")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("studio_id", "code", name="uq_coupons_studio_code"),
    )
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("studio_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rate_ppm", sa.Integer(), nullable=False),
        sa.Column("inclusive", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("all_minis", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("all_addons", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "rate_ppm > 0 AND rate_ppm <= 1000000", name=op.f("ck_tax_rates_rate_range")
        ),
        sa.ForeignKeyConstraint(
            ["studio_id"], ["studios.id"], name=op.f("fk_tax_rates_studio_id_studios")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rates")),
    )
    with op.batch_alter_table("tax_rates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tax_rates_studio_id"), ["studio_id"], unique=False)

    op.create_table(
        "addons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mini_session_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("image_url", sa.Text(), server_default="", nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("max_quantity", sa.Integer(), server_default="1", nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("taken", sa.Integer(), server_default="0", nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "max_quantity BETWEEN 1 AND 100", name=op.f("ck_addons_max_quantity_range")
        ),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_addons_price_not_negative")),
        sa.CheckConstraint(
            "taken >= 0 AND (stock IS NULL OR taken <= stock)",
            name=op.f("ck_addons_taken_within_stock"),
        ),
        sa.ForeignKeyConstraint(
            ["mini_session_id"],
            ["mini_sessions.id"],
            name=op.f("fk_addons_mini_session_id_mini_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addons")),
    )
    with op.batch_alter_table("addons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_addons_mini_session_id"), ["mini_session_id"], unique=False
        )

    op.create_table(
        "coupon_minis",
        sa.Column("coupon_id", sa.Integer(), nullable=False),
        sa.Column("mini_session_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["coupons.id"], name=op.f("fk_coupon_minis_coupon_id_coupons")
        ),
        sa.ForeignKeyConstraint(
            ["mini_session_id"],
            ["mini_sessions.id"],
            name=op.f("fk_coupon_minis_mini_session_id_mini_sessions"),
        ),
        sa.PrimaryKeyConstraint("coupon_id", "mini_session_id", name=op.f("pk_coupon_minis")),
    )
    op.create_table(
        "tax_rate_minis",
        sa.Column("tax_rate_id", sa.Integer(), nullable=False),
        sa.Column("mini_session_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mini_session_id"],
            ["mini_sessions.id"],
            name=op.f("fk_tax_rate_minis_mini_session_id_mini_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["tax_rate_id"], ["tax_rates.id"], name=op.f("fk_tax_rate_minis_tax_rate_id_tax_rates")
        ),
        sa.PrimaryKeyConstraint("tax_rate_id", "mini_session_id", name=op.f("pk_tax_rate_minis")),
    )
    op.create_table(
        "tax_rate_addons",
        sa.Column("tax_rate_id", sa.Integer(), nullable=False),
        sa.Column("addon_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["addon_id"], ["addons.id"], name=op.f("fk_tax_rate_addons_addon_id_addons")
        ),
        sa.ForeignKeyConstraint(
            ["tax_rate_id"], ["tax_rates.id"], name=op.f("fk_tax_rate_addons_tax_rate_id_tax_rates")
        ),
        sa.PrimaryKeyConstraint("tax_rate_id", "addon_id", name=op.f("pk_tax_rate_addons")),
    )
    op.create_table(
        "booking_addons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("addon_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_booking_addons_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["addon_id"], ["addons.id"], name=op.f("fk_booking_addons_addon_id_addons")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_addons_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_addons")),
        sa.UniqueConstraint("booking_id", "addon_id", name="uq_booking_addons_booking_addon"),
    )
    with op.batch_alter_table("booking_addons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_addons_addon_id"), ["addon_id"], unique=False)

    op.create_table(
        "coupon_redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_coupon_redemptions_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["coupon_id"], ["coupons.id"], name=op.f("fk_coupon_redemptions_coupon_id_coupons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_redemptions")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_coupon_redemptions_booking_id")),
    )
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coupon_redemptions_coupon_email", ["coupon_id", "email"], unique=False
        )

    with op.batch_alter_table("mini_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("party_included", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("party_max", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("extra_person_minor", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("deposit_ppm", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            "party_range",
            "party_included >= 1 AND party_max >= party_included AND party_max <= 50",
        )
        batch_op.create_check_constraint("extra_person_not_negative", "extra_person_minor >= 0")
        batch_op.create_check_constraint(
            "deposit_share_range",
            "deposit_ppm IS NULL OR (deposit_ppm > 0 AND deposit_ppm < 1000000)",
        )

    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("party_size", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("coupon_code", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.create_check_constraint("party_size_positive", "party_size >= 1")


def downgrade() -> None:
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_constraint("ck_quotes_party_size_positive", type_="check")
        batch_op.drop_column("coupon_code")
        batch_op.drop_column("party_size")

    with op.batch_alter_table("mini_sessions", schema=None) as batch_op:
        for name in ("party_range", "extra_person_not_negative", "deposit_share_range"):
            batch_op.drop_constraint(f"ck_mini_sessions_{name}", type_="check")
        batch_op.drop_column("deposit_ppm")
        batch_op.drop_column("extra_person_minor")
        batch_op.drop_column("party_max")
        batch_op.drop_column("party_included")

    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.drop_index("ix_coupon_redemptions_coupon_email")

    op.drop_table("coupon_redemptions")
    with op.batch_alter_table("booking_addons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_addons_addon_id"))

    op.drop_table("booking_addons")
    op.drop_table("tax_rate_addons")
    op.drop_table("tax_rate_minis")
    op.drop_table("coupon_minis")
    with op.batch_alter_table("addons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_addons_mini_session_id"))

    op.drop_table("addons")
    with op.batch_alter_table("tax_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tax_rates_studio_id"))

    op.drop_table("tax_rates")
    op.drop_table("coupons")
