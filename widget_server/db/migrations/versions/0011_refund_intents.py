"""refund intents: each refund owed is a row, written with the cancellation that owes it

Refunds that failed before this revision were known only from ``refund_failed`` events
(retried from the booking's log). Those not made since become intents here, so the one
retry mechanism that reads intents keeps trying them: nothing owed is dropped on upgrade.
The index 0009 added for the event-log retry's scan goes: nothing looks events up by kind
and time any more.

Revision ID: 0011_refund_intents
Revises: 0010_offline_deadline
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

from widget_server.db.types import UTCDateTime

revision = "0011_refund_intents"
down_revision = "0010_offline_deadline"
branch_labels = None
depends_on = None

# The retry schedule as it stood at this revision (payments/refunds.py): a copy, so that
# later changes there don't change what this migration did.
AUTO_RETRIES = 6
RETRY_AFTER = timedelta(minutes=5)
SETTLING_EVENTS = {"refund_recorded", "refund_confirmed"}


def upgrade() -> None:
    op.create_table(
        "refund_intents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("request_key", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'done', 'failed')", name=op.f("ck_refund_intents_state_known")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_refund_intents_amount_positive")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_refund_intents_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_refund_intents_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_refund_intents_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_intents")),
        sa.UniqueConstraint("payment_id", "request_key", name="uq_refund_intents_payment_key"),
    )
    with op.batch_alter_table("refund_intents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refund_intents_booking_id"), ["booking_id"], unique=False
        )
        batch_op.create_index(
            "ix_refund_intents_state_next", ["state", "next_attempt_at"], unique=False
        )
    _intents_from_failed_refunds()
    op.drop_index("ix_booking_events_kind_created", table_name="booking_events")


def _intents_from_failed_refunds() -> None:
    """An intent for every ``refund_failed`` request not recorded or confirmed since."""
    events = sa.table(
        "booking_events",
        sa.column("id", sa.Integer),
        sa.column("booking_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("detail", sa.Text),
        sa.column("created_at", UTCDateTime),
    )
    intents = sa.table(
        "refund_intents",
        *(
            sa.column(name, kind)
            for name, kind in (
                ("booking_id", sa.Integer),
                ("payment_id", sa.Integer),
                ("amount_minor", sa.Integer),
                ("request_key", sa.String),
                ("reason", sa.Text),
                ("state", sa.String),
                ("attempts", sa.Integer),
                ("next_attempt_at", UTCDateTime),
                ("last_error", sa.Text),
                ("created_at", UTCDateTime),
            )
        ),
    )
    bind = op.get_bind()
    with_failures = (
        sa.select(events.c.booking_id).where(events.c.kind == "refund_failed").distinct()
    )
    found = bind.execute(
        sa.select(events.c.booking_id, events.c.kind, events.c.detail, events.c.created_at)
        .where(
            events.c.booking_id.in_(with_failures),
            events.c.kind.in_(["refund_failed", *SETTLING_EVENTS]),
        )
        .order_by(events.c.booking_id, events.c.id)
    ).all()
    owed: dict[tuple[int, str], dict[str, Any]] = {}
    for booking_id, kind, detail_text, created_at in found:
        detail = json.loads(detail_text)
        key = detail.get("key")
        if not isinstance(key, str):
            continue
        if kind in SETTLING_EVENTS:
            owed.pop((booking_id, key), None)
            continue
        entry = owed.setdefault(
            (booking_id, key),
            {
                "booking_id": booking_id,
                "payment_id": int(detail["payment_id"]),
                "amount_minor": int(detail["amount_minor"]),
                "request_key": key,
                "reason": detail.get("reason", ""),
                "attempts": 0,
                "created_at": created_at,
            },
        )
        entry["attempts"] += 1
        entry["last_error"] = str(detail.get("error", ""))
        entry["last_failure"] = created_at
    for entry in owed.values():
        last: datetime = entry.pop("last_failure")
        attempts = entry["attempts"]
        entry["state"] = "pending" if attempts <= AUTO_RETRIES else "failed"
        entry["next_attempt_at"] = last + RETRY_AFTER * 2 ** (attempts - 1)
        bind.execute(intents.insert().values(**entry))


def downgrade() -> None:
    op.create_index("ix_booking_events_kind_created", "booking_events", ["kind", "created_at"])
    with op.batch_alter_table("refund_intents", schema=None) as batch_op:
        batch_op.drop_index("ix_refund_intents_state_next")
        batch_op.drop_index(batch_op.f("ix_refund_intents_booking_id"))
    op.drop_table("refund_intents")
