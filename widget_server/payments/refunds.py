"""Refunds of any method: asked for once per request key, recorded once, never lost.

``refund_payment`` is the studio's refund: it checks the amount and asks the payment's
method (``PaymentMethod.refund`` with a ``RefundRequest``). The method moves the money
(Stripe through its API; offline and demo just record it) and ``record_refund`` writes
the outcome, keyed by the method and the provider's refund id (or our request key), so
a refund requested twice or reported twice by a webhook counts once.

A refund that is owed (a cancellation's) is first a refund intent, written in the
transaction that owes it (db/refund_intents.py). This module carries intents out: at
once after that commit (``refund_owed_now``), in the background when their wait is over
(``retry_due_refunds``, from upkeep.py in any process), and when the photographer presses
Retry (``retry_failed_refunds``). That is the one retry mechanism: each try leases the
intent first, so two runners never ask at once, and repeats its request key, which the
provider and ``record_refund`` honour, so nothing is refunded twice. A failure is logged
as ``refund_failed`` and retried after 5, 10, 20... minutes (``after_failure``),
``AUTO_RETRIES`` times, then only by the photographer's Retry button.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from databases import Database

from ..booking.errors import BookingError
from ..booking.events import record_event
from ..booking.views import BookingView, load_booking_by_id
from ..db.insert_once import insert_once
from ..db.refund_intents import (
    RefundIntent,
    claim_due,
    claim_intent,
    mark_done,
    mark_failed,
    open_intents,
    settle,
)
from ..db.tables import payments, refunds
from ..db.transactions import write_transaction
from .base import PaymentMethod, PaymentUnavailable, RefundRequest

logger = logging.getLogger("minis")
MAX_ERROR = 300


@dataclass(frozen=True)
class NewRefund:
    payment_id: int
    method: str
    provider_ref: str
    status: str  # pending, succeeded, failed
    amount_minor: int
    reason: str = ""


class OverRefund(BookingError):
    """Recording this refund would give back more than the payment took; nothing recorded."""

    code = "over_refund"


async def record_refund(
    db: Database,
    booking_id: int,
    refund: NewRefund,
    now: datetime,
    *,
    key: str | None = None,
    cap_minor: int | None = None,
) -> bool:
    """Record ``refund`` and its event; False (and no change) when it was already recorded.

    ``key`` (the request's idempotency key) goes into the event, and settles the refund
    intent asked for with it (a provider's webhook reporting our refund settles it too).
    With ``cap_minor`` (refunds we settle ourselves), raises OverRefund when the payment's
    refunds would exceed it: checked after the insert, in its transaction, so two different
    requests racing can't both pass.
    """
    async with write_transaction(db):
        if cap_minor is not None:
            # Lock the payment first: two refunds of it queue here, so the second one's
            # sum below sees the first (PostgreSQL), and SQLite takes its write lock at once.
            await db.execute(
                payments.update()
                .where(payments.c.id == refund.payment_id)
                .values(amount_minor=payments.c.amount_minor)
            )
        new_id = await insert_once(
            db,
            refunds,
            {**refund.__dict__, "booking_id": booking_id, "created_at": now},
            unique=["method", "provider_ref"],
        )
        if new_id is None:
            return False
        if cap_minor is not None:
            total = await db.fetch_val(
                sa.select(sa.func.coalesce(sa.func.sum(refunds.c.amount_minor), 0)).where(
                    refunds.c.payment_id == refund.payment_id, refunds.c.status != "failed"
                )
            )
            if int(total) > cap_minor:
                raise OverRefund(f"refunds would exceed {cap_minor}")
        if key:
            # The intent that asked for it (if any) is done, in the same transaction: a
            # crash after this commit can't leave it looking owed.
            await settle(db, refund.payment_id, key, now)
        await record_event(
            db,
            booking_id,
            "refund_recorded",
            now,
            method=refund.method,
            status=refund.status,
            amount_minor=refund.amount_minor,
            reason=refund.reason,
            **({"key": key} if key else {}),
        )
    return True


async def record_settled_refund(request: RefundRequest, *, reason: str | None = None) -> bool:
    """A refund that is done once recorded, with no provider to wait for (the demo card,
    money the studio hands back itself); the request's key makes it count once."""
    booking, payment = request.booking, request.payment
    refund = NewRefund(
        payment_id=payment.id,
        method=payment.method,
        provider_ref=f"{payment.method}-refund:{booking.public_id}:{request.key}",
        status="succeeded",
        amount_minor=request.amount_minor,
        reason=request.reason if reason is None else reason,
    )
    return await record_refund(
        request.db, booking.id, refund, request.now, key=request.key, cap_minor=payment.amount_minor
    )


@dataclass(frozen=True)
class FailedRefund:
    """A refund owed that the provider could not make yet, as the booking page shows it."""

    payment_id: int
    amount_minor: int
    key: str
    reason: str
    error: str


async def record_refund_confirmed(db: Database, booking_id: int, key: str, now: datetime) -> None:
    """A retried request turned out to be done already (e.g. the provider's webhook recorded
    it first): note that its key is settled."""
    async with write_transaction(db):
        await record_event(db, booking_id, "refund_confirmed", now, key=key)


# Automatic retries of a failed refund: the n-th waits RETRY_AFTER * 2**(n-1) after the
# n-th failure (5, 10, 20, 40, 80, 160 minutes: about 5 hours in all), then the
# photographer's Retry button is the way (the booking page shows the failure).
AUTO_RETRIES = 6
RETRY_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class AfterFailure:
    """What an intent's ``failures``-th failure at ``failed_at`` leaves it as."""

    state: str  # pending: the background tries again at next_attempt_at; failed: it won't
    next_attempt_at: datetime


def after_failure(failures: int, failed_at: datetime) -> AfterFailure:
    give_up = failures > AUTO_RETRIES
    # Capped: the photographer's Retry can fail any number of times after the last wait.
    wait = RETRY_AFTER * 2 ** (min(max(failures, 1), AUTO_RETRIES + 1) - 1)
    return AfterFailure("failed" if give_up else "pending", failed_at + wait)


async def failed_refunds(db: Database, booking_id: int) -> list[FailedRefund]:
    """The booking's refunds owed that have failed at least once and are not made yet:
    what its page lists under "Refund failed" with the Retry button."""
    return [
        FailedRefund(i.payment_id, i.amount_minor, i.request_key, i.reason, i.last_error)
        for i in await open_intents(db, booking_id)
        if i.last_error
    ]


class RefundNotAllowed(BookingError):
    """Nothing (or less than asked) is left to refund on that payment, or it isn't ours."""

    code = "refund_not_allowed"


async def refund_payment(methods: Mapping[str, PaymentMethod], request: RefundRequest) -> bool:
    """Give back ``request.amount_minor`` (all or part) of one of the booking's payments.

    Returns False when this key was refunded before (nothing happens twice). Raises
    RefundNotAllowed for a payment that isn't the booking's or an amount it can't cover,
    and PaymentUnavailable when the provider can't be reached (retry with the same key).
    """
    payment = request.payment
    ours = any(p.id == payment.id for p in request.booking.payments)
    if not ours or payment.method not in methods:
        raise RefundNotAllowed("no such payment on this booking")
    if not 0 < request.amount_minor <= payment.refundable_minor:
        raise RefundNotAllowed(f"between 1 and {payment.refundable_minor} can be refunded")
    try:
        return await methods[payment.method].refund(request)
    except OverRefund as exc:  # another refund of this payment got in first
        raise RefundNotAllowed("less is left to refund than that") from exc


async def carry_out(
    methods: Mapping[str, PaymentMethod], db: Database, intent: RefundIntent, now: datetime
) -> bool | None:
    """Make the refund ``intent`` (claimed by the caller) owes, through its payment's method.

    True: refunded now. False: it had been made before (its key was recorded, or nothing
    is left on the payment: refunded another way meanwhile). None: it failed; logged as
    ``refund_failed`` and left to a later try with the same key (``after_failure``).
    """
    booking = await load_booking_by_id(db, intent.booking_id)
    payment = None
    if booking is not None:
        payment = next((p for p in booking.payments if p.id == intent.payment_id), None)
    try:
        if booking is None or payment is None:
            raise PaymentUnavailable(f"payment {intent.payment_id} is not on its booking")
        method = methods.get(payment.method)
        if method is None:
            raise PaymentUnavailable(f"this server has no {payment.method!r} method")
        # Never more than is left: a refund made another way meanwhile (the photographer's
        # form, the provider's dashboard) already gave part of it back.
        amount = min(intent.amount_minor, payment.refundable_minor)
        if amount > 0:
            request = RefundRequest(
                db, booking, payment, amount, intent.request_key, intent.reason, now
            )
            done = await method.refund(request)
        else:
            done = False
    except Exception as exc:  # every failure is retried with the same key; none is lost
        if isinstance(exc, PaymentUnavailable):
            logger.warning(
                "refund %s of booking %s failed: %s", intent.request_key, intent.booking_id, exc
            )
        else:
            logger.exception(
                "refund %s of booking %s failed", intent.request_key, intent.booking_id
            )
        await _failed(db, intent, str(exc) or type(exc).__name__, now)
        return None
    if not done:
        await record_refund_confirmed(db, intent.booking_id, intent.request_key, now)
    await mark_done(db, intent, now)
    return done


async def _failed(db: Database, intent: RefundIntent, error: str, now: datetime) -> None:
    """Log the failure in the booking's log and set the intent's next try, together."""
    after = after_failure(intent.attempts, now)
    failed = FailedRefund(
        intent.payment_id, intent.amount_minor, intent.request_key, intent.reason, error
    )
    async with write_transaction(db):
        await mark_failed(
            db,
            intent,
            error,
            next_attempt_at=after.next_attempt_at,
            give_up=after.state == "failed",
        )
        await record_event(
            db,
            intent.booking_id,
            "refund_failed",
            now,
            **{**failed.__dict__, "error": error[:MAX_ERROR]},
        )


async def refund_owed_now(
    methods: Mapping[str, PaymentMethod], db: Database, intent_id: int, now: datetime
) -> tuple[RefundIntent | None, bool | None]:
    """Carry out intent ``intent_id`` right away (just after the commit that owed it).

    Returns the intent and what ``carry_out`` said, or (None, None) when someone else
    holds it or it is settled already.
    """
    intent = await claim_intent(db, intent_id, now)
    if intent is None:
        return None, None
    return intent, await carry_out(methods, db, intent, now)


# One background round tries at most this many intents; the next round takes the rest.
ROUND_LIMIT = 50


async def retry_due_refunds(
    methods: Mapping[str, PaymentMethod], db: Database, now: datetime
) -> int:
    """The background's part: carry out the intents whose wait is over, one claim at a
    time; returns how many went through. Any number of processes may run it at once:
    each intent is leased to one of them (``claim_due``), and every try of it repeats
    its request key."""
    made = 0
    for _ in range(ROUND_LIMIT):
        intent = await claim_due(db, now)
        if intent is None:
            break
        if await carry_out(methods, db, intent, now) is not None:
            made += 1
    return made


async def retry_failed_refunds(
    methods: Mapping[str, PaymentMethod], db: Database, booking: BookingView, now: datetime
) -> tuple[int, int]:
    """The photographer's Retry: every refund ``booking`` still owes, now, whatever its wait,
    each with its own key. Returns (made now, still failing)."""
    made = still_failing = 0
    for owed in await open_intents(db, booking.id):
        intent = await claim_intent(db, owed.id, now, even_if_waiting=True)
        if intent is None:  # a runner has it right now
            still_failing += 1
            continue
        if await carry_out(methods, db, intent, now) is None:
            still_failing += 1
        else:
            made += 1
    return made, still_failing
