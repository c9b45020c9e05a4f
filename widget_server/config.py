"""Settings read from the environment, validated once at start.

Every problem names the variable at fault, so a bad deploy fails loudly at boot
instead of half-working.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.utils import getaddresses
from typing import Any
from urllib.parse import urlsplit

from .smtp_url import SmtpUrlError, parse_smtp_url

# Variables we read. Anything else spelled MINIS_* is almost certainly a typo.
KNOWN_VARIABLES = {
    "MINIS_DATABASE_URL",
    "MINIS_SECRET_KEY",
    "MINIS_BASE_URL",
    "MINIS_SMTP_URL",
    "MINIS_MAIL_FROM",
    "MINIS_REDIS_URL",
    "MINIS_DEMO",
    "MINIS_BACKGROUND_JOBS",
    "MINIS_HOLDS_PER_ADDRESS",
    "MINIS_HOLDS_PER_EMAIL",
    "MINIS_REQUEST_BODY_TIMEOUT",
    "MINIS_TEST_POSTGRES_URL",
    "MINIS_TRUSTED_PROXIES",
    "MINIS_HSTS_SECONDS",
    "MINIS_WEBHOOKS_ALLOW_PRIVATE",
    "MINIS_AVAILABILITY_CACHE_SECONDS",
    "MINIS_ACCESS_LOG",
}

BACKGROUND_JOBS = ("in-process", "worker")
ONE_YEAR_SECONDS = 365 * 24 * 3600
# Public (it is in this file): it signs the demo's links only. Outside the demo it is refused,
# as anyone holding it could forge a calendar feed's token and read a studio's clients.
DEMO_SECRET_KEY = "minis-demo-secret-key-do-not-use-in-production"
# A real key: token_urlsafe(32) gives 43 characters with ~30 different ones. The distinct
# count catches "aaaa…" and "passwordpassword…"; 8 leaves room for hex keys (32 characters
# of token_hex(16) have 14 different ones on average, and fewer than 8 almost never).
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_DISTINCT = 8
# The demo accepts a shorter key of one's own (only its test card can pay there).
MIN_DEMO_SECRET_KEY_LENGTH = 16
MAKE_A_KEY = 'make one with: python3 -c "import secrets; print(secrets.token_urlsafe(32))"'


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./minis.db"
    secret_key: str = DEMO_SECRET_KEY
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    mail_from: str = "Minis <bookings@localhost>"
    redis_url: str | None = None
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    # Demo mode enables the test-card payment method and the built-in secret key.
    demo: bool = False
    # Background loop that releases expired holds; `minis worker` runs it instead.
    run_sweeper: bool = True
    # Background loop that queues reminders and sends the outbox; `minis worker` runs it too.
    run_mailer: bool = True
    # New holds a client may start, per address and per email ("20/hour"; None: no limit).
    holds_per_address: str | None = "20/hour"
    holds_per_email: str | None = "8/hour"
    # Addresses and networks of the reverse proxies whose X-Forwarded-For/-Proto headers say
    # who the client is and whether it came over https. None by default: anyone can send
    # those headers, and believing them would let one address pose as many (login limits).
    trusted_proxies: tuple[str, ...] = ()
    # Strict-Transport-Security max-age on responses to https requests; 0 sends none.
    hsts_seconds: int = ONE_YEAR_SECONDS
    # Seconds a client has to send a request's whole body before getting a 408.
    request_body_timeout: float = 30.0
    # Outgoing webhooks may go to private, loopback and link-local addresses (an intranet
    # CRM, tests). Off: a photographer's endpoint URL can't reach the host's own network.
    webhooks_allow_private: bool = False
    # How long a process may reuse what a mini session's page read (web/availability_cache.py);
    # 0 reads it afresh for every request.
    availability_cache_seconds: float = 1.0
    # uvicorn's line per request. About 0.1 ms of CPU each (bench/README.md), as much as a
    # bare request: behind a proxy that logs them, a busy site may turn it off.
    access_log: bool = True

    def with_(self, **changes: Any) -> Settings:
        # Any, not object: replace() checks each change against its field's type, and
        # callers pass any of the fields.
        return replace(self, **changes)


def _check_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ConfigError(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}")
    return value


def _parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _rate(name: str, env: Mapping[str, str], default: str | None) -> str | None:
    """A rate limit such as ``20/hour`` (``limits`` syntax), or ``none`` for no limit."""
    value = env.get(name, default or "none").strip()
    if value.lower() == "none":
        return None
    from limits import parse

    try:
        parse(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a rate like 20/hour, or none, not {value!r}") from exc
    return value


def _parse_seconds(name: str, value: str) -> int:
    if not value.strip().isdigit():
        raise ConfigError(f"{name} must be a whole number of seconds (0 or more), not {value!r}")
    return int(value)


def _parse_proxies(value: str) -> tuple[str, ...]:
    """MINIS_TRUSTED_PROXIES: comma-separated addresses (``10.0.0.5``, ``::1``) or networks
    (``10.0.0.0/8``), normalised for uvicorn, which would quietly ignore a malformed one."""
    proxies = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            proxy = ipaddress.ip_network(item) if "/" in item else ipaddress.ip_address(item)
        except ValueError as exc:
            raise ConfigError(
                f"MINIS_TRUSTED_PROXIES: {item!r} is not an IP address or network ({exc}); "
                "list your reverse proxies' addresses, e.g. 127.0.0.1,10.0.0.0/8"
            ) from exc
        proxies.append(str(proxy))
    return tuple(proxies)


def check_secret_key(key: str) -> str:
    """``key`` if it may sign a real deployment's links and sessions; else ConfigError.

    Refused: the demo's key (public), and keys too short or too repetitive to be random.
    """
    if key == DEMO_SECRET_KEY:
        raise ConfigError(
            "MINIS_SECRET_KEY is the demo's built-in key, which is public: anyone could forge "
            f"calendar feed and booking links with it; {MAKE_A_KEY}"
        )
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        raise ConfigError(
            f"MINIS_SECRET_KEY is too weak: it needs at least {MIN_SECRET_KEY_LENGTH} random "
            f"characters (at least {MIN_SECRET_KEY_DISTINCT} different ones); {MAKE_A_KEY}"
        )
    return key


def check_mail_from(value: str) -> str:
    """MINIS_MAIL_FROM if it is one address (``Name <a@b.example>`` or ``a@b.example``) on a
    domain mail can come from; else ConfigError."""
    found = getaddresses([value])
    address = found[0][1] if len(found) == 1 else ""
    domain = address.rpartition("@")[2].lower()
    if "@" not in address or "." not in domain or domain.endswith(("localhost", ".local")):
        raise ConfigError(
            f"MINIS_MAIL_FROM must be one address on a real domain, like "
            f"'Bookings <bookings@book.example.com>', not {value!r}"
        )
    return value


def _parse_timeout(name: str, value: str, *, most: float) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if not 0 < seconds <= most:
        raise ConfigError(f"{name} must be more than 0 and at most {most:g} seconds")
    return seconds


# A longer cache would show another worker's bookings too late to be worth it.
MOST_AVAILABILITY_CACHE_SECONDS = 10.0


def _parse_cache_seconds(name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if not 0 <= seconds <= MOST_AVAILABILITY_CACHE_SECONDS:
        raise ConfigError(
            f"{name} must be from 0 (no cache) to {MOST_AVAILABILITY_CACHE_SECONDS:g} seconds"
        )
    return seconds


def load_settings(environ: Mapping[str, str] | None = None, *, demo: bool = False) -> Settings:
    """Build Settings from environment variables (``os.environ`` by default).

    ``demo`` is for ``minis demo`` (and the demo's app factory) only: it turns on the
    test-card payment method and allows the built-in secret key. Everything else runs for
    real, so it refuses ``MINIS_DEMO=1`` and weak or public keys.
    """
    env = os.environ if environ is None else environ
    unknown = sorted(k for k in env if k.startswith("MINIS_") and k not in KNOWN_VARIABLES)
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]} (known: {', '.join(sorted(KNOWN_VARIABLES))})"
        )

    if _parse_bool("MINIS_DEMO", env.get("MINIS_DEMO", "")) and not demo:
        raise ConfigError(
            "MINIS_DEMO is only for `minis demo` (test-card payments, a public key): unset it "
            f"and give MINIS_SECRET_KEY a key of your own; {MAKE_A_KEY}"
        )
    database_url = _check_url(
        "MINIS_DATABASE_URL",
        env.get("MINIS_DATABASE_URL", Settings.database_url),
        ("sqlite", "postgresql", "postgres"),
    )
    secret_key = env.get("MINIS_SECRET_KEY", "")
    if not secret_key:
        if not demo:
            raise ConfigError(f"MINIS_SECRET_KEY is required outside demo mode; {MAKE_A_KEY}")
        secret_key = DEMO_SECRET_KEY
    elif not demo:
        check_secret_key(secret_key)
    elif len(secret_key) < MIN_DEMO_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"MINIS_SECRET_KEY must be at least {MIN_DEMO_SECRET_KEY_LENGTH} characters"
        )
    base_url = _check_url(
        "MINIS_BASE_URL", env.get("MINIS_BASE_URL", Settings.base_url), ("http", "https")
    ).rstrip("/")
    smtp_url = env.get("MINIS_SMTP_URL") or None
    mail_from = env.get("MINIS_MAIL_FROM") or None
    if smtp_url:
        _check_url("MINIS_SMTP_URL", smtp_url, ("smtp", "smtps"))
        try:
            parse_smtp_url(smtp_url)
        except SmtpUrlError as exc:
            raise ConfigError(str(exc)) from exc
        if mail_from is None:
            # Mail from bookings@localhost is junked or refused: never send it.
            raise ConfigError(
                "MINIS_MAIL_FROM is required when MINIS_SMTP_URL is set: the address emails are "
                "sent from, on a domain you send mail for, e.g. "
                "MINIS_MAIL_FROM='Bookings <bookings@book.example.com>'"
            )
    if mail_from is not None:
        check_mail_from(mail_from)
    redis_url = env.get("MINIS_REDIS_URL") or None
    if redis_url:
        _check_url("MINIS_REDIS_URL", redis_url, ("redis", "rediss"))
    # Where lapsed holds are swept and email is sent: in every web process (the default,
    # nothing else to run) or only in `minis worker` processes (scale-out).
    jobs = env.get("MINIS_BACKGROUND_JOBS", "in-process")
    if jobs not in BACKGROUND_JOBS:
        raise ConfigError(f"MINIS_BACKGROUND_JOBS must be one of {', '.join(BACKGROUND_JOBS)}")
    holds_per_address = _rate("MINIS_HOLDS_PER_ADDRESS", env, Settings.holds_per_address)
    holds_per_email = _rate("MINIS_HOLDS_PER_EMAIL", env, Settings.holds_per_email)
    body_timeout = env.get("MINIS_REQUEST_BODY_TIMEOUT")
    request_body_timeout = (
        _parse_timeout("MINIS_REQUEST_BODY_TIMEOUT", body_timeout, most=3600)
        if body_timeout
        else Settings.request_body_timeout
    )
    stripe_api_base = env.get("STRIPE_API_BASE") or None
    if stripe_api_base:
        _check_url("STRIPE_API_BASE", stripe_api_base, ("http", "https"))
    return Settings(
        database_url=database_url,
        secret_key=secret_key,
        base_url=base_url,
        smtp_url=smtp_url,
        mail_from=mail_from or Settings.mail_from,
        redis_url=redis_url,
        stripe_secret_key=env.get("STRIPE_SECRET_KEY") or None,
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
        stripe_api_base=stripe_api_base,
        demo=demo,
        holds_per_address=holds_per_address,
        holds_per_email=holds_per_email,
        run_sweeper=jobs == "in-process",
        run_mailer=jobs == "in-process",
        trusted_proxies=_parse_proxies(env.get("MINIS_TRUSTED_PROXIES", "")),
        hsts_seconds=_parse_seconds(
            "MINIS_HSTS_SECONDS", env.get("MINIS_HSTS_SECONDS", str(ONE_YEAR_SECONDS))
        ),
        request_body_timeout=request_body_timeout,
        webhooks_allow_private=_parse_bool(
            "MINIS_WEBHOOKS_ALLOW_PRIVATE", env.get("MINIS_WEBHOOKS_ALLOW_PRIVATE", "")
        ),
        access_log=_parse_bool("MINIS_ACCESS_LOG", env.get("MINIS_ACCESS_LOG", "on")),
        availability_cache_seconds=_parse_cache_seconds(
            "MINIS_AVAILABILITY_CACHE_SECONDS",
            env.get("MINIS_AVAILABILITY_CACHE_SECONDS", str(Settings.availability_cache_seconds)),
        ),
    )
