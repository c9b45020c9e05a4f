"""Cancelling a booking: the spot is freed at once, the lead stays open.

The client cancels within the mini session's rules (``cancel``); the studio
cancels for them whatever those rules say (``cancel_for_client``); an offline
booking nobody paid for by its deadline is released (``release_unpaid``). All go
through ``_cancel_booked``: the cancellation, its event, the spot given back and
the emails commit together, and so do the refunds it owes: each is a refund intent
row (db/refund_intents.py), so a crash or an outage after the commit cannot lose
one. The lead keeps its status: the photographer closes it (the client may still
want another date). What is refunded follows the mini session's
``cancel_refund_policy`` (or the studio's choice); ``refund_plan`` computes it here,
and payments/ carries the intents out (payments/cancellation.cancel_and_refund, the
use case both sides call, right after the commit; the background upkeep after that).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from databases import Database

from ..db.refund_intents import owe_refund
from ..db.rows import IdRow, fetch_one_as
from ..db.tables import bookings, payments
from ..db.transactions import write_transaction
from ..i18n import gettext as _
from .changes import change_options
from .claims import release_extras
from .errors import ChangeNotAllowed, InvalidDetails, WrongState
from .events import record_event
from .holds import lock_slot, release_spot
from .notices import queue_notices
from .views import BookingView, PaymentLine

MAX_MESSAGE = 2000
# Line breaks and tabs are how people write messages; other control and
# format characters (bidi overrides, NUL…) only serve to disguise text.
KEEP = {"\n", "\t"}


def clean_message(raw: str) -> str:
    """The client's message to the photographer, normalised; InvalidDetails when unusable."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > MAX_MESSAGE:
        raise InvalidDetails(
            {
                "message": _("Please keep your message under %(most)d characters.")
                % {"most": MAX_MESSAGE}
            }
        )
    if any(
        unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} and ch not in KEEP
        for ch in text
        if ch not in {"\u200c", "\u200d"}
    ):
        raise InvalidDetails({"message": _("Your message contains characters we can't accept.")})
    return text


@dataclass(frozen=True)
class PlannedRefund:
    payment: PaymentLine
    amount_minor: int


# The studio's refund choices when it cancels: a policy, or None for the mini session's own.
STUDIO_REFUNDS: dict[str, str | None] = {"full": "full", "policy": None, "none": "none"}
# The reason each refund carries (the booking's log, the provider's records), by who cancelled.
REFUND_REASONS = {
    "client": "Cancelled by the client",
    "studio": "Cancelled by the studio",
    "deadline": "Released: the offline payment was not received in time",
}


def cancel_refund_key(payment_id: int) -> str:
    """The request key of a cancellation's refund of one payment. A booking is cancelled
    once, so it names one refund however often (and by whichever process) it is tried."""
    return f"cancel-{payment_id}"


def refund_plan(booking: BookingView, policy: str | None = None) -> list[PlannedRefund]:
    """What ``policy`` (by default the mini session's) gives back, payment by payment.

    ``none`` keeps everything; ``full`` returns every payment taken;
    ``keep_deposit`` keeps the quote's deposit (nothing when there was no
    deposit) and returns the rest, newest payment first. Pending payments
    (offline, not yet received) have nothing to give back.
    """
    policy = policy or booking.mini.cancel_refund_policy
    if policy == "none":
        return []
    keep = 0
    if policy == "keep_deposit" and booking.quote is not None and booking.quote.is_deposit:
        keep = booking.quote.due_now_minor
    to_refund = max(booking.paid_minor - keep, 0)
    plan = []
    for payment in reversed(booking.payments):
        amount = min(payment.refundable_minor, to_refund)
        if amount > 0:
            plan.append(PlannedRefund(payment, amount))
            to_refund -= amount
    return plan


async def cancel(db: Database, booking: BookingView, message: str, now: datetime) -> list[int]:
    """The client cancels the booked ``booking`` with their cleaned message, or raise and change
    nothing. Returns the refund intents (ids) the mini session's policy owes them.

    Raises ChangeNotAllowed (switched off, past the cutoff) or WrongState when
    the booking is no longer booked (cancelled in another tab).
    """
    options = change_options(booking, now)
    if not options.can_cancel:
        raise ChangeNotAllowed(options.cancel_reason or "disabled")
    plan = refund_plan(booking)
    return await _cancel_booked(db, booking, now, by="client", message=message, plan=plan)


async def cancel_for_client(
    db: Database, booking: BookingView, message: str, refund: str, now: datetime
) -> list[int]:
    """The studio cancels ``booking``: the client's toggle and cutoff don't apply.

    ``refund`` is a key of STUDIO_REFUNDS; returns the refund intents (ids) it owes, for
    payments/ to carry out. Raises WrongState when the booking is not booked (already
    cancelled: a double submit changes nothing).
    """
    if booking.status != "booked":
        raise WrongState("not_booked")
    plan = refund_plan(booking, STUDIO_REFUNDS[refund]) if refund != "none" else []
    return await _cancel_booked(db, booking, now, by="studio", message=message, plan=plan)


async def release_unpaid(
    db: Database, booking: BookingView, payment_id: int, deadline: datetime, now: datetime
) -> bool:
    """The offline payment ``payment_id`` wasn't received by ``deadline``: release the time.

    The pending payment is closed as not received (``failed``) by a conditional UPDATE in
    the same transaction, so a studio marking it paid at the same moment either wins
    (nothing is released) or finds it closed: never both. Returns whether it released.
    """
    async with write_transaction(db):
        await lock_slot(db, booking.slot_id)
        closed = await fetch_one_as(
            db,
            payments.update()
            .where(
                payments.c.id == payment_id,
                payments.c.booking_id == booking.id,
                payments.c.method == "offline",
                payments.c.status == "pending",
            )
            .values(status="failed")
            .returning(payments.c.id),
            IdRow,
        )
        if closed is None:
            return False
        await _cancel_booked(
            db,
            booking,
            now,
            by="deadline",
            message="",
            plan=[],  # nothing was paid: nothing to give back
            deadline=deadline.isoformat(),
        )
    return True


async def _cancel_booked(
    db: Database,
    booking: BookingView,
    now: datetime,
    *,
    by: str,
    message: str,
    plan: list[PlannedRefund],
    **detail: str,
) -> list[int]:
    """Cancel, free the spot, log it, queue the emails and owe the refunds in ``plan``, in
    one transaction; returns the refund intents' ids. ``detail`` goes into the event and
    the emails (the deadline of an unpaid booking's release).

    The studio is not emailed about a cancellation it made itself; the client always is.
    """
    refund_minor = sum(r.amount_minor for r in plan)
    owed: list[int] = []
    async with write_transaction(db):
        await lock_slot(db, booking.slot_id)
        row = await db.fetch_one(
            bookings.update()
            .where(
                bookings.c.id == booking.id,
                bookings.c.status == "booked",
                bookings.c.slot_id == booking.slot_id,
            )
            .values(status="cancelled", cancelled_at=now)
            .returning(bookings.c.id)
        )
        if row is None:
            raise WrongState("not_booked")
        await release_spot(db, booking.slot_id, now)
        await release_extras(db, booking.id)
        await record_event(
            db,
            booking.id,
            "cancelled",
            now,
            slot_id=booking.slot_id,
            by=by,
            message=message,
            refund_minor=refund_minor,
            **detail,
        )
        for planned in plan:
            intent_id = await owe_refund(
                db,
                booking_id=booking.id,
                payment_id=planned.payment.id,
                amount_minor=planned.amount_minor,
                key=cancel_refund_key(planned.payment.id),
                reason=REFUND_REASONS[by],
                now=now,
            )
            if intent_id is not None:
                owed.append(intent_id)
        await queue_notices(
            db,
            booking.id,
            "cancelled",
            now,
            studio_copy=by != "studio",
            slot_id=booking.slot_id,
            by=by,
            message=message,
            refund_minor=refund_minor,
            **detail,
        )
    return owed
