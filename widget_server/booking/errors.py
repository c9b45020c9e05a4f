"""Domain errors. The web layer maps each one to a friendly page or JSON code."""

from __future__ import annotations


class BookingError(Exception):
    """Base class; ``code`` is stable and used in JSON errors and tests."""

    code = "booking_error"


class NotFound(BookingError):
    code = "not_found"


class SlotUnavailable(BookingError):
    """The slot cannot be claimed: why is in ``reason``."""

    code = "slot_unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        # "taken" (someone else got the last spot), "past", "too_soon", "blocked"
        self.reason = reason


class InvalidDetails(BookingError):
    """The client's details did not validate; ``errors`` maps field to message."""

    code = "invalid_details"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class WrongState(BookingError):
    """The booking is not in a state that allows this step (e.g. paying a cancelled one)."""

    code = "wrong_state"


class ChangeNotAllowed(BookingError):
    """A reschedule or cancel the booking doesn't allow; ``reason`` as in booking.changes."""

    code = "change_not_allowed"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        # "not_booked", "disabled", "cutoff", "same_slot"
        self.reason = reason
