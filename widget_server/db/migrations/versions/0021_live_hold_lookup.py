"""live hold lookup: a client's bookings of a mini session found by their email

``ix_leads_mini_email``: the leads of a mini session by lower-cased email. A new hold
looks up the client's live hold on the mini session (booking/bookings.live_hold_of) to
move it; without this index the lookup walked every live hold of every mini session and
each one's lead, so during a drop every new hold cost more than the one before (about
2.5 µs of CPU per live hold on SQLite, in the web process). With it, the lookup reads
the client's own leads (one, usually) and their bookings (``ix_bookings_lead_id``).

Revision ID: 0021_live_hold_lookup
Revises: 0020_texts
Create Date: 2026-12-01 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_live_hold_lookup"
down_revision = "0020_texts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_leads_mini_email", "leads", ["mini_session_id", sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_leads_mini_email", table_name="leads")
