"""What the client is told when a change to their booking isn't offered."""

from __future__ import annotations

from ..booking.changes import ChangeOptions
from ..booking.views import BookingView
from ..formatting import slot_label


def why_not(booking: BookingView, options: ChangeOptions, reason: str | None, what: str) -> str:
    """A sentence for the client on why ``what`` ("reschedule", "cancel") isn't offered."""
    studio = booking.studio.name
    if reason == "disabled":
        return f"{studio} doesn't take online {what}s for this session. Please contact them."
    if reason == "cutoff":
        hours = booking.mini.change_cutoff_hours
        closed = slot_label(options.cutoff_at, booking.timezone)
        return (
            f"Online changes close {hours} hours before your session ({closed}). "
            f"Please contact {studio} directly."
        )
    if reason == "same_slot":
        return "That's already your time. Please choose a different one."
    return "This booking can't be changed any more."
