"""What the dashboard shows for a lead, a booking, a slot and a payment, and which actions it
offers: decided here once, so every page, filter and badge says the same true thing.

    status = booking_status("held", expires_at, now)   # Status("Hold lapsed", "bad")
    can_close_lead("booked", "cancelled", lead_live=False)  # True: nobody is coming

A ``Status`` carries the words and a tone (the badge's colour); templates render it with
``admin/_status.html``'s ``badge`` and never spell a status themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from ..i18n import gettext as _
from ..i18n import lazy_gettext, pgettext

Tone = Literal["ok", "wait", "bad", "quiet", "info"]


@dataclass(frozen=True)
class Status:
    label: str
    tone: Tone


def hold_lapsed(status: str, expires_at: datetime | None, now: datetime) -> bool:
    return status == "expired" or (
        status == "held" and expires_at is not None and expires_at <= now
    )


def booking_status(status: str, expires_at: datetime | None, now: datetime) -> Status:
    """A booking: held (a live hold), hold lapsed, booked, cancelled."""
    if hold_lapsed(status, expires_at, now):
        return Status(_("Hold lapsed"), "bad")
    return {
        "held": Status(pgettext("booking status", "Held"), "wait"),
        "booked": Status(pgettext("booking status", "Booked"), "ok"),
        "cancelled": Status(_("Cancelled"), "bad"),
    }.get(status, Status(status.replace("_", " ").capitalize(), "quiet"))


LeadKind = Literal["closed", "booked", "choosing", "booked_other", "cancelled", "lapsed"]


def lead_kind(
    lead: str, booking: str, expires_at: datetime | None, now: datetime, *, lead_live: bool
) -> LeadKind:
    """The client's standing with the studio, as seen from one of their bookings.

    The lead's own column stays "booked" after a cancellation (a client's cancellation
    doesn't close it), so this booking's state decides what the photographer reads:
    a cancelled booking of a lead with nothing else live is "cancelled", never "booked".
    """
    if lead == "closed":
        return "closed"
    if booking == "booked":
        return "booked"
    if booking == "held" and not hold_lapsed(booking, expires_at, now):
        return "choosing"
    if lead_live:  # another booking of this client is live (they chose again, or moved)
        return "booked_other"
    if booking == "cancelled":
        return "cancelled"
    return "lapsed"


def lead_status(
    lead: str, booking: str, expires_at: datetime | None, now: datetime, *, lead_live: bool
) -> Status:
    """What the Lead badge says: lead_kind in words."""
    kind = lead_kind(lead, booking, expires_at, now, lead_live=lead_live)
    return {
        "closed": Status(_("Closed"), "quiet"),
        "booked": Status(_("Booked"), "ok"),
        "choosing": Status(_("Choosing a time"), "wait"),
        "booked_other": Status(_("Booked another time"), "info"),
        "cancelled": Status(_("Cancelled: follow up?"), "bad"),
        "lapsed": Status(_("Didn't book: follow up"), "wait"),
    }[kind]


def can_close_lead(
    lead: str, booking: str, expires_at: datetime | None, now: datetime, *, lead_live: bool
) -> bool:
    """Closing is refused while the client has a live booking (studio/leads.close_lead):
    offer it only when it can succeed, i.e. when the badge asks for a follow-up."""
    return lead_kind(lead, booking, expires_at, now, lead_live=lead_live) in ("cancelled", "lapsed")


def can_reopen_lead(lead: str) -> bool:
    return lead == "closed"


def slot_status(*, blocked: bool, past: bool, booked: int, held: int, capacity: int) -> Status:
    """A slot: every spot taken by bookings is "Full"; some by live holds "Held" (they may
    come back); otherwise "Open" with the spots left when there are several."""
    if blocked:
        return Status(pgettext("slot status", "Blocked"), "bad")
    if past:
        return Status(pgettext("slot status", "Past"), "quiet")
    if booked >= capacity:
        return Status(pgettext("slot status", "Full"), "ok")
    if booked + held >= capacity:
        return Status(pgettext("slot status", "Held"), "wait")
    left = capacity - booked - held
    if capacity > 1:
        # Translators: a slot with several spots, some free: "Open: 2 of 3 left".
        label = pgettext("slot status", "Open: %(left)s of %(capacity)s left")
        return Status(label % {"left": left, "capacity": capacity}, "info")
    return Status(pgettext("slot status", "Open"), "info")


def payment_status(status: str, method: str) -> Status:
    if status == "pending":
        return Status(_("Due") if method == "offline" else _("Pending"), "wait")
    return {
        "succeeded": Status(_("Paid"), "ok"),
        "failed": Status(_("Failed"), "bad"),
        "refunded": Status(_("Refunded"), "quiet"),
    }.get(status, Status(status.capitalize(), "quiet"))


def refund_status(status: str) -> Status:
    return {
        "pending": Status(_("On its way"), "wait"),
        "succeeded": Status(_("Refunded"), "ok"),
        "failed": Status(_("Failed"), "bad"),
    }.get(status, Status(status.capitalize(), "quiet"))


def mini_status(visibility: str, archived: bool) -> Status:
    if archived:
        return Status(_("Archived"), "quiet")
    return {
        "public": Status(_("Public"), "ok"),
        "unlisted": Status(_("Unlisted"), "info"),
        "draft": Status(_("Draft"), "quiet"),
    }.get(visibility, Status(visibility.capitalize(), "quiet"))


def email_status(status: str) -> Status:
    return {
        "pending": Status(_("Pending"), "wait"),
        "sent": Status(_("Sent"), "ok"),
        "failed": Status(_("Failed"), "bad"),
    }.get(status, Status(status.capitalize(), "quiet"))


# --- the bookings list's filters ------------------------------------------------------------


class BookingFacts(Protocol):
    """What a list row knows about its booking (studio/dashboard.BookingRow, the export's)."""

    @property
    def status(self) -> str: ...
    @property
    def lead_status(self) -> str: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def lead_live(self) -> bool: ...


def row_lead_kind(row: BookingFacts, now: datetime) -> LeadKind:
    return lead_kind(row.lead_status, row.status, row.expires_at, now, lead_live=row.lead_live)


@dataclass(frozen=True)
class ListFilter:
    """One filter of the bookings list (and its CSV): a row is in it when the badges it shows
    say so. ``booking_statuses``/``lead_statuses`` only let the database skip rows that can't
    be in it (a superset of ``keeps``; tests/test_statuses.py checks every combination)."""

    label: object  # lazy: translated where shown
    keeps: Callable[[BookingFacts, datetime], bool]
    booking_statuses: frozenset[str] | None = None
    lead_statuses: frozenset[str] | None = None


FILTERS: dict[str, ListFilter] = {
    # Clients who chose a time and haven't booked: the Lead badge reads "Choosing a time"
    # or "Didn't book: follow up".
    "scheduling_in_progress": ListFilter(
        lazy_gettext("Holds to follow up"),
        lambda row, now: row_lead_kind(row, now) in ("choosing", "lapsed"),
        booking_statuses=frozenset({"held", "expired"}),
    ),
    # The Status badge reads "Booked" / "Cancelled".
    "booked": ListFilter(
        lazy_gettext("Booked"),
        lambda row, now: row.status == "booked",
        booking_statuses=frozenset({"booked"}),
    ),
    "cancelled": ListFilter(
        lazy_gettext("Cancelled"),
        lambda row, now: row.status == "cancelled",
        booking_statuses=frozenset({"cancelled"}),
    ),
    # The Lead badge reads "Closed": the photographer is done following up.
    "closed": ListFilter(
        lazy_gettext("Closed leads"),
        lambda row, now: row_lead_kind(row, now) == "closed",
        lead_statuses=frozenset({"closed"}),
    ),
    "all": ListFilter(lazy_gettext("All"), lambda row, now: True),
}
DEFAULT_FILTER = "booked"
