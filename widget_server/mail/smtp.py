"""SMTP delivery through aiosmtplib, configured by ``MINIS_SMTP_URL``.

``smtp://user:pass@host:587`` speaks plain SMTP and upgrades with STARTTLS when
the server offers it (``?starttls=require`` insists, ``?starttls=off`` never
tries); ``smtps://host:465`` is TLS from the first byte. User and password are
percent-decoded, so any character can appear in them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

TIMEOUT_SECONDS = 60


class SmtpUrlError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None  # None: when offered


def parse_smtp_url(url: str) -> SmtpConfig:
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise SmtpUrlError("MINIS_SMTP_URL must look like smtp://user:pass@host:port")
    implicit_tls = parts.scheme == "smtps"
    mode = parse_qs(parts.query).get("starttls", ["auto"])[0]
    if mode not in {"auto", "require", "off"}:
        raise SmtpUrlError("MINIS_SMTP_URL: starttls must be auto, require or off")
    try:
        port = parts.port or (465 if implicit_tls else 587)
    except ValueError as exc:
        raise SmtpUrlError("MINIS_SMTP_URL has an invalid port") from exc
    return SmtpConfig(
        hostname=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=implicit_tls,
        start_tls=None if implicit_tls or mode == "auto" else mode == "require",
    )


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
