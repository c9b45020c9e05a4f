"""What a client may still change about their booking, and why not when they can't.

The mini session decides: reschedule and cancel can each be switched off,
and both close ``change_cutoff_hours`` before the session starts. The pages
show only the changes on offer and say why the others are not; the domain
functions (reschedule.py, cancel.py) check the same rules again when asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .views import BookingView


@dataclass(frozen=True)
class ChangeOptions:
    can_reschedule: bool
    can_cancel: bool
    # Why a change is not offered: "not_booked", "disabled", "cutoff" or None.
    reschedule_reason: str | None
    cancel_reason: str | None
    cutoff_at: datetime


def change_options(booking: BookingView, now: datetime) -> ChangeOptions:
    cutoff_at = booking.starts_at - timedelta(hours=booking.mini.change_cutoff_hours)

    def reason(allowed: bool) -> str | None:
        if booking.status != "booked":
            return "not_booked"
        if not allowed:
            return "disabled"
        if now >= cutoff_at:
            return "cutoff"
        return None

    reschedule_reason = reason(booking.mini.allow_reschedule)
    cancel_reason = reason(booking.mini.allow_cancel)
    return ChangeOptions(
        can_reschedule=reschedule_reason is None,
        can_cancel=cancel_reason is None,
        reschedule_reason=reschedule_reason,
        cancel_reason=cancel_reason,
        cutoff_at=cutoff_at,
    )
