"""Login attempts, rate-limited with the ``limits`` library (moving window).

Two limits, both must allow an attempt: one per email and client address, so one
attacker cannot lock a photographer out from everywhere, nor try many passwords for one
account; and a looser one per address, so they cannot try one password on many accounts
either. In memory by default (one process); with MINIS_REDIS_URL both windows are shared
by every worker and host.
"""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter

from ...config import Settings
from ..rate_limits import storage_for

LOGIN_LIMIT = RateLimitItemPerMinute(10, 15)  # 10 attempts per 15 minutes per email and address
# 30 per 15 minutes from one address, whatever the emails: room for a studio's few people
# behind one office address to mistype, not for a sweep of accounts.
ADDRESS_LIMIT = RateLimitItemPerMinute(30, 15)


class LoginLimiter:
    def __init__(self, storage: Storage) -> None:
        self.limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimiter:
        return cls(storage_for(settings))

    async def attempt(self, email: str, address: str) -> bool:
        """Count one attempt; False when this address, or this email from it, is over its
        limit. Counted against both either way (an over-limit window counts nothing more)."""
        from_address = await self.limiter.hit(ADDRESS_LIMIT, "admin-login-address", address)
        for_email = await self.limiter.hit(LOGIN_LIMIT, "admin-login", email, address)
        return from_address and for_email
