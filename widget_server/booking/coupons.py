"""Coupon codes: which code applies, and claiming a use of it with the booking.

A code belongs to one studio. ``find_coupon`` says why a code can't be used (unknown,
not yet, expired, used up, not for this session, already used by this email) so the
client reads the reason. ``claim_coupon`` takes one use with a conditional
``UPDATE coupons SET used = used + 1 WHERE used < max_uses`` inside the booking's
transaction (the row stays locked until it commits, so the per-email count that follows
can't race either); the CHECK ``used <= max_uses`` backs it. A use is given back when
the hold lapses or the booking is cancelled (``release_coupon``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from databases import Database

from ..db.limits import storable
from ..db.rows import fetch_one_as
from ..db.tables import coupon_minis, coupon_redemptions, coupons
from ..i18n import lazy_gettext
from .catalog import Row
from .pricing import CouponTerms

MAX_CODE = 40

REASONS = {
    "unknown": lazy_gettext("We don't know that code. Check the spelling?"),
    "not_yet": lazy_gettext("That code isn't valid yet."),
    "expired": lazy_gettext("That code has expired."),
    "used_up": lazy_gettext("That code has been used up."),
    "not_here": lazy_gettext("That code isn't valid for this session."),
    "email_limit": lazy_gettext("You've already used that code."),
}


class CouponRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return str(REASONS[self.reason])


@dataclass(frozen=True)
class Coupon(Row):
    id: int
    studio_id: int
    code: str
    kind: str
    value: int
    base_only: bool
    all_minis: bool
    starts_at: datetime | None
    ends_at: datetime | None
    max_uses: int | None
    used: int
    per_email_limit: int | None
    archived: bool

    @property
    def terms(self) -> CouponTerms:
        return CouponTerms(
            code=self.code, kind=self.kind, value=self.value, base_only=self.base_only
        )


def normalise_code(raw: str) -> str:
    return raw.strip().upper()


async def find_coupon(
    db: Database,
    studio_id: int,
    mini_session_id: int,
    raw_code: str,
    email: str,
    now: datetime,
    *,
    booking_id: int = 0,
) -> Coupon:
    """The studio's coupon ``raw_code`` if this client may use it now, else CouponRefused.

    A code of another studio is "unknown" here: a studio's codes are its own. Uses held by
    ``booking_id`` itself don't count (the client applying the same code again).
    """
    code = normalise_code(raw_code)
    if not code or len(code) > MAX_CODE or not storable(code):
        raise CouponRefused("unknown")
    coupon = await fetch_one_as(
        db,
        sa.select(coupons).where(
            coupons.c.studio_id == studio_id,
            coupons.c.code == code,
            coupons.c.archived == sa.false(),
        ),
        Coupon,
    )
    if coupon is None:
        raise CouponRefused("unknown")
    if coupon.starts_at is not None and now < coupon.starts_at:
        raise CouponRefused("not_yet")
    if coupon.ends_at is not None and now >= coupon.ends_at:
        raise CouponRefused("expired")
    if not coupon.all_minis:
        listed = await db.fetch_val(
            sa.select(sa.func.count()).where(
                coupon_minis.c.coupon_id == coupon.id,
                coupon_minis.c.mini_session_id == mini_session_id,
            )
        )
        if not listed:
            raise CouponRefused("not_here")
    own = await db.fetch_val(
        sa.select(sa.func.count()).where(
            coupon_redemptions.c.coupon_id == coupon.id,
            coupon_redemptions.c.booking_id == booking_id,
        )
    )
    if coupon.max_uses is not None and coupon.used - own >= coupon.max_uses:
        raise CouponRefused("used_up")
    if coupon.per_email_limit is not None:
        await _check_email_limit(db, coupon, email, booking_id)
    return coupon


async def _check_email_limit(db: Database, coupon: Coupon, email: str, booking_id: int) -> None:
    uses = await db.fetch_val(
        sa.select(sa.func.count()).where(
            coupon_redemptions.c.coupon_id == coupon.id,
            coupon_redemptions.c.email == email.lower(),
            coupon_redemptions.c.booking_id != booking_id,
        )
    )
    if coupon.per_email_limit is not None and uses >= coupon.per_email_limit:
        raise CouponRefused("email_limit")


async def claim_coupon(db: Database, coupon: Coupon, booking_id: int, email: str) -> None:
    """Take one use of ``coupon`` for the booking, or raise CouponRefused (the transaction
    then rolls back). The booking must hold no use (``release_coupon`` first)."""
    claimed = await db.fetch_one(
        coupons.update()
        .where(
            coupons.c.id == coupon.id,
            coupons.c.archived == sa.false(),
            sa.or_(coupons.c.max_uses.is_(None), coupons.c.used < coupons.c.max_uses),
        )
        .values(used=coupons.c.used + 1)
        .returning(coupons.c.id)
    )
    if claimed is None:
        raise CouponRefused("used_up")
    # The coupon's row is locked now: counting this email's uses can't race another claim.
    await _check_email_limit(db, coupon, email, booking_id)
    await db.execute(
        coupon_redemptions.insert().values(
            coupon_id=coupon.id, booking_id=booking_id, email=email.lower()
        )
    )


async def release_coupon(db: Database, booking_id: int) -> None:
    """Give back the booking's use of a coupon, if it holds one."""
    row = await db.fetch_one(
        coupon_redemptions.delete()
        .where(coupon_redemptions.c.booking_id == booking_id)
        .returning(coupon_redemptions.c.coupon_id)
    )
    if row is not None:
        await db.execute(
            coupons.update()
            .where(coupons.c.id == row["coupon_id"], coupons.c.used > 0)
            .values(used=coupons.c.used - 1)
        )


async def offers_coupons(db: Database, studio_id: int, mini_session_id: int, now: datetime) -> bool:
    """Whether any of the studio's codes could apply to this mini session now (the coupon
    field is shown only then, so sessions without promotions stay as simple as before)."""
    listed = sa.select(coupon_minis.c.coupon_id).where(
        coupon_minis.c.mini_session_id == mini_session_id
    )
    found = await db.fetch_val(
        sa.select(coupons.c.id)
        .where(
            coupons.c.studio_id == studio_id,
            coupons.c.archived == sa.false(),
            sa.or_(coupons.c.all_minis == sa.true(), coupons.c.id.in_(listed)),
            sa.or_(coupons.c.ends_at.is_(None), coupons.c.ends_at > now),
        )
        .limit(1)
    )
    return found is not None
