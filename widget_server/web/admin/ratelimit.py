"""Login attempts, rate-limited with the ``limits`` library (moving window).

Keyed by email and client address, so one attacker cannot lock a photographer out
from everywhere, nor try many passwords for one account. In memory by default (one
process); with MINIS_REDIS_URL the window is shared by every worker and host.
"""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter

from ...config import Settings
from ..rate_limits import storage_for

LOGIN_LIMIT = RateLimitItemPerMinute(10, 15)  # 10 attempts per 15 minutes


class LoginLimiter:
    def __init__(self, storage: Storage) -> None:
        self.limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimiter:
        return cls(storage_for(settings))

    async def attempt(self, email: str, address: str) -> bool:
        """Count one attempt; False when this email and address are over the limit."""
        return await self.limiter.hit(LOGIN_LIMIT, "admin-login", email, address)
