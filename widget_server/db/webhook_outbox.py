"""Outgoing webhook deliveries: written with the change that caused them, sent in order.

``queue_event`` writes one delivery per endpoint of the studio that wants the event, in the
caller's transaction (booking/events.py, studio/leads.py), so a delivery exists exactly
when its change committed. A sender (outgoing/sender.py, in the upkeep of every process or
``minis worker``) leases ONE due delivery at a time, as the email outbox does: a
conditional ``UPDATE … WHERE id = (the due row) AND <still claimable> RETURNING`` sets a
random ``claim_token`` and ``lease_until``; a sender that dies (kill -9) leaves a lease that
runs out, and the next sender sends that delivery again, with the same ``webhook-id``.

Order: a delivery is due only when no earlier delivery of the same booking (its
``ordering_key``) to the same endpoint is still pending, so a receiver sees a booking's
events in the order they happened even through retries. A delivery that used up its
retries is ``failed`` (shown with "Send again") and no longer holds the others back.

An endpoint that fails PAUSE_AFTER times in a row is paused (nothing is sent to it, its
deliveries wait) and the photographer is emailed, in the transaction that paused it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from databases import Database

from .outbox import enqueue
from .rows import fetch_all_as, fetch_one_as
from .tables import studios, webhook_attempts, webhook_deliveries, webhook_endpoints
from .transactions import write_transaction

LEASE = timedelta(seconds=30)  # longer than a request may take (outgoing/sender.TIMEOUT)
# Waits after each failed attempt: about a day and a half of tries in all.
RETRY_DELAYS = [
    timedelta(seconds=s) for s in (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200)
]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
PAUSE_AFTER = 20  # failed attempts in a row, across the endpoint's deliveries

deliveries = webhook_deliveries
endpoints = webhook_endpoints


@dataclass(frozen=True)
class Delivery:
    id: int
    endpoint_id: int
    studio_id: int
    ordering_key: str
    event_type: str
    msg_id: str
    payload: str
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    claim_token: str | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class Target:
    """Where a claimed delivery goes, read with the claim."""

    url: str
    secret: str


@dataclass(frozen=True)
class Attempt:
    id: int
    delivery_id: int
    attempted_at: datetime
    status_code: int | None
    error: str
    duration_ms: int


def new_msg_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


async def queue_event(
    db: Database,
    *,
    studio_id: int,
    event_type: str,
    ordering_key: str,
    data: dict[str, Any],
    now: datetime,
) -> int:
    """Queue ``event_type`` for each of the studio's endpoints that wants it; how many.
    Call inside the transaction of the change."""
    rows = await db.fetch_all(
        sa.select(endpoints.c.id, endpoints.c.events).where(
            endpoints.c.studio_id == studio_id, endpoints.c.deleted_at.is_(None)
        )
    )
    wanted = [int(r._mapping["id"]) for r in rows if event_type in r._mapping["events"].split()]
    if not wanted:
        return 0
    body = json.dumps(
        {"type": event_type, "timestamp": now.isoformat(), "data": data},
        default=str,
        separators=(",", ":"),
    )
    for endpoint_id in wanted:
        await db.execute(
            deliveries.insert().values(
                endpoint_id=endpoint_id,
                studio_id=studio_id,
                ordering_key=ordering_key,
                event_type=event_type,
                msg_id=new_msg_id(),
                payload=body,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return len(wanted)


async def studio_wants(db: Database, studio_id: int) -> bool:
    """Whether the studio has any endpoint at all (cheap check before building a payload)."""
    found = await db.fetch_val(
        sa.select(endpoints.c.id)
        .where(endpoints.c.studio_id == studio_id, endpoints.c.deleted_at.is_(None))
        .limit(1)
    )
    return found is not None


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    earlier = deliveries.alias("earlier")
    return sa.and_(
        deliveries.c.status == "pending",
        deliveries.c.next_attempt_at <= now,
        sa.or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until <= now),
        deliveries.c.endpoint_id.in_(
            sa.select(endpoints.c.id).where(
                endpoints.c.state == "active", endpoints.c.deleted_at.is_(None)
            )
        ),
        ~sa.exists().where(
            earlier.c.endpoint_id == deliveries.c.endpoint_id,
            earlier.c.ordering_key == deliveries.c.ordering_key,
            earlier.c.status == "pending",
            earlier.c.id < deliveries.c.id,
        ),
    )


async def claim_due(db: Database, now: datetime) -> tuple[Delivery, Target] | None:
    """Lease the next due delivery to this caller (see the module's docstring)."""
    if await db.fetch_val(sa.select(deliveries.c.id).where(_claimable(now)).limit(1)) is None:
        return None
    token = secrets.token_hex(16)
    due = (
        sa.select(deliveries.c.id)
        .where(_claimable(now))
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(1)
    )
    if db.url.dialect == "postgresql":
        due = due.with_for_update(skip_locked=True, of=deliveries)
    async with write_transaction(db):
        claimed = await fetch_one_as(
            db,
            deliveries.update()
            .where(deliveries.c.id == due.scalar_subquery(), _claimable(now))
            .values(claim_token=token, lease_until=now + LEASE, attempts=deliveries.c.attempts + 1)
            .returning(*deliveries.c),
            Delivery,
        )
    if claimed is None:
        return None
    target = await fetch_one_as(
        db,
        sa.select(endpoints.c.url, endpoints.c.secret).where(endpoints.c.id == claimed.endpoint_id),
        Target,
    )
    assert target is not None
    return claimed, target


async def _log_attempt(
    db: Database, delivery: Delivery, status_code: int | None, error: str, ms: int, now: datetime
) -> None:
    await db.execute(
        webhook_attempts.insert().values(
            delivery_id=delivery.id,
            attempted_at=now,
            status_code=status_code,
            error=error[:2000],
            duration_ms=ms,
        )
    )


async def mark_delivered(
    db: Database, delivery: Delivery, status_code: int, ms: int, now: datetime
) -> bool:
    """The receiver answered 2xx; False if the lease was lost meanwhile."""
    async with write_transaction(db):
        row = await db.fetch_one(
            deliveries.update()
            .where(deliveries.c.id == delivery.id, deliveries.c.claim_token == delivery.claim_token)
            .values(
                status="delivered",
                delivered_at=now,
                lease_until=None,
                claim_token=None,
                last_error="",
            )
            .returning(deliveries.c.id)
        )
        await _log_attempt(db, delivery, status_code, "", ms, now)
        await db.execute(
            endpoints.update()
            .where(endpoints.c.id == delivery.endpoint_id, endpoints.c.consecutive_failures != 0)
            .values(consecutive_failures=0)
        )
    return row is not None


def retry_delay(attempts: int) -> timedelta:
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


async def mark_failed_attempt(
    db: Database,
    delivery: Delivery,
    status_code: int | None,
    error: str,
    ms: int,
    now: datetime,
) -> bool:
    """A failed attempt: retried later with backoff, or failed for good after MAX_ATTEMPTS.
    Returns True when this failure paused the endpoint (the photographer is emailed)."""
    give_up = delivery.attempts >= MAX_ATTEMPTS
    async with write_transaction(db):
        await db.execute(
            deliveries.update()
            .where(deliveries.c.id == delivery.id, deliveries.c.claim_token == delivery.claim_token)
            .values(
                status="failed" if give_up else "pending",
                next_attempt_at=now + retry_delay(delivery.attempts),
                lease_until=None,
                claim_token=None,
                last_error=error[:2000],
            )
        )
        await _log_attempt(db, delivery, status_code, error, ms, now)
        paused = await fetch_one_as(
            db,
            endpoints.update()
            .where(endpoints.c.id == delivery.endpoint_id)
            .values(
                consecutive_failures=endpoints.c.consecutive_failures + 1,
                state=sa.case(
                    (endpoints.c.consecutive_failures + 1 >= PAUSE_AFTER, "paused"),
                    else_=endpoints.c.state,
                ),
            )
            .returning(endpoints.c.state, endpoints.c.consecutive_failures, endpoints.c.url),
            _PauseCheck,
        )
        just_paused = paused is not None and (
            paused.state == "paused" and paused.consecutive_failures == PAUSE_AFTER
        )
        if just_paused and paused is not None:
            reason = f"{PAUSE_AFTER} failed attempts in a row; the last: {error[:300]}"
            await db.execute(
                endpoints.update()
                .where(endpoints.c.id == delivery.endpoint_id)
                .values(paused_reason=reason)
            )
            notify = await db.fetch_val(
                sa.select(studios.c.notify_email).where(studios.c.id == delivery.studio_id)
            )
            await enqueue(
                db,
                studio_id=delivery.studio_id,
                booking_id=None,
                kind="webhook_paused",
                recipient=str(notify),
                payload={"endpoint_id": delivery.endpoint_id, "url": paused.url, "reason": reason},
                now=now,
            )
    return just_paused


@dataclass(frozen=True)
class _PauseCheck:
    state: str
    consecutive_failures: int
    url: str


async def deliveries_of_endpoint(
    db: Database, endpoint_id: int, limit: int = 100
) -> list[Delivery]:
    """The endpoint's deliveries, newest first."""
    return await fetch_all_as(
        db,
        deliveries.select()
        .where(deliveries.c.endpoint_id == endpoint_id)
        .order_by(deliveries.c.id.desc())
        .limit(limit),
        Delivery,
    )


async def attempts_of(db: Database, delivery_ids: list[int]) -> dict[int, list[Attempt]]:
    found: dict[int, list[Attempt]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return found
    rows = await fetch_all_as(
        db,
        webhook_attempts.select()
        .where(webhook_attempts.c.delivery_id.in_(delivery_ids))
        .order_by(webhook_attempts.c.id),
        Attempt,
    )
    for attempt in rows:
        found[attempt.delivery_id].append(attempt)
    return found


async def send_again(db: Database, studio_id: int, delivery_id: int, now: datetime) -> bool:
    """The photographer's "Send again": the delivery is due now with its retries back, the
    same ``webhook-id`` (a receiver that has it already can tell). False if not theirs or
    already on its way."""
    async with write_transaction(db):
        row = await db.fetch_one(
            deliveries.update()
            .where(
                deliveries.c.id == delivery_id,
                deliveries.c.studio_id == studio_id,
                deliveries.c.status != "pending",
            )
            .values(status="pending", attempts=0, next_attempt_at=now, last_error="")
            .returning(deliveries.c.id)
        )
    return row is not None
