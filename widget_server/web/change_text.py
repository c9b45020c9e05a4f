"""What the client is told when a change to their booking isn't offered."""

from __future__ import annotations

from ..booking.changes import ChangeOptions
from ..booking.views import BookingView
from ..formatting import slot_label
from ..i18n import gettext as _
from ..i18n import ngettext


def why_not(booking: BookingView, options: ChangeOptions, reason: str | None, what: str) -> str:
    """A sentence for the client on why ``what`` ("reschedule", "cancel") isn't offered."""
    studio = booking.studio.name
    if reason == "disabled":
        if what == "reschedule":
            text = _("%(studio)s doesn't take online reschedules for this session.")
        else:
            text = _("%(studio)s doesn't take online cancellations for this session.")
        return text % {"studio": studio} + " " + _("Please contact them.")
    if reason == "cutoff":
        hours = booking.mini.change_cutoff_hours
        closed = slot_label(options.cutoff_at, booking.timezone)
        return ngettext(
            "Online changes close %(num)d hour before your session (%(closed)s). "
            "Please contact %(studio)s directly.",
            "Online changes close %(num)d hours before your session (%(closed)s). "
            "Please contact %(studio)s directly.",
            hours,
        ) % {"num": hours, "closed": closed, "studio": studio}
    if reason == "same_slot":
        return _("That's already your time. Please choose a different one.")
    return _("This booking can't be changed any more.")
