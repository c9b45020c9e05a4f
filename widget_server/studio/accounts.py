"""Studios and their admin users: creation and password hashing (argon2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from babel.numbers import get_currency_name
from databases import Database

from ..booking.slugs import is_valid_studio_slug
from ..db.limits import storable
from ..db.rows import fetch_one_as
from ..db.tables import studios, users
from ..payments.registry import METHOD_KEYS

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
    payment_methods: str | None = None,
) -> int:
    """A new studio; it takes every payment method unless told otherwise (its mini
    sessions then decide), which the photographer narrows in the settings."""
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
            payment_methods=payment_methods or " ".join(METHOD_KEYS),
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


# Verified against when the email is unknown, so both answers take an argon2 verify's time
# and the response time does not tell which emails have accounts. Made on first use, not
# at import: an argon2 hash costs every process (worker, CLI command) a fifth of a second.
@cache
def _dummy_hash() -> str:
    return _hasher.hash("minis-no-such-user-dummy-password")


MAX_EMAIL = 320
MAX_PASSWORD = 1024


@dataclass(frozen=True)
class AdminUser:
    id: int
    email: str
    studio_id: int


class _UserRow(NamedTuple):
    id: int
    email: str
    studio_id: int
    password_hash: str


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError, VerificationError):
        return False


async def authenticate(db: Database, email: str, password: str) -> AdminUser | None:
    """The user with this email and password, or None; argon2 runs off the event loop."""
    email = email.strip().lower()
    if not email or not password or len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
        return None
    # An email no database can hold (a NUL: PostgreSQL can't even compare it) is nobody's:
    # refused like an unknown one, after the same dummy hash check.
    row = (
        await fetch_one_as(db, users.select().where(users.c.email == email), _UserRow)
        if storable(email)
        else None
    )
    ok = await anyio.to_thread.run_sync(
        _verify, row.password_hash if row else _dummy_hash(), password
    )
    if row is None or not ok:
        return None
    return AdminUser(id=row.id, email=row.email, studio_id=row.studio_id)
