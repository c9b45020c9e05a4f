"""Views of a mini session's pages, counted without cookies or anything about the person:
per mini session, day, channel (hosted page or embed), utm_source and stage.

The mini session page is the hottest page there is, so a view costs no database write:
each process counts in memory and ``flush`` adds the counts to ``page_views`` in one
transaction, from a background loop every few seconds and once more at shutdown.

    counter = ViewCounter()
    counter.count(mini_id=3, day=date(2026, 12, 5), channel="embed", source="ig", stage="view")
    await counter.flush(db)  # page_views (3, 2026-12-05, embed, ig, view) += 1
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from databases import Database
from sqlalchemy.dialects import postgresql, sqlite

from ..db.connection_scope import given_back
from ..db.rows import fetch_all_as
from ..db.tables import page_views
from ..db.transactions import write_transaction

logger = logging.getLogger("minis")

# The lead's utm record also notes the channel the client booked through, under this key.
VIA = "via"
STAGES = ("view", "slot")  # the dates and times were shown; a time was chosen (details form)
CHANNELS = ("hosted", "embed")
DIRECT = "direct"  # no utm_source
OTHER = "other"  # a source we don't keep as typed (odd characters), or too many kinds
# Sources are whatever links say: keep a tidy, bounded set of them.
SOURCE = re.compile(r"^[a-z0-9][a-z0-9._ -]{0,63}$")
MAX_KEYS = 5000  # distinct counts held between flushes; beyond it, sources become OTHER
FLUSH_SECONDS = 10.0


def source_of(utm_source: str | None) -> str:
    """The source a view is counted under: the link's utm_source, tidied, or "direct"."""
    value = " ".join((utm_source or "").split()).lower()[:64]
    if not value:
        return DIRECT
    return value if SOURCE.match(value) else OTHER


class ViewKey(NamedTuple):
    mini_session_id: int
    day: date
    channel: str
    source: str
    stage: str


class ViewCounter:
    """Counts held in memory until ``flush``; one per process (app.state.views)."""

    def __init__(self) -> None:
        self._counts: Counter[ViewKey] = Counter()

    def count(self, *, mini_id: int, day: date, channel: str, source: str, stage: str) -> None:
        key = ViewKey(mini_id, day, channel, source, stage)
        if key not in self._counts and len(self._counts) >= MAX_KEYS:
            key = key._replace(source=OTHER)
        self._counts[key] += 1

    @property
    def pending(self) -> int:
        return sum(self._counts.values())

    async def flush(self, db: Database) -> int:
        """Add the counts so far to the database; returns how many views were written.
        A failed write keeps them for the next flush (nothing counted is lost)."""
        taken, self._counts = self._counts, Counter()
        if not taken:
            return 0
        try:
            await add_counts(db, taken)
        except BaseException:
            self._counts.update(taken)
            raise
        return sum(taken.values())


async def add_counts(db: Database, counts: Counter[ViewKey]) -> None:
    """``page_views.count += n`` for each key, inserting the rows that don't exist yet."""
    insert = postgresql.insert if db.url.dialect == "postgresql" else sqlite.insert
    keys = list(page_views.primary_key.columns)
    async with write_transaction(db):
        for key, n in sorted(counts.items()):
            statement = insert(page_views).values(**key._asdict(), count=n)
            await db.execute(
                statement.on_conflict_do_update(
                    index_elements=keys, set_={"count": page_views.c.count + n}
                )
            )


async def flush_views_forever(
    db: Database, counter: ViewCounter, interval: float = FLUSH_SECONDS
) -> None:
    """Flush every ``interval`` seconds until cancelled (the lifespan flushes once more)."""
    while True:
        await asyncio.sleep(interval)
        try:
            async with given_back(db):
                await counter.flush(db)
        except Exception:  # kept in memory: the next flush tries again
            logger.warning("page view counts not saved yet (%d views)", counter.pending)


async def flush_at_exit(db: Database, counter: ViewCounter, seconds: float) -> None:
    """The last counts of a stopping process, within ``seconds`` (a database that doesn't
    answer loses at most these few seconds of counts, never the shutdown)."""
    if not counter.pending:
        return
    try:
        async with asyncio.timeout(seconds):
            async with given_back(db):
                await counter.flush(db)
    except Exception:
        logger.warning("page view counts not saved at shutdown (%d views)", counter.pending)


class _StageCount(NamedTuple):
    channel: str
    source: str
    stage: str
    views: int


async def view_counts(
    db: Database, mini_ids: list[int], first_day: date | None = None
) -> list[tuple[str, str, str, int]]:
    """[(channel, source, stage, views)] summed over days (from ``first_day`` when given)
    for these mini sessions."""
    if not mini_ids:
        return []
    rows = await fetch_all_as(
        db,
        sa.select(
            page_views.c.channel,
            page_views.c.source,
            page_views.c.stage,
            sa.func.sum(page_views.c.count).label("views"),
        )
        .where(
            page_views.c.mini_session_id.in_(mini_ids),
            page_views.c.day >= first_day if first_day is not None else sa.true(),
        )
        .group_by(page_views.c.channel, page_views.c.source, page_views.c.stage),
        _StageCount,
    )
    return [(r.channel, r.source, r.stage, int(r.views)) for r in rows]
