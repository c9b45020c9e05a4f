"""Rate limits with the ``limits`` library (moving windows): where they are counted, and
the limit on new holds that keeps one script from booking out a mini session.

Counted in memory by default (one process); with MINIS_REDIS_URL every worker and host
shares one count. A real client starts a hold or two; the defaults (20 an hour from one
address, 8 an hour for one email, MINIS_HOLDS_PER_ADDRESS and MINIS_HOLDS_PER_EMAIL)
leave families and shared offices room while a script gets a 429 after a handful.
"""

from __future__ import annotations

import bisect
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import ConfigurationError
from limits.storage import storage_from_string

from ..config import ConfigError, Settings

# How often the in-memory counts drop their lapsed entries (a count itself always reads
# the time; only memory waits for the sweep).
SWEEP_SECONDS = 1.0


class InlineMemoryStorage(MemoryStorage):
    """``limits``' async memory storage, its sweep of lapsed entries done in the event loop
    at most once a second. Its own sweep runs after every hit and hands each key's
    bisect to a thread (``asyncio.to_thread``): a hand-over per client counted, on
    every new hold; under a burst of 1,000 clients that grew with the square of them.
    Started inline, not as a task of its own."""

    def __init__(self) -> None:
        super().__init__()
        self._swept = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:  # replaces its scheduling
        # ``limits`` starts the sweep as a task after every hit (a task created, scheduled
        # and run per new hold); it is a clock check most of the time, so it runs inline.
        await self._MemoryStorage__expire_events()

    async def _MemoryStorage__expire_events(self) -> None:  # replaces the private sweep
        now = time.time()
        if now - self._swept < SWEEP_SECONDS:
            return
        self._swept = now
        for key in list(self.events):
            events = self.events[key]
            # Newest first: the first entry already lapsed, and all after it, go.
            cutoff = bisect.bisect_left(events, -now, key=lambda event: -event.expiry)
            if cutoff:
                del events[cutoff:]
            else:
                self.events.pop(key, None)
                self.locks.pop(key, None)
        for key in [k for k, at in self.expirations.items() if at <= now]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)
            self.locks.pop(key, None)


def storage_for(settings: Settings) -> Storage:
    """Memory, or the Redis that MINIS_REDIS_URL names (shared by every worker)."""
    if not settings.redis_url:
        return InlineMemoryStorage()
    uri = f"async+{settings.redis_url}"
    try:
        storage = storage_from_string(uri)
    except ConfigurationError as exc:  # e.g. the Redis client library is not installed
        raise ConfigError(
            f"MINIS_REDIS_URL: {exc} (install Minis with the extra: pip install 'minis[redis]')"
        ) from exc
    assert isinstance(storage, Storage)
    return storage


@dataclass(frozen=True)
class Refusal:
    """Over a limit: wait ``retry_after`` seconds."""

    retry_after: int


class HoldLimiter:
    """``await HoldLimiter.from_settings(s).attempt(address, email)`` → None, or a Refusal."""

    def __init__(
        self, storage: Storage, per_address: RateLimitItem | None, per_email: RateLimitItem | None
    ) -> None:
        self.limiter = MovingWindowRateLimiter(storage)
        self.per_address = per_address
        self.per_email = per_email

    @classmethod
    def from_settings(cls, settings: Settings) -> HoldLimiter:
        return cls(
            storage_for(settings),
            parse(settings.holds_per_address) if settings.holds_per_address else None,
            parse(settings.holds_per_email) if settings.holds_per_email else None,
        )

    async def attempt(self, address: str, email: str) -> Refusal | None:
        """Count one new hold for this address and email; a Refusal when either is over."""
        checks = [
            (item, key)
            for item, key in ((self.per_address, address), (self.per_email, email.lower()))
            if item is not None
        ]
        for item, key in checks:
            if not await self.limiter.test(item, "hold", key):
                return await self._refusal(item, key)
        for item, key in checks:
            await self.limiter.hit(item, "hold", key)
        return None

    async def _refusal(self, item: RateLimitItem, key: str) -> Refusal:
        stats = await self.limiter.get_window_stats(item, "hold", key)
        return Refusal(retry_after=max(1, math.ceil(stats.reset_time - time.time())))
