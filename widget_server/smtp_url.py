"""``MINIS_SMTP_URL`` read into where and how to connect: the one parser, used by the
settings (to fail at start on a bad URL) and by mail/smtp.py (to connect).

``smtp://user:pass@host:587`` speaks plain SMTP and upgrades with STARTTLS when the
server offers it (``?starttls=require`` insists, ``?starttls=off`` never tries);
``smtps://host:465`` is TLS from the first byte. User and password are percent-decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


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
