"""The sender loop: claim due emails, render, send over SMTP, record the outcome.

Runs in every web process by default (app lifespan) and as ``minis worker``;
any number of them can run against one database, because each email is
leased to one sender at a time (db/outbox.py). Failures are retried with
exponential backoff; a permanent refusal, or too many attempts, marks the
email failed, where the photographer's dashboard lists it.

Delivery is at least once, and the one duplicate SMTP cannot rule out is kept
as rare and as contained as it allows: a sender leases ONE email at a time and
marks it sent the moment the server has accepted it (its reply to the data,
before the goodbye), so a sender that dies in between can make that one email,
and no other, go out again, with the same Message-ID (compose.message_id_for).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from databases import Database

from ..booking.clock import Clock
from ..booking.reminders import queue_due_reminders
from ..booking.tokens import BookingTokens
from ..config import Settings
from ..db.connection_scope import given_back
from ..db.outbox import OutboxEmail, claim_due, mark_failed_attempt, mark_sent
from ..smtp_url import parse_smtp_url
from .compose import build_message, message_id_for
from .ics import service_host
from .render import RenderError, render_email
from .smtp import SmtpTransport, is_permanent

logger = logging.getLogger("minis.mail")

POLL_SECONDS = 2.0


class Transport(Protocol):
    async def send(self, message: EmailMessage, accepted: Callable[[], Awaitable[None]]) -> None:
        """Deliver ``message``, awaiting ``accepted()`` as soon as the server has taken it
        (before anything else, such as saying goodbye), and letting its errors through."""


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def transport_for(settings: Settings) -> Transport | None:
    """SMTP when MINIS_SMTP_URL is set; None keeps every email pending in the outbox."""
    return SmtpTransport(parse_smtp_url(settings.smtp_url)) if settings.smtp_url else None


async def message_for(
    db: Database, email: OutboxEmail, settings: Settings, tokens: BookingTokens, clock: Clock
) -> EmailMessage:
    rendered = await render_email(db, email, base_url=settings.base_url, tokens=tokens, now=clock())
    return build_message(
        rendered,
        mail_from=settings.mail_from,
        message_id=message_id_for(
            email.id, int(email.created_at.timestamp()), service_host(settings.base_url)
        ),
        date=clock(),
    )


async def deliver_due(
    db: Database,
    settings: Settings,
    transport: Transport,
    clock: Clock,
    stop: asyncio.Event | None = None,
) -> DeliveryReport:
    """Send every email that is due now, one lease at a time.

    When ``stop`` is set it finishes the email in hand (sent and marked, so a
    shutdown never leaves a sent email looking unsent) and returns; nothing else
    is leased, so another sender can take the rest at once.
    """
    tokens = BookingTokens(settings.secret_key)
    report = DeliveryReport()
    while stop is None or not stop.is_set():
        email = await claim_due(db, clock())
        if email is None:
            break
        await _deliver(db, email, settings, tokens, transport, clock, report)
    return report


async def _deliver(
    db: Database,
    email: OutboxEmail,
    settings: Settings,
    tokens: BookingTokens,
    transport: Transport,
    clock: Clock,
    report: DeliveryReport,
) -> None:
    """Send one leased email and record the outcome."""
    accepted = marked = False

    async def mark() -> None:
        nonlocal accepted, marked
        accepted = True  # from here on an error is about the mark, not the delivery
        await mark_sent(db, email, clock())
        marked = True

    try:
        message = await message_for(db, email, settings, tokens, clock)
        await transport.send(message, mark)
    except RenderError as exc:
        await mark_failed_attempt(db, email, str(exc), clock(), permanent=True)
        report.failed += 1
    except Exception as exc:  # SMTP refusals, network errors, timeouts
        if marked:  # only the goodbye failed: the email is delivered and recorded
            logger.info("email %s sent; the server's goodbye failed: %s", email.id, exc)
            report.sent += 1
            return
        if accepted:
            # The server has it but it isn't marked (the database went away): the lease
            # runs out and it is sent again, the one duplicate SMTP can't rule out.
            raise
        error = f"{exc.__class__.__name__}: {exc}"
        status = await mark_failed_attempt(db, email, error, clock(), permanent=is_permanent(exc))
        logger.warning("email %s (%s) not sent, %s: %s", email.id, email.kind, status, error)
        if status == "failed":
            report.failed += 1
        else:
            report.retrying += 1
    else:
        if not accepted:  # a transport that never said: it returned, so it was taken
            await mark_sent(db, email, clock())
        report.sent += 1


async def mail_tick(
    db: Database,
    settings: Settings,
    transport: Transport | None,
    clock: Clock,
    stop: asyncio.Event | None = None,
) -> DeliveryReport:
    """One round: queue the reminders that are due, then send what can be sent."""
    await queue_due_reminders(db, clock())
    if transport is None:
        return DeliveryReport()
    return await deliver_due(db, settings, transport, clock, stop)


async def send_mail_forever(
    db: Database,
    settings: Settings,
    clock: Clock,
    *,
    transport: Transport | None = None,
    interval: float = POLL_SECONDS,
    stop: asyncio.Event | None = None,
) -> None:
    """The loop behind the app's lifespan task and ``minis worker``; never raises.

    Runs until ``stop`` is set (then returns after the email in hand), or
    forever without one.
    """
    transport = transport or transport_for(settings)
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            # The loop's task lives as long as the process: no connection may outlive a round.
            async with given_back(db):
                report = await mail_tick(db, settings, transport, clock, stop)
            if report.sent or report.failed:
                logger.info("emails sent: %d, failed: %d", report.sent, report.failed)
        except Exception:  # the database may be briefly unreachable; try again next round
            logger.exception("mail round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
