"""A booking's log as the photographer reads it: each event's name with the facts that
make it useful ("Rescheduled from Sat, Dec 5, 10:00 AM EST to 11:00 AM EST"; an offline
payment arranged is "due", not "recorded")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..formatting import money, slot_label
from ..i18n import gettext as _
from .dashboard import event_name


def event_line(
    kind: str,
    detail: Mapping[str, Any],
    *,
    currency: str,
    timezone: str,
    slot_starts: Mapping[int, datetime],
) -> str:
    """One log line. ``slot_starts`` maps the slot ids the log names to their start."""

    def when(slot_id: object) -> str | None:
        start = slot_starts.get(slot_id) if isinstance(slot_id, int) else None
        return slot_label(start, timezone) if start is not None else None

    amount = detail.get("amount_minor")
    priced = (
        money(amount, str(detail.get("currency") or currency)) if isinstance(amount, int) else ""
    )
    if kind == "payment_recorded":
        method = str(detail.get("method", "")).replace("_", " ")
        if detail.get("status") == "pending":
            # Booked to pay offline: nothing was received yet.
            return (
                _("Chose to pay %(method)s: %(priced)s due") % {"method": method, "priced": priced}
                if amount
                else _("Chose to pay %(method)s") % {"method": method}
            )
        return (
            _("Payment received (%(method)s): %(priced)s") % {"method": method, "priced": priced}
            if priced
            else _("Payment received")
        )
    if kind == "offline_payment_received" and priced:
        return _("Offline payment marked as received: %(priced)s") % {"priced": priced}
    if kind == "refund_recorded" and priced:
        return _("Refund recorded: %(priced)s") % {"priced": priced}
    if kind == "rescheduled":
        old, new = when(detail.get("from_slot_id")), when(detail.get("to_slot_id"))
        if old and new:
            return _("Rescheduled from %(old)s to %(new)s") % {"old": old, "new": new}
    return event_name(kind)
