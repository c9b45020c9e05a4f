"""A very short per-process cache of what a mini session's page shows, for the stampede
at a popular opening: thousands of clients loading one page within seconds.

What is cached is what the page read: the studio and the mini session (its texts per
language), keyed by their slugs, and the availability (the mini session's day summary and
the shown day's times), keyed by the mini session and the day asked for. A page answered
from the cache takes no database connection at all (db/kept_connection.py), so under a
stampede it never queues behind the forms for one. The page is still rendered for each
request (drop state and early access by the clock, embed, language). An entry is used
while all of these hold:

- it is younger than ``seconds`` (by the app's clock, which decides what is past, and by
  the process's monotonic clock);
- no write transaction of this process has committed since its reading began
  (``note_commit``, wired to db/transactions.on_commit): a client who takes a time here
  and comes back to the page never sees it open, and a photographer's change shows at once;
- no request of this process has found one of the times it shows already full
  (``saw_full``): another worker's booking, learnt from the details form.

It also keeps, as fresh as the rest, which times a details form found full
(``known_full``): in a storm of clients for a few times, a POST for one of them is refused
without reading the studio, the mini session and the slot again (web/public.py). A time
freed in another worker (or a hold lapsing) is refused that way for ``seconds`` at worst,
as the page shows it full for that long.

Another worker's bookings show within ``seconds`` at worst. The claim itself never relies
on this: the details form and the hold read the slot afresh, under the database's guard.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from ..booking.catalog import MiniSession, Studio
from ..booking.offers import MiniPage

# Enough for every mini session and day a studio's clients are looking at; a flood of
# made-up day ids only pushes out the oldest entries.
MOST_ENTRIES = 512

K = TypeVar("K")
V = TypeVar("V")

# The mini session, the day asked for (None: the page's choice), its notice in hours.
Key = tuple[int, int | None, int]
# The studio's slug and the mini session's.
Slugs = tuple[str, str]


@dataclass(frozen=True)
class Subject:
    """The studio and mini session a page read, and when (as PageRead); the mini session's
    texts per language, as pages in each language read them."""

    studio: Studio
    minis: dict[str, MiniSession]
    now: datetime
    read_at: float
    generation: int  # the cache's ``changes`` before the reading began


@dataclass(frozen=True)
class FullSlot:
    """A time a request of this process found full, of which mini session, and when (as
    PageRead)."""

    mini_id: int
    now: datetime
    read_at: float
    generation: int  # the cache's ``changes`` before the reading began


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
        self.generation = 0  # commits: what page entries are read against
        # Commits that may have freed a spot or changed a studio or mini session (all but
        # claims): what subjects and times found full are read against.
        self.changes = 0
        self._entries: OrderedDict[Key, PageRead] = OrderedDict()
        self._subjects: OrderedDict[Slugs, Subject] = OrderedDict()
        self._full: OrderedDict[int, FullSlot] = OrderedDict()

    def get(self, key: Key, now: datetime) -> PageRead | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if not self._fresh(found.now, found.read_at, found.generation, now):
            del self._entries[key]
            return None
        return found

    def studio_of(self, slugs: Slugs, now: datetime) -> Studio | None:
        found = self._subject(slugs, now)
        return found.studio if found else None

    def mini_of(self, slugs: Slugs, language: str, now: datetime) -> MiniSession | None:
        found = self._subject(slugs, now)
        return found.minis.get(language) if found else None

    def put_subject(self, slugs: Slugs, language: str, mini: MiniSession, read: Subject) -> None:
        """Keep what a page read (``read.minis`` may be empty), adding this language's
        texts to an entry of the same reading generation."""
        if self.seconds <= 0 or read.generation != self.changes:
            return
        kept = self._subjects.get(slugs)
        if kept is None or kept.generation != read.generation:
            kept = read
        kept.minis[language] = mini
        _keep(self._subjects, slugs, kept)

    def _subject(self, slugs: Slugs, now: datetime) -> Subject | None:
        found = self._subjects.get(slugs)
        if found is None:
            return None
        if not self._fresh(found.now, found.read_at, found.generation, now, self.changes):
            del self._subjects[slugs]
            return None
        return found

    def _fresh(
        self,
        read_now: datetime,
        read_at: float,
        generation: int,
        now: datetime,
        current: int | None = None,
    ) -> bool:
        """Younger than ``seconds`` by both clocks, and read since the last commit that
        concerns it (``current``: ``generation`` unless given)."""
        age = (now - read_now).total_seconds()
        return (
            generation == (self.generation if current is None else current)
            and 0 <= age < self.seconds
            and self.monotonic() - read_at < self.seconds
        )

    def put(self, key: Key, read: PageRead) -> None:
        """Keep ``read``, unless a commit happened while it was being read (it may have
        missed it) or caching is off."""
        if self.seconds <= 0 or read.generation != self.generation:
            return
        _keep(self._entries, key, read)

    def note_commit(self, claims_only: bool = False) -> None:
        """A write transaction of this process committed: every page's times may be out of
        date; and, unless it only claimed spots (a new hold or booking), the studios, mini
        sessions and the times found full too."""
        self.generation += 1
        self._entries.clear()
        if not claims_only:
            self.changes += 1
            self._subjects.clear()
            self._full.clear()

    def saw_full(self, slot_id: int, full: FullSlot | None = None) -> None:
        """A request found this slot unbookable: forget the entries that show it open; and
        when it found it full (``full``), keep that for ``known_full``."""
        for key in [k for k, read in self._entries.items() if read.shows_open(slot_id)]:
            del self._entries[key]
        if full is not None and self.seconds > 0 and full.generation == self.changes:
            _keep(self._full, slot_id, full)

    def known_full(self, slot_id: int, mini_id: int, now: datetime) -> bool:
        """Whether a request found this time of this mini session full, fresh as any entry."""
        found = self._full.get(slot_id)
        if found is None:
            return False
        if not self._fresh(found.now, found.read_at, found.generation, now, self.changes):
            del self._full[slot_id]
            return False
        return found.mini_id == mini_id


def _keep(entries: OrderedDict[K, V], key: K, value: V) -> None:
    entries[key] = value
    entries.move_to_end(key)
    while len(entries) > MOST_ENTRIES:
        entries.popitem(last=False)
