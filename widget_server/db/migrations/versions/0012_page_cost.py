"""page cost: indexes that make the booking pages independent of history

- ``ix_bookings_live_slot``: the held and booked bookings of a slot, with the hold's
  expiry (a partial index: cancelled and expired rows are not in it). Availability
  counts a slot's live bookings from it alone, however many past bookings there are.
- ``ix_slots_day_open``: a day's slots by time with what says whether each is open
  (blocked, taken, capacity), so the summary reads the index alone, not the rows.
- ``ix_session_days_mini_date``: a mini session's days by date, so the day picker's
  summary starts at yesterday's date instead of reading every past day.

Revision ID: 0012_page_cost
Revises: 0011_refund_intents
Create Date: 2026-12-01 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_page_cost"
down_revision = "0011_refund_intents"
branch_labels = None
depends_on = None

LIVE = sa.text("status IN ('held', 'booked')")


def upgrade() -> None:
    op.create_index(
        "ix_bookings_live_slot",
        "bookings",
        ["slot_id", "status", "expires_at"],
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_index("ix_session_days_mini_date", "session_days", ["mini_session_id", "date"])
    op.create_index(
        "ix_slots_day_open",
        "slots",
        ["session_day_id", "starts_at", "blocked", "taken", "capacity"],
    )


def downgrade() -> None:
    op.drop_index("ix_slots_day_open", table_name="slots")
    op.drop_index("ix_session_days_mini_date", table_name="session_days")
    op.drop_index("ix_bookings_live_slot", table_name="bookings")
