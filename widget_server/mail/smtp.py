"""SMTP delivery through aiosmtplib, configured by ``MINIS_SMTP_URL``.

``smtp://user:pass@host:587`` speaks plain SMTP and upgrades with STARTTLS when
the server offers it (``?starttls=require`` insists, ``?starttls=off`` never
tries); ``smtps://host:465`` is TLS from the first byte. User and password are
percent-decoded, so any character can appear in them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from email.message import EmailMessage

import aiosmtplib

from ..smtp_url import SmtpConfig

TIMEOUT_SECONDS = 60


class SmtpTransport:
    """Sends one message per connection: simple, and a broken connection affects one email."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, message: EmailMessage, accepted: Callable[[], Awaitable[None]]) -> None:
        """Send ``message``; ``accepted()`` runs as soon as the server replied that it has
        it, before QUIT, so a slow goodbye never widens the window in which a sender
        that dies would send it again."""
        c = self.config
        smtp = aiosmtplib.SMTP(
            hostname=c.hostname,
            port=c.port,
            username=c.username,
            password=c.password,
            use_tls=c.use_tls,
            start_tls=False if c.use_tls else c.start_tls,
            timeout=TIMEOUT_SECONDS,
        )
        # As aiosmtplib.send does: connect (EHLO, STARTTLS, login), send, QUIT on the way out.
        async with smtp:
            await smtp.send_message(message)
            await accepted()


def is_permanent(error: Exception) -> bool:
    """A failure no retry can fix: every recipient refused, or the message refused, with 5xx.

    Connection problems, timeouts, 4xx replies and authentication failures (a
    configuration the operator can fix) are retried with backoff instead.
    """
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(r.code >= 500 for r in error.recipients)
    if isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return error.code >= 500
    return False
