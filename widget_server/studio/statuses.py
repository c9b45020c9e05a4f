"""What the dashboard shows for a lead, a booking, a slot and a payment, and which actions it
offers: decided here once, so every page, filter and badge says the same true thing.

    status = booking_status("held", expires_at, now)   # Status("Hold lapsed", "bad")
    can_close_lead("booked", "cancelled", lead_live=False)  # True: nobody is coming

A ``Status`` carries the words and a tone (the badge's colour); templates render it with
``admin/_status.html``'s ``badge`` and never spell a status themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ..i18n import gettext as _
from ..i18n import pgettext

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


def lead_status(
    lead: str, booking: str, expires_at: datetime | None, now: datetime, *, lead_live: bool
) -> Status:
    """The client's standing with the studio, as seen from one of their bookings.

    The lead's own column stays "booked" after a cancellation (a client's cancellation
    doesn't close it), so this booking's state decides what the photographer reads:
    a cancelled booking of a lead with nothing else live is "Cancelled", never "Booked".
    """
    if lead == "closed":
        return Status(_("Closed"), "quiet")
    if booking == "booked":
        return Status(_("Booked"), "ok")
    if booking == "held" and not hold_lapsed(booking, expires_at, now):
        return Status(_("Choosing a time"), "wait")
    if lead_live:  # another booking of this client is live (they chose again, or moved)
        return Status(_("Booked another time"), "info")
    if booking == "cancelled":
        return Status(_("Cancelled: follow up?"), "bad")
    return Status(_("Didn't book: follow up"), "wait")


def can_close_lead(
    lead: str, booking: str, expires_at: datetime | None, now: datetime, *, lead_live: bool
) -> bool:
    """Closing is refused while the client has a live booking (studio/leads.close_lead):
    offer it only when it can succeed."""
    if lead == "closed" or lead_live:
        return False
    return booking not in ("booked", "held") or hold_lapsed(booking, expires_at, now)


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
