"""The webhook sender: leases one due delivery at a time, signs it, POSTs it, records the
attempt. Runs in every web process (``MINIS_BACKGROUND_JOBS=in-process``) or in
``minis worker``; any number may run at once (db/webhook_outbox.claim_due).

A delivery succeeds on any 2xx within TIMEOUT seconds. Anything else (another status, a
redirect, a timeout, a refused connection or address) is a failed attempt, retried with
backoff; the same ``webhook-id`` goes with every attempt so receivers can drop repeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime

import httpx2
from databases import Database

from ..booking.clock import Clock
from ..db.connection_scope import given_back
from ..db.webhook_outbox import Delivery, Target, claim_due, mark_delivered, mark_failed_attempt
from .addresses import AddressRefused, resolve
from .signing import signed_headers

logger = logging.getLogger("minis")

TIMEOUT = 10.0
POLL_SECONDS = 2.0
USER_AGENT = "Minis-Webhooks/1"


async def post(
    client: httpx2.AsyncClient,
    target: Target,
    delivery: Delivery,
    now: datetime,
    *,
    allow_private: bool,
) -> int:
    """POST the delivery to its endpoint; the status code (raises on no answer)."""
    destination = await resolve(target.url, allow_private=allow_private)
    body = delivery.payload.encode()
    address = destination.address
    literal = f"[{address}]" if ":" in address else address
    url = f"{destination.scheme}://{literal}:{destination.port}{destination.target}"
    default_port = 443 if destination.scheme == "https" else 80
    host = (
        destination.host
        if destination.port == default_port
        else (f"{destination.host}:{destination.port}")
    )
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": host,
        **signed_headers(target.secret, delivery.msg_id, int(now.timestamp()), body),
    }
    extensions = {"sni_hostname": destination.host} if destination.scheme == "https" else {}
    response = await client.post(
        url, content=body, headers=headers, extensions=extensions, follow_redirects=False
    )
    return response.status_code


async def send_one(
    db: Database,
    client: httpx2.AsyncClient,
    delivery: Delivery,
    target: Target,
    clock: Clock,
    *,
    allow_private: bool,
) -> bool:
    started = time.monotonic()
    status: int | None = None
    error = ""
    try:
        status = await post(client, target, delivery, clock(), allow_private=allow_private)
    except AddressRefused as exc:
        error = str(exc)
    except httpx2.TimeoutException:
        error = "no answer in time"
    except httpx2.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
    ms = int((time.monotonic() - started) * 1000)
    if status is not None and 200 <= status < 300:
        await mark_delivered(db, delivery, status, ms, clock())
        return True
    if status is not None:
        error = f"answered {status}"
    paused = await mark_failed_attempt(db, delivery, status, error, ms, clock())
    if paused:
        logger.warning("webhook endpoint %s paused after repeated failures", delivery.endpoint_id)
    return False


async def deliver_due(
    db: Database,
    clock: Clock,
    *,
    allow_private: bool,
    stop: asyncio.Event | None = None,
    most: int = 200,
    request_seconds: float = TIMEOUT,
) -> tuple[int, int]:
    """Send what is due now, one lease at a time; (delivered, failed)."""
    delivered = failed = 0
    limits = httpx2.Limits(max_keepalive_connections=0)
    async with httpx2.AsyncClient(
        timeout=request_seconds, limits=limits, trust_env=False
    ) as client:
        for _ in range(most):
            if stop is not None and stop.is_set():
                break
            claimed = await claim_due(db, clock())
            if claimed is None:
                break
            delivery, target = claimed
            ok = await send_one(db, client, delivery, target, clock, allow_private=allow_private)
            delivered += ok
            failed += not ok
    return delivered, failed


async def send_webhooks_forever(
    db: Database,
    clock: Clock,
    *,
    allow_private: bool,
    interval: float = POLL_SECONDS,
    stop: asyncio.Event | None = None,
) -> None:
    """The loop behind the app's lifespan task and ``minis worker``; never raises."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            async with given_back(db):
                delivered, failed = await deliver_due(
                    db, clock, allow_private=allow_private, stop=stop
                )
            if delivered or failed:
                logger.info("webhooks delivered: %d, failed: %d", delivered, failed)
        except Exception:  # the database may be briefly unreachable; try again next round
            logger.exception("webhook round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
