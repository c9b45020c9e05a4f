"""Settings read from the environment, validated once at start.

Every problem names the variable at fault, so a bad deploy fails loudly at boot
instead of half-working.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

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
    "MINIS_REQUEST_BODY_TIMEOUT",
    "MINIS_TEST_POSTGRES_URL",
}

BACKGROUND_JOBS = ("in-process", "worker")
DEMO_SECRET_KEY = "minis-demo-secret-key-do-not-use-in-production"


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
    # Seconds a client has to send a request's whole body before getting a 408.
    request_body_timeout: float = 30.0

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


def _parse_seconds(name: str, value: str, *, most: float) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {value!r}") from None
    if not 0 < seconds <= most:
        raise ConfigError(f"{name} must be more than 0 and at most {most:g} seconds")
    return seconds


def load_settings(environ: Mapping[str, str] | None = None, *, demo: bool = False) -> Settings:
    """Build Settings from environment variables (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    unknown = sorted(k for k in env if k.startswith("MINIS_") and k not in KNOWN_VARIABLES)
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]} (known: {', '.join(sorted(KNOWN_VARIABLES))})"
        )

    demo = demo or _parse_bool("MINIS_DEMO", env.get("MINIS_DEMO", ""))
    database_url = _check_url(
        "MINIS_DATABASE_URL",
        env.get("MINIS_DATABASE_URL", Settings.database_url),
        ("sqlite", "postgresql", "postgres"),
    )
    secret_key = env.get("MINIS_SECRET_KEY", "")
    if not secret_key:
        if not demo:
            raise ConfigError("MINIS_SECRET_KEY is required outside demo mode")
        secret_key = DEMO_SECRET_KEY
    elif len(secret_key) < 16:
        raise ConfigError("MINIS_SECRET_KEY must be at least 16 characters")
    base_url = _check_url(
        "MINIS_BASE_URL", env.get("MINIS_BASE_URL", Settings.base_url), ("http", "https")
    ).rstrip("/")
    smtp_url = env.get("MINIS_SMTP_URL") or None
    if smtp_url:
        _check_url("MINIS_SMTP_URL", smtp_url, ("smtp", "smtps"))
        from .mail.smtp import SmtpUrlError, parse_smtp_url

        try:
            parse_smtp_url(smtp_url)
        except SmtpUrlError as exc:
            raise ConfigError(str(exc)) from exc
    redis_url = env.get("MINIS_REDIS_URL") or None
    if redis_url:
        _check_url("MINIS_REDIS_URL", redis_url, ("redis", "rediss"))
    # Where lapsed holds are swept and email is sent: in every web process (the default,
    # nothing else to run) or only in `minis worker` processes (scale-out).
    jobs = env.get("MINIS_BACKGROUND_JOBS", "in-process")
    if jobs not in BACKGROUND_JOBS:
        raise ConfigError(f"MINIS_BACKGROUND_JOBS must be one of {', '.join(BACKGROUND_JOBS)}")
    body_timeout = env.get("MINIS_REQUEST_BODY_TIMEOUT")
    request_body_timeout = (
        _parse_seconds("MINIS_REQUEST_BODY_TIMEOUT", body_timeout, most=3600)
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
        mail_from=env.get("MINIS_MAIL_FROM") or Settings.mail_from,
        redis_url=redis_url,
        stripe_secret_key=env.get("STRIPE_SECRET_KEY") or None,
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
        stripe_api_base=stripe_api_base,
        demo=demo,
        run_sweeper=jobs == "in-process",
        run_mailer=jobs == "in-process",
        request_body_timeout=request_body_timeout,
    )
