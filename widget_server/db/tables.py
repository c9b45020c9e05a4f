"""The schema, as SQLAlchemy Core tables. Migrations in db/migrations mirror it.

Invariants the database itself enforces live here as constraints; see
ARCHITECTURE.md for the list and why each one matters.
"""

from __future__ import annotations

import sqlalchemy as sa

from .types import UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

studios = sa.Table(
    "studios",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("notify_email", sa.String(320), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("brand_color", sa.String(7), nullable=False, server_default="#3b5bdb"),
    # Space-separated origins allowed to embed the widget; empty means any site.
    sa.Column("allowed_origins", sa.Text, nullable=False, server_default=""),
    sa.Column("offline_instructions", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Signed into the calendar feed's URL (booking/feed.py); bumping it revokes old URLs.
    sa.Column("feed_version", sa.Integer, nullable=False, server_default="1"),
    # Space-separated payment method keys the studio takes; a client is offered a mini
    # session's methods that are also here (catalog.offered_method_keys).
    sa.Column("payment_methods", sa.String(200), nullable=False, server_default="offline"),
    # The current logo (its bytes are in studio_logos): its SHA-256 names its public URL.
    sa.Column("logo_sha256", sa.String(64), nullable=True),
    sa.Column("logo_type", sa.String(32), nullable=True),
    # Opt-in: the embed reports each booking (value, currency, reference; nobody's details)
    # to the host page's Google Analytics 4 and Meta Pixel (web/client.back_to_site).
    sa.Column("report_conversions", sa.Boolean, nullable=False, server_default=sa.false()),
    # The language a client sees when neither their link nor their browser names one we
    # ship (a key of i18n.LANGUAGES); also the language of the photographer's own texts.
    sa.Column("default_language", sa.String(16), nullable=False, server_default="en"),
)

# The logo's bytes, in the database so that every worker and host can serve it.
studio_logos = sa.Table(
    "studio_logos",
    metadata,
    sa.Column("studio_id", sa.ForeignKey("studios.id"), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content_type", sa.String(32), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("uploaded_at", UTCDateTime, nullable=False),
)

mini_images = sa.Table(
    "mini_images",
    metadata,
    # A mini session's picture, uploaded in the dashboard and kept like the studio's logo:
    # checked by its bytes, in the database (every worker can serve it), named by its
    # SHA-256. mini_sessions.image_url then points at /images/<sha256>.<ext>.
    sa.Column("mini_session_id", sa.ForeignKey("mini_sessions.id"), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("content_type", sa.String(32), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("uploaded_at", UTCDateTime, nullable=False),
)

page_views = sa.Table(
    "page_views",
    metadata,
    # How often a mini session's pages were opened, per day (the studio's date), channel
    # (hosted page or embed), utm_source and stage ("view": the dates and times; "slot":
    # a time chosen, the details form). Counts only: no cookie, no address, nothing about
    # the person. Counted in memory by each process and added here in batches
    # (studio/page_views.py), so the pages clients open never wait on this write.
    sa.Column("mini_session_id", sa.ForeignKey("mini_sessions.id"), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("mini_session_id", "day", "channel", "source", "stage"),
    sa.CheckConstraint("count >= 0", name="count_not_negative"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False, index=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

admin_sessions = sa.Table(
    "admin_sessions",
    metadata,
    # The dashboard's logins (accounts.py). The cookie carries a random id; only its
    # SHA-256 is stored, so reading this table yields no cookie that would work.
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Index("ix_admin_sessions_expires_at", "expires_at"),
)

locations = sa.Table(
    "locations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("address", sa.Text, nullable=False, server_default=""),
    sa.Column("map_url", sa.Text, nullable=False, server_default=""),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
)

mini_sessions = sa.Table(
    "mini_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False),
    sa.Column("slug", sa.String(64), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("image_url", sa.Text, nullable=False, server_default=""),
    sa.Column("price_minor", sa.Integer, nullable=False),
    sa.Column("deposit_minor", sa.Integer, nullable=True),
    sa.Column("visibility", sa.String(16), nullable=False, server_default="public"),
    sa.Column("booking_process", sa.String(16), nullable=False, server_default="quote"),
    # Space-separated payment method keys, in the order they are offered.
    sa.Column("payment_methods", sa.String(200), nullable=False, server_default="offline"),
    sa.Column("hold_minutes", sa.Integer, nullable=False, server_default="15"),
    sa.Column("min_notice_hours", sa.Integer, nullable=False, server_default="2"),
    sa.Column("allow_reschedule", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("allow_cancel", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("change_cutoff_hours", sa.Integer, nullable=False, server_default="48"),
    sa.Column("confirmation_notice", sa.Text, nullable=False, server_default=""),
    sa.Column("terms", sa.Text, nullable=False, server_default=""),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    # What a client's own cancellation gives back: none, full, or all but the deposit.
    sa.Column("cancel_refund_policy", sa.String(16), nullable=False, server_default="keep_deposit"),
    # The reminder email goes this many hours before the session; 0 sends none.
    sa.Column("reminder_hours", sa.Integer, nullable=False, server_default="24"),
    # An offline booking not marked paid this many hours after it was made is released
    # (its spot goes back to the public); 0: no deadline (e.g. cash at the session).
    sa.Column("offline_pay_hours", sa.Integer, nullable=False, server_default="72"),
    # Markdown with {{ placeholders }} the client signs before booking; empty: none.
    # Each booking keeps the text it signed (contract_signatures), so editing it
    # applies to new bookings only.
    sa.Column("contract", sa.Text, nullable=False, server_default=""),
    # How long a spot offered to a waiting client is held for them alone (booking/handoff.py).
    sa.Column("claim_window_minutes", sa.Integer, nullable=False, server_default="120"),
    # A scheduled drop: no times are shown or bookable before ``opens_at`` (None: open now),
    # except to early access (the secret key's link, or listed emails) from ``early_opens_at``.
    sa.Column("opens_at", UTCDateTime, nullable=True),
    sa.Column("early_opens_at", UTCDateTime, nullable=True),
    sa.Column("early_access_key", sa.String(64), nullable=True),
    sa.UniqueConstraint("studio_id", "slug", name="uq_mini_sessions_studio_slug"),
    sa.CheckConstraint("price_minor >= 0", name="price_not_negative"),
    sa.CheckConstraint(
        "deposit_minor IS NULL OR (deposit_minor > 0 AND deposit_minor <= price_minor)",
        name="deposit_within_price",
    ),
    sa.CheckConstraint("visibility IN ('public', 'unlisted', 'draft')", name="visibility_known"),
    sa.CheckConstraint("booking_process IN ('quote', 'free')", name="booking_process_known"),
    sa.CheckConstraint("hold_minutes BETWEEN 1 AND 1440", name="hold_minutes_range"),
    sa.CheckConstraint(
        "cancel_refund_policy IN ('none', 'full', 'keep_deposit')", name="refund_policy_known"
    ),
    sa.CheckConstraint("reminder_hours BETWEEN 0 AND 168", name="reminder_hours_range"),
    sa.CheckConstraint("offline_pay_hours BETWEEN 0 AND 720", name="offline_pay_hours_range"),
    sa.CheckConstraint("claim_window_minutes BETWEEN 10 AND 2880", name="claim_window_range"),
    sa.CheckConstraint("change_cutoff_hours >= 0", name="change_cutoff_not_negative"),
    # Party size (booking/pricing.py): the price covers ``party_included`` people; each
    # extra one up to ``party_max`` costs ``extra_person_minor``.
    sa.Column("party_included", sa.Integer, nullable=False, server_default="1"),
    sa.Column("party_max", sa.Integer, nullable=False, server_default="1"),
    sa.Column("extra_person_minor", sa.Integer, nullable=False, server_default="0"),
    # A deposit as a share of the total (millionths), instead of deposit_minor.
    sa.Column("deposit_ppm", sa.Integer, nullable=True),
    sa.CheckConstraint(
        "party_included >= 1 AND party_max >= party_included AND party_max <= 50",
        name="party_range",
    ),
    sa.CheckConstraint("extra_person_minor >= 0", name="extra_person_not_negative"),
    sa.CheckConstraint(
        "deposit_ppm IS NULL OR (deposit_ppm > 0 AND deposit_ppm < 1000000)",
        name="deposit_share_range",
    ),
)

session_days = sa.Table(
    "session_days",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mini_session_id", sa.ForeignKey("mini_sessions.id"), nullable=False, index=True),
    sa.Column("location_id", sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("start_time", sa.Time, nullable=False),
    sa.Column("end_time", sa.Time, nullable=False),
    sa.Column("slot_minutes", sa.Integer, nullable=False),
    sa.Column("gap_minutes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("capacity", sa.Integer, nullable=False, server_default="1"),
    sa.CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),
    sa.CheckConstraint("gap_minutes >= 0", name="gap_not_negative"),
    sa.CheckConstraint("capacity > 0", name="capacity_positive"),
    # The day picker's summary reads a mini session's days from yesterday on.
    sa.Index("ix_session_days_mini_date", "mini_session_id", "date"),
)

slots = sa.Table(
    "slots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_day_id", sa.ForeignKey("session_days.id"), nullable=False),
    sa.Column("mini_session_id", sa.ForeignKey("mini_sessions.id"), nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    # Live holds plus bookings on this slot. Claimed and released only by
    # conditional UPDATEs in booking/holds.py; the CHECK makes overbooking a
    # constraint violation rather than a bug that can slip through.
    sa.Column("taken", sa.Integer, nullable=False, server_default="0"),
    sa.Column("blocked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("session_day_id", "starts_at", name="uq_slots_day_start"),
    sa.CheckConstraint("taken >= 0 AND taken <= capacity", name="taken_within_capacity"),
    sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    sa.Index("ix_slots_mini_start", "mini_session_id", "starts_at"),
    # The day picker's summary (booking/offers.py) reads this index alone, not the rows.
    sa.Index("ix_slots_day_open", "session_day_id", "starts_at", "blocked", "taken", "capacity"),
)

leads = sa.Table(
    "leads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False, index=True),
    sa.Column("mini_session_id", sa.ForeignKey("mini_sessions.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    # JSON object of utm_* parameters the client arrived with.
    sa.Column("utm", sa.Text, nullable=False, server_default="{}"),
    # The language the client booked in (a key of i18n.LANGUAGES): their emails and later
    # pages keep it. NULL for leads from before languages: the studio's default.
    sa.Column("language", sa.String(16), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint(
        "status IN ('scheduling_in_progress', 'booked', 'closed')", name="status_known"
    ),
)
# A client's leads on a mini session by email: the live-hold lookup of every new hold
# (booking/bookings.live_hold_of) reads these, not every live hold (0021_live_hold_lookup).
sa.Index("ix_leads_mini_email", leads.c.mini_session_id, sa.func.lower(leads.c.email))

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # Random, secret; signed into the client's URLs (booking/tokens.py).
    sa.Column("public_id", sa.String(32), nullable=False, unique=True),
    # Short, human-friendly code for emails and phone calls; not a secret.
    sa.Column("reference", sa.String(16), nullable=False, unique=True),
    sa.Column("lead_id", sa.ForeignKey("leads.id"), nullable=False, index=True),
    sa.Column("slot_id", sa.ForeignKey("slots.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("booked_at", UTCDateTime, nullable=True),
    sa.Column("cancelled_at", UTCDateTime, nullable=True),
    sa.Column("rescheduled_from_slot_id", sa.ForeignKey("slots.id"), nullable=True),
    # The host page the client booked from through the embed ("Back to <site>"),
    # kept only when its origin was allowed to embed the studio; else empty.
    sa.Column("return_url", sa.Text, nullable=False, server_default=""),
    sa.CheckConstraint("status IN ('held', 'booked', 'cancelled', 'expired')", name="status_known"),
    sa.CheckConstraint("status != 'held' OR expires_at IS NOT NULL", name="hold_has_expiry"),
    sa.Index("ix_bookings_slot_status", "slot_id", "status"),
    sa.Index("ix_bookings_status_expires", "status", "expires_at"),
    # Live bookings of a slot (booking/availability.live_on_slot): cancelled and expired
    # rows are not in it, so availability costs the same whatever the history.
    sa.Index(
        "ix_bookings_live_slot",
        "slot_id",
        "status",
        "expires_at",
        sqlite_where=sa.text("status IN ('held', 'booked')"),
        postgresql_where=sa.text("status IN ('held', 'booked')"),
    ),
)

quotes = sa.Table(
    "quotes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=False, unique=True),
    sa.Column("currency", sa.String(3), nullable=False),
    # JSON list of {"label": str, "amount_minor": int}.
    sa.Column("items", sa.Text, nullable=False),
    sa.Column("total_minor", sa.Integer, nullable=False),
    sa.Column("due_now_minor", sa.Integer, nullable=False),
    sa.Column("terms", sa.Text, nullable=False, server_default=""),
    sa.Column("accepted_at", UTCDateTime, nullable=True),
    sa.CheckConstraint("due_now_minor >= 0 AND due_now_minor <= total_minor", name="due_now_range"),
    sa.Column("party_size", sa.Integer, nullable=False, server_default="1"),
    # The coupon the quote's discount line came from (its use is a coupon_redemptions row).
    sa.Column("coupon_code", sa.String(40), nullable=False, server_default=""),
    sa.CheckConstraint("party_size >= 1", name="party_size_positive"),
)

# Add-ons a client can pick on the checkout page (booking/extras.py). ``taken`` counts
# the units claimed by live holds and bookings (booking_addons rows); like a slot's
# ``taken`` it only moves through conditional UPDATEs, and the CHECK makes overselling
# the stock a constraint violation.
addons = sa.Table(
    "addons",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mini_session_id", sa.ForeignKey("mini_sessions.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("image_url", sa.Text, nullable=False, server_default=""),
    sa.Column("price_minor", sa.Integer, nullable=False),
    sa.Column("max_quantity", sa.Integer, nullable=False, server_default="1"),
    sa.Column("stock", sa.Integer, nullable=True),  # across the mini session; NULL: no limit
    sa.Column("taken", sa.Integer, nullable=False, server_default="0"),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint("price_minor >= 0", name="price_not_negative"),
    sa.CheckConstraint("max_quantity BETWEEN 1 AND 100", name="max_quantity_range"),
    sa.CheckConstraint(
        "taken >= 0 AND (stock IS NULL OR taken <= stock)", name="taken_within_stock"
    ),
)

# The add-on units a booking claimed; they go back when the hold lapses or it is cancelled.
booking_addons = sa.Table(
    "booking_addons",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=False),
    sa.Column("addon_id", sa.ForeignKey("addons.id"), nullable=False, index=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.UniqueConstraint("booking_id", "addon_id", name="uq_booking_addons_booking_addon"),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
)

# Promotion codes (booking/coupons.py). ``used`` counts live redemptions; a claim is
# ``UPDATE … SET used = used + 1 WHERE used < max_uses``, and the CHECK backs it.
coupons = sa.Table(
    "coupons",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False),
    sa.Column("code", sa.String(40), nullable=False),  # upper case
    sa.Column("kind", sa.String(16), nullable=False),  # percent (value in ppm) or fixed
    sa.Column("value", sa.Integer, nullable=False),
    sa.Column("base_only", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("all_minis", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("starts_at", UTCDateTime, nullable=True),
    sa.Column("ends_at", UTCDateTime, nullable=True),
    sa.Column("max_uses", sa.Integer, nullable=True),
    sa.Column("used", sa.Integer, nullable=False, server_default="0"),
    sa.Column("per_email_limit", sa.Integer, nullable=True),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("studio_id", "code", name="uq_coupons_studio_code"),
    sa.CheckConstraint("kind IN ('percent', 'fixed')", name="kind_known"),
    sa.CheckConstraint("value > 0 AND (kind != 'percent' OR value <= 1000000)", name="value_range"),
    sa.CheckConstraint(
        "used >= 0 AND (max_uses IS NULL OR used <= max_uses)", name="used_within_max"
    ),
    sa.CheckConstraint("per_email_limit IS NULL OR per_email_limit > 0", name="per_email_positive"),
)

coupon_minis = sa.Table(
    "coupon_minis",
    metadata,
    sa.Column("coupon_id", sa.ForeignKey("coupons.id"), primary_key=True),
    sa.Column("mini_session_id", sa.ForeignKey("mini_sessions.id"), primary_key=True),
)

# A booking's live use of a coupon; deleted (and ``used`` given back) when it lapses.
coupon_redemptions = sa.Table(
    "coupon_redemptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("coupon_id", sa.ForeignKey("coupons.id"), nullable=False),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=False, unique=True),
    sa.Column("email", sa.String(320), nullable=False),  # lower case
    sa.Index("ix_coupon_redemptions_coupon_email", "coupon_id", "email"),
)

# Sales tax rates per studio (booking/pricing.py applies them).
tax_rates = sa.Table(
    "tax_rates",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("rate_ppm", sa.Integer, nullable=False),  # 8.875 % == 88750
    sa.Column("inclusive", sa.Boolean, nullable=False, server_default=sa.false()),
    # The mini sessions (base price and extra people) and add-ons it applies to.
    sa.Column("all_minis", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("all_addons", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint("rate_ppm > 0 AND rate_ppm <= 1000000", name="rate_range"),
)

tax_rate_minis = sa.Table(
    "tax_rate_minis",
    metadata,
    sa.Column("tax_rate_id", sa.ForeignKey("tax_rates.id"), primary_key=True),
    sa.Column("mini_session_id", sa.ForeignKey("mini_sessions.id"), primary_key=True),
)

tax_rate_addons = sa.Table(
    "tax_rate_addons",
    metadata,
    sa.Column("tax_rate_id", sa.ForeignKey("tax_rates.id"), primary_key=True),
    sa.Column("addon_id", sa.ForeignKey("addons.id"), primary_key=True),
)

questions = sa.Table(
    "questions",
    metadata,
    # What a mini session asks on the details step (studio/questions.py edits them,
    # booking/answers.py checks the answers). Removing one only marks it ``removed``:
    # answers point at it and keep their own copy of its wording.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mini_session_id", sa.ForeignKey("mini_sessions.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("help", sa.Text, nullable=False, server_default=""),
    sa.Column("required", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    # JSON list of the choices offered (single/select/several); [] for the other kinds.
    sa.Column("choices", sa.Text, nullable=False, server_default="[]"),
    sa.Column("removed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint(
        "kind IN ('short', 'long', 'single', 'select', 'several', 'number', 'date', 'yesno')",
        name="kind_known",
    ),
)

answers = sa.Table(
    "answers",
    metadata,
    # A client's answer, with the question's wording as it was asked (label, kind,
    # position): a question edited or removed later changes no answer given.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=False, index=True),
    sa.Column("question_id", sa.ForeignKey("questions.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    # The answer as text; several choices one per line; "" for none given.
    sa.Column("value", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("booking_id", "question_id", name="uq_answers_booking_question"),
)

contract_signatures = sa.Table(
    "contract_signatures",
    metadata,
    # Evidence of a signed contract (booking/contracts.py): the exact rendered text the
    # client read, its SHA-256, the name they typed, when, and from which address and
    # browser. The PDF is made from this row, so it can always be made again.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=False, unique=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("signed_name", sa.String(200), nullable=False),
    sa.Column("signed_at", UTCDateTime, nullable=False),
    sa.Column("ip_address", sa.String(64), nullable=False, server_default=""),
    sa.Column("user_agent", sa.Text, nullable=False, server_default=""),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=False, index=True),
    sa.Column("method", sa.String(32), nullable=False),
    # Provider's id for this payment. Unique per method: a replayed provider
    # event or a double-submitted form records the payment once.
    sa.Column("provider_ref", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("amount_minor", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("method", "provider_ref", name="uq_payments_method_ref"),
    sa.CheckConstraint(
        "status IN ('pending', 'succeeded', 'failed', 'refunded')", name="status_known"
    ),
    sa.CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
)

refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("payment_id", sa.ForeignKey("payments.id"), nullable=False, index=True),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=False, index=True),
    sa.Column("method", sa.String(32), nullable=False),
    # The provider's refund id, or our idempotency key for methods without one.
    # Unique per method: a refund requested or reported twice is recorded once.
    sa.Column("provider_ref", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("amount_minor", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("method", "provider_ref", name="uq_refunds_method_ref"),
    sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status_known"),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
)

refund_intents = sa.Table(
    "refund_intents",
    metadata,
    # A refund owed, written in the transaction that decided it (a cancellation), then
    # carried out by payments/refunds.py: at once after the commit, and by the background
    # upkeep until it goes through. A runner claims a row with a conditional
    # UPDATE … RETURNING that sets a lease (claim_token, lease_until), as the outbox does,
    # so two runners never ask the provider at once; a lease that runs out (a crashed
    # runner) makes the row claimable again. db/refund_intents.py has the queries.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=False, index=True),
    sa.Column("payment_id", sa.ForeignKey("payments.id"), nullable=False),
    sa.Column("amount_minor", sa.Integer, nullable=False),
    # The request's idempotency key ("cancel-<payment id>"): the provider and
    # ``record_refund`` both honour it, so however often it is tried it refunds once.
    sa.Column("request_key", sa.String(255), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    # pending: owed, tried when due; done: refunded (or found refunded);
    # failed: the automatic retries are over, the photographer's Retry button is left.
    sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("claim_token", sa.String(32), nullable=True),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("done_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("payment_id", "request_key", name="uq_refund_intents_payment_key"),
    sa.CheckConstraint("state IN ('pending', 'done', 'failed')", name="state_known"),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
    sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    sa.Index("ix_refund_intents_state_next", "state", "next_attempt_at"),
)

checkout_sessions = sa.Table(
    "checkout_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=False, index=True),
    # "due_now" (deposit or full price, holds the slot) or "balance" (after booking).
    sa.Column("purpose", sa.String(16), nullable=False),
    # Sent with the create call: a retry after an error or a timeout asks for the
    # same session again instead of creating (and charging) a second one.
    sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
    # The provider's session id (cs_...), known once the create call answered.
    sa.Column("session_id", sa.String(255), nullable=True, unique=True),
    sa.Column("url", sa.Text, nullable=True),
    sa.Column("payment_intent", sa.String(255), nullable=True, index=True),
    sa.Column("amount_minor", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    # The session's own expiry; for "due_now" the hold runs until then too.
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("purpose IN ('due_now', 'balance')", name="purpose_known"),
    sa.CheckConstraint(
        "status IN ('creating', 'open', 'processing', 'complete', 'expired', 'failed')",
        name="status_known",
    ),
    sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
)

booking_events = sa.Table(
    "booking_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    # JSON object with what the reader of the log needs (old/new slot, amounts...).
    sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    # Emails waiting for delivery, written in the transaction of the change that
    # caused them (mail/outbox.py). A sender claims a row by setting a lease
    # (claim_token, lease_until) with a conditional UPDATE … RETURNING; a lease
    # that runs out (a crashed sender) makes the row claimable again.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=True, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(320), nullable=False),
    # JSON object with what the message needs beyond the booking (slots, message).
    sa.Column("payload", sa.Text, nullable=False, server_default="{}"),
    # Set for scheduled emails (reminders): enqueued at most once per key.
    sa.Column("dedupe_key", sa.String(200), nullable=True, unique=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("claim_token", sa.String(32), nullable=True),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_known"),
    sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    sa.Index("ix_outbox_status_next", "status", "next_attempt_at"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    # A studio's keys for the JSON API (studio/api_keys.py). The key is shown once; only
    # its SHA-256 is stored (a key is 256 random bits: no slow hash needed), so reading
    # this table yields no key that works. ``prefix`` (its first characters) names it in
    # the dashboard.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("access", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.CheckConstraint("access IN ('read', 'write')", name="access_known"),
)

api_idempotency = sa.Table(
    "api_idempotency",
    metadata,
    # One row per Idempotency-Key a studio sent with a POST (web/api/idempotency.py):
    # claimed before the change runs, then the first answer is kept and replayed.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    # SHA-256 of method, path and body: the same key with another request is refused.
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),  # NULL while the first one runs
    sa.Column("body", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("studio_id", "idempotency_key", name="uq_api_idempotency_studio_key"),
)

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    # Where a studio wants its events sent (studio/webhooks.py). The secret signs each
    # delivery (Standard Webhooks), so it is kept as is: the receiver holds it too.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False, index=True),
    sa.Column("url", sa.Text, nullable=False),
    # Space-separated event types it subscribes to.
    sa.Column("events", sa.Text, nullable=False),
    sa.Column("secret", sa.String(100), nullable=False),
    # active; paused (kept failing, or by the photographer: nothing is sent, deliveries wait).
    sa.Column("state", sa.String(16), nullable=False, server_default="active"),
    sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("paused_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=True),
    sa.CheckConstraint("state IN ('active', 'paused')", name="state_known"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    # One event for one endpoint, written in the transaction of the change that caused it
    # (db/webhook_outbox.py), then sent with retries by the upkeep. ``msg_id`` is the
    # Standard Webhooks ``webhook-id``: the same on every attempt, so receivers dedupe.
    # A sender leases a row (claim_token, lease_until) as the email outbox does.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("endpoint_id", sa.ForeignKey("webhook_endpoints.id"), nullable=False),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False),
    # Deliveries of one booking (or lead) to one endpoint go in order: the key says whose.
    sa.Column("ordering_key", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False),
    sa.Column("msg_id", sa.String(64), nullable=False, unique=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("claim_token", sa.String(32), nullable=True),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status_known"),
    sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    sa.Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    sa.Index("ix_webhook_deliveries_endpoint_order", "endpoint_id", "ordering_key", "id"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    # Each try of a delivery, for the dashboard's delivery log.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("delivery_id", sa.ForeignKey("webhook_deliveries.id"), nullable=False, index=True),
    sa.Column("attempted_at", UTCDateTime, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=False, server_default=""),
    sa.Column("duration_ms", sa.Integer, nullable=False, server_default="0"),
)

waitlist_entries = sa.Table(
    "waitlist_entries",
    metadata,
    # A client waiting for a spot of a mini session, in id order (first come, first
    # offered). booking/handoff.py moves ``state`` only by conditional UPDATEs.
    sa.Column("id", sa.Integer, primary_key=True),
    # Random, secret: signed into the "leave the list" link (booking/waitlist.py).
    sa.Column("public_id", sa.String(32), nullable=False, unique=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False),
    sa.Column("mini_session_id", sa.ForeignKey("mini_sessions.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("phone", sa.String(32), nullable=False),
    # JSON: {"days": [session day ids], "parts": ["morning", "afternoon", "evening"]};
    # an empty list means any.
    sa.Column("preferences", sa.Text, nullable=False, server_default="{}"),
    # waiting → offered → claimed; offered → lapsed (window passed); any → left.
    sa.Column("state", sa.String(16), nullable=False, server_default="waiting"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # The language they joined in (a key of i18n.LANGUAGES): the offer's lead, and so its
    # email, keep it. NULL for entries from before languages: the studio's default.
    sa.Column("language", sa.String(16), nullable=True),
    sa.CheckConstraint(
        "state IN ('waiting', 'offered', 'claimed', 'lapsed', 'left')", name="state_known"
    ),
    sa.Index("ix_waitlist_entries_mini_state", "mini_session_id", "state", "id"),
)

waitlist_offers = sa.Table(
    "waitlist_offers",
    metadata,
    # A spot held for one waiting client: ``booking_id`` is a real hold (status held,
    # expires_at = the claim deadline) counted in ``slots.taken``, so nobody else sees it.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entry_id", sa.ForeignKey("waitlist_entries.id"), nullable=False, index=True),
    sa.Column("booking_id", sa.ForeignKey("bookings.id"), nullable=False, unique=True),
    sa.Column("slot_id", sa.ForeignKey("slots.id"), nullable=False),
    # offered → claimed (the client took it into checkout) | lapsed | withdrawn (left).
    sa.Column("state", sa.String(16), nullable=False, server_default="offered"),
    sa.Column("by_hand", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("offered_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("settled_at", UTCDateTime, nullable=True),
    sa.CheckConstraint(
        "state IN ('offered', 'claimed', 'lapsed', 'withdrawn')", name="state_known"
    ),
    sa.Index("ix_waitlist_offers_state_expires", "state", "expires_at"),
)

early_access_emails = sa.Table(
    "early_access_emails",
    metadata,
    # Clients who may book a scheduled drop from its early opening (booking/drops.py); each
    # is emailed a personal link once (the outbox's dedupe key).
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mini_session_id", sa.ForeignKey("mini_sessions.id"), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("mini_session_id", "email", name="uq_early_access_emails_mini_email"),
)

subscribers = sa.Table(
    "subscribers",
    metadata,
    # A studio's "notify me" list (booking/notify_list.py): double opt-in, so an address
    # gets announcements only once its owner confirmed; unsubscribing is one click.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    # Random, secret: signed into the confirm and unsubscribe links.
    sa.Column("public_id", sa.String(32), nullable=False, unique=True),
    sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("confirmed_at", UTCDateTime, nullable=True),
    sa.Column("unsubscribed_at", UTCDateTime, nullable=True),
    # The language they subscribed in (a key of i18n.LANGUAGES): the confirmation and the
    # announcements speak it. NULL for subscribers from before languages: the studio's default.
    sa.Column("language", sa.String(16), nullable=True),
    sa.UniqueConstraint("studio_id", "email", name="uq_subscribers_studio_email"),
    sa.CheckConstraint("state IN ('pending', 'confirmed', 'unsubscribed')", name="state_known"),
)

text_translations = sa.Table(
    "text_translations",
    metadata,
    # The photographer's own texts in other languages (booking/texts.py): a mini session's
    # title, description, notice, terms and contract, a question's label, help and choices.
    # The studio's default language lives in the owner's own columns; a missing row here
    # means "show that one". studio_id scopes every read and write to its owner's studio.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("studio_id", sa.ForeignKey("studios.id"), nullable=False),
    sa.Column("owner_kind", sa.String(16), nullable=False),  # mini_session, question
    sa.Column("owner_id", sa.Integer, nullable=False),
    sa.Column("field", sa.String(32), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.UniqueConstraint(
        "owner_kind", "owner_id", "field", "language", name="uq_text_translations_owner_field"
    ),
    sa.CheckConstraint("owner_kind IN ('mini_session', 'question')", name="owner_kind_known"),
)
