"""A very short per-process cache of what a mini session's page shows, for the stampede
at a popular opening: thousands of clients loading one page within seconds.

What is cached is the availability the page read (the mini session's day summary and the
shown day's times), keyed by the mini session and the day asked for. The studio and the
mini session themselves are read for every request (who may frame the page, whether it
is still published, when it opens), and the page is rendered for each (drop state, early
access, embed, language). An entry is used while all of these hold:

- it is younger than ``seconds`` (by the app's clock, which decides what is past, and by
  the process's monotonic clock);
- no write transaction of this process has committed since its reading began
  (``note_commit``, wired to db/transactions.on_commit): a client who takes a time here
  and comes back to the page never sees it open, and a photographer's change shows at once;
- no request of this process has found one of the times it shows already full
  (``saw_full``): another worker's booking, learnt from the details form.

Another worker's bookings show within ``seconds`` at worst. The claim itself never relies
on this: the details form and the hold read the slot afresh, under the database's guard.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..booking.offers import MiniPage

# Enough for every mini session and day a studio's clients are looking at; a flood of
# made-up day ids only pushes out the oldest entries.
MOST_ENTRIES = 512

# The mini session, the day asked for (None: the page's choice), its notice in hours.
Key = tuple[int, int | None, int]


@dataclass(frozen=True)
class PageRead:
    """What a mini session's page read from the database, and when."""

    page: MiniPage
    now: datetime  # the app's clock when read
    read_at: float  # the monotonic clock when read
    generation: int  # commits seen by this process before the reading began

    def shows_open(self, slot_id: int) -> bool:
        selected = self.page.selected
        return selected is not None and any(s.id == slot_id and s.bookable for s in selected.slots)


class AvailabilityCache:
    """``read = cache.get(key, now)``; on a miss, ``started = cache.generation``, read, then
    ``cache.put(key, PageRead(..., generation=started))``."""

    def __init__(self, seconds: float, *, monotonic: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.monotonic = monotonic
        self.generation = 0
        self._entries: OrderedDict[Key, PageRead] = OrderedDict()

    def get(self, key: Key, now: datetime) -> PageRead | None:
        found = self._entries.get(key)
        if found is None:
            return None
        age = (now - found.now).total_seconds()
        fresh = (
            found.generation == self.generation
            and 0 <= age < self.seconds
            and self.monotonic() - found.read_at < self.seconds
        )
        if not fresh:
            del self._entries[key]
            return None
        return found

    def put(self, key: Key, read: PageRead) -> None:
        """Keep ``read``, unless a commit happened while it was being read (it may have
        missed it) or caching is off."""
        if self.seconds <= 0 or read.generation != self.generation:
            return
        self._entries[key] = read
        self._entries.move_to_end(key)
        while len(self._entries) > MOST_ENTRIES:
            self._entries.popitem(last=False)

    def note_commit(self) -> None:
        """A write transaction of this process committed: every entry may be out of date."""
        self.generation += 1
        self._entries.clear()

    def saw_full(self, slot_id: int) -> None:
        """A request found this slot unbookable: forget the entries that show it open."""
        for key in [k for k, read in self._entries.items() if read.shows_open(slot_id)]:
            del self._entries[key]
