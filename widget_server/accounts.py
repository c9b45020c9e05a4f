"""Studios and their admin users: creation and password hashing (argon2)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from babel.numbers import get_currency_name
from databases import Database

from .booking.slugs import is_valid_studio_slug
from .db.tables import studios, users

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_studio_fields(slug: str, timezone: str, currency: str) -> None:
    """Raise ValueError naming the first bad field."""
    if not is_valid_studio_slug(slug):
        raise ValueError(
            f"studio slug {slug!r}: lowercase letters, digits and dashes, not reserved"
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc
    if len(currency) != 3 or get_currency_name(currency, locale="en") == currency:
        raise ValueError(f"unknown currency {currency!r}")


async def create_studio(
    db: Database,
    *,
    slug: str,
    name: str,
    notify_email: str,
    timezone: str,
    currency: str,
    now: datetime,
    brand_color: str = "#3b5bdb",
    offline_instructions: str = "",
) -> int:
    check_studio_fields(slug, timezone, currency)
    return await db.execute(
        studios.insert().values(
            slug=slug,
            name=name,
            notify_email=notify_email,
            timezone=timezone,
            currency=currency.upper(),
            brand_color=brand_color,
            allowed_origins="",
            offline_instructions=offline_instructions,
            created_at=now,
        )
    )


async def create_user(
    db: Database, *, studio_id: int, email: str, password: str, now: datetime
) -> int:
    if len(password) < 8:
        raise ValueError("password must be at least 8 characters")
    return await db.execute(
        users.insert().values(
            studio_id=studio_id,
            email=email.strip().lower(),
            password_hash=hash_password(password),
            created_at=now,
        )
    )
