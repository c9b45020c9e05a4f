"""The mini session page's very short availability cache: a time taken in this process is
never shown open afterwards, another worker's booking shows once the entry expires (or
once a client here finds the time full), and nothing read across a commit is kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.sqlcount import counting
from tests.support.texts import translate_mini_title
from tests.support.world import World
from widget_server.app import create_app
from widget_server.booking.offers import MiniOffer, MiniPage
from widget_server.config import Settings
from widget_server.db.transactions import on_commit, write_transaction
from widget_server.web.availability_cache import (
    MOST_ENTRIES,
    AvailabilityCache,
    FullSlot,
    PageRead,
    Subject,
)

MINI = "card-only"  # one client per slot
PAGE = f"/acme/{MINI}"


def _open(page: str, slot_id: int) -> bool:
    """Whether the page offers this time (a link to book it)."""
    return f"/book?slot={slot_id}" in page


def _hold(client: TestClient, slot_id: int, email: str) -> int:
    form = {"name": "Ada Lovelace", "email": email, "phone": "+12125550143"}
    return client.post(f"{PAGE}/book?slot={slot_id}", data=form).status_code


# The longest window allowed: "within the window" must hold however slowly a loaded
# machine runs the test (the process's own clock expires entries too); the window's end
# comes from the app's clock, advanced by the test.
WINDOW = 10


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(availability_cache_seconds=WINDOW)


@pytest.fixture
def other_worker(settings: Settings, clock: FakeClock, world: World) -> Iterator[TestClient]:
    """A second app on the same database: another worker process, with its own cache."""
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as other:
        yield other


def test_a_repeated_page_is_read_once_and_a_time_taken_here_is_never_shown_open(
    client: TestClient, world: World
) -> None:
    first = world.slots[MINI][0]
    with counting() as cold:
        assert _open(client.get(PAGE).text, first)
    with counting() as warm:
        assert _open(client.get(PAGE).text, first)
    # Answered from the cache, the page takes no connection: under a stampede it doesn't
    # queue behind the forms for one (db/kept_connection.py).
    # the studio with the mini session, the day summary (which says whether anyone waits),
    # the times of the day shown
    assert cold.queries == 3 and cold.pooled == 1
    assert warm.queries == 0 and warm.pooled == 0
    # The client takes it and comes back to the page: the hold's commit cleared the cache.
    assert _hold(client, first, "ada@example.com") == 303
    assert not _open(client.get(PAGE).text, first)
    assert not _open(client.get(f"/embed/acme/{MINI}").text, first)


def test_the_cached_page_keeps_each_language_and_a_change_shows_at_once(
    client: TestClient, world: World, db_url: str
) -> None:
    """The mini session's texts are kept per language, each read in its own."""
    mini_id = world.mini_ids[MINI]

    run_db(db_url, lambda db: translate_mini_title(db, mini_id, "de", "Nur mit Karte"))
    english = client.get(PAGE).text
    with counting() as warm:
        assert "Nur mit Karte" in client.get(f"{PAGE}?lang=de").text
        assert "Nur mit Karte" not in client.get(PAGE).text
        assert "Nur mit Karte" in client.get(f"{PAGE}?lang=de").text
    assert warm.queries > 0  # German's texts were read once...
    with counting() as warmer:
        assert "Nur mit Karte" in client.get(f"{PAGE}?lang=de").text
        assert client.get(PAGE).text.count("<h1") == english.count("<h1")
    assert warmer.queries == 0  # ...and both languages come from the cache since


def test_another_workers_booking_shows_when_the_entry_expires(
    client: TestClient, other_worker: TestClient, world: World, clock: FakeClock
) -> None:
    first = world.slots[MINI][0]
    assert _open(client.get(PAGE).text, first)
    assert _hold(other_worker, first, "bea@example.com") == 303
    # Within the window this worker may still list it (its details form reads afresh) ...
    assert _open(client.get(PAGE).text, first)
    assert client.get(f"{PAGE}/book?slot={first}").status_code == 409
    # ... but finding it full there forgets the entry that showed it.
    assert not _open(client.get(PAGE).text, first)

    second = world.slots[MINI][1]
    assert _open(client.get(PAGE).text, second)
    assert _hold(other_worker, second, "cy@example.com") == 303
    assert _open(client.get(PAGE).text, second)
    clock.advance(seconds=WINDOW)  # the entry's window is over
    assert not _open(client.get(PAGE).text, second)


def test_a_claim_refused_here_forgets_the_entry_that_showed_the_time(
    client: TestClient, other_worker: TestClient, world: World
) -> None:
    first = world.slots[MINI][0]
    assert _open(client.get(PAGE).text, first)
    assert _hold(other_worker, first, "bea@example.com") == 303
    assert _hold(client, first, "dee@example.com") == 409  # the database's guard
    assert not _open(client.get(PAGE).text, first)


def test_a_time_found_full_is_refused_quickly_but_never_to_its_holder(
    client: TestClient, other_worker: TestClient, world: World, clock: FakeClock
) -> None:
    """In a storm for one time, after a POST here found it full, the next POSTs for it are
    refused reading only the client's own live hold, new holds here notwithstanding (they
    only claim); the client who holds it may still post again (the full path moves
    nothing); a commit here that may free a time, or the window's end, ends it."""
    first, second = world.slots[MINI][:2]

    def post(slot: int, email: str) -> tuple[int, int]:
        """(status, statements run)."""
        with counting() as counts:
            status = _hold(client, slot, email)
        return status, counts.queries

    assert _hold(other_worker, first, "bea@example.com") == 303  # another worker's hold
    status, read_in_full = post(first, "cy@example.com")  # found full, read in full
    assert status == 409 and read_in_full > 1
    with counting() as quick:
        response = client.post(
            f"{PAGE}/book?slot={first}",
            data={"name": "", "email": "Dee@Example.com", "phone": "not a phone"},
        )
    assert response.status_code == 409
    assert "Someone else just booked this time" in response.text
    assert quick.queries == 1  # the live hold of dee@example.com: none
    # Hostile bodies for a time known full: the quick path steps aside, never a 500.
    for body in (b"email=%ff%fe&name=x", b"email=\xff\xfe", b"email=a@b.c&" * 200, b"%%%"):
        hostile = client.post(
            f"{PAGE}/book?slot={first}",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert hostile.status_code in (400, 409, 413, 422), (body[:20], hostile.status_code)
    # An address the full path must normalise first is read and checked in full.
    assert post(first, "ëve@example.com") == (409, read_in_full)
    # A new hold here only claims: what was found full stays so.
    assert post(second, "fay@example.com")[0] == 303
    assert post(first, "gus@example.com") == (409, 1)
    # The holder, in another case, posting for their own time again: not refused; and
    # moving a hold frees a time: the next POST reads in full again.
    assert _hold(client, first, "BEA@example.com") == 303
    assert post(first, "hal@example.com") == (409, read_in_full)
    assert post(first, "ivy@example.com") == (409, 1)
    # The window's end (a lapse or another worker's cancellation would show by then).
    clock.advance(seconds=WINDOW)
    assert post(first, "jay@example.com") == (409, read_in_full)


def test_the_cache_can_be_turned_off(settings: Settings, clock: FakeClock, world: World) -> None:
    app = create_app(settings.with_(availability_cache_seconds=0), clock=clock)
    with TestClient(app) as client, counting() as counts:
        client.get(PAGE)
        once = counts.queries
        client.get(PAGE)
        assert counts.queries == 2 * once > 0


def _read(cache: AvailabilityCache, now: datetime, generation: int | None = None) -> PageRead:
    page = MiniPage(MiniOffer(mini=None), None)  # type: ignore[arg-type]
    return PageRead(
        page,
        now=now,
        read_at=cache.monotonic(),
        generation=cache.generation if generation is None else generation,
    )


def test_entries_expire_by_either_clock_and_are_not_kept_across_a_commit() -> None:
    ticks = [100.0]
    cache = AvailabilityCache(1.0, monotonic=lambda: ticks[0])
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    key = (1, None, 2)
    cache.put(key, _read(cache, now))
    assert cache.get(key, now + timedelta(seconds=0.9)) is not None
    ticks[0] += 1.0  # the process's clock: a second later
    assert cache.get(key, now) is None

    cache.put(key, _read(cache, now))
    assert cache.get(key, now + timedelta(seconds=1)) is None  # the app's clock moved on
    cache.put(key, _read(cache, now))
    assert cache.get(key, now - timedelta(seconds=1)) is None  # or back

    started = cache.generation
    cache.note_commit()  # while the page was being read
    cache.put(key, _read(cache, now, started))
    assert cache.get(key, now) is None
    cache.put(key, _read(cache, now))
    cache.note_commit()
    assert cache.get(key, now) is None
    cache.put(key, _read(cache, now))
    cache.note_commit(claims_only=True)  # a new hold here: the times it read are out
    assert cache.get(key, now) is None

    for day in range(MOST_ENTRIES + 10):
        cache.put((1, day, 2), _read(cache, now))
    assert cache.get((1, 0, 2), now) is None  # the oldest went first
    assert cache.get((1, MOST_ENTRIES + 9, 2), now) is not None


def test_a_studio_and_mini_session_read_are_kept_alike() -> None:
    """What the page read of the studio and the mini session follows the same rules: both
    clocks, and nothing kept across a commit (the photographer unpublishing, renaming)."""
    ticks = [100.0]
    cache = AvailabilityCache(1.0, monotonic=lambda: ticks[0])
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    slugs = ("acme", "card-only")
    studio, mini = object(), object()

    def read(generation: int | None = None) -> Subject:
        started = cache.changes if generation is None else generation
        return Subject(studio, {}, now=now, read_at=ticks[0], generation=started)  # type: ignore[arg-type]

    cache.put_subject(slugs, "en", mini, read())  # type: ignore[arg-type]
    cache.put_subject(slugs, "de", mini, read())  # type: ignore[arg-type]
    assert cache.studio_of(slugs, now) is studio
    assert cache.mini_of(slugs, "de", now) is mini and cache.mini_of(slugs, "en", now) is mini
    assert cache.mini_of(slugs, "fr", now) is None  # French not read yet
    assert cache.studio_of(slugs, now + timedelta(seconds=1)) is None  # the app's clock

    cache.put_subject(slugs, "en", mini, read())  # type: ignore[arg-type]
    ticks[0] += 1.0
    assert cache.studio_of(slugs, now) is None  # the process's clock

    started = cache.changes
    cache.note_commit()  # while the page was being read
    cache.put_subject(slugs, "en", mini, read(started))  # type: ignore[arg-type]
    assert cache.studio_of(slugs, now) is None
    cache.put_subject(slugs, "en", mini, read())  # type: ignore[arg-type]
    cache.note_commit(claims_only=True)  # a new hold changes no studio or mini session
    assert cache.studio_of(slugs, now) is studio
    cache.note_commit()
    assert cache.studio_of(slugs, now) is None


def test_a_time_found_full_is_kept_alike_and_through_claims() -> None:
    ticks = [100.0]
    cache = AvailabilityCache(1.0, monotonic=lambda: ticks[0])
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)

    def seen(mini: int = 3, changes: int | None = None) -> FullSlot:
        started = cache.changes if changes is None else changes
        return FullSlot(mini, now=now, read_at=ticks[0], generation=started)

    cache.saw_full(18, seen())
    assert cache.known_full(18, 3, now)
    assert not cache.known_full(18, 4, now)  # another mini session's time 18: no
    assert not cache.known_full(19, 3, now)
    assert not cache.known_full(18, 3, now + timedelta(seconds=1))  # the app's clock
    cache.saw_full(18, seen())
    cache.note_commit(claims_only=True)  # a claim never frees a time
    assert cache.known_full(18, 3, now)
    cache.note_commit()  # a cancellation, a move, a change of capacity may
    assert not cache.known_full(18, 3, now)
    started = cache.changes
    cache.note_commit()  # while the form was being read
    cache.saw_full(18, seen(changes=started))
    assert not cache.known_full(18, 3, now)
    cache.saw_full(18, seen())
    ticks[0] += 1.0
    assert not cache.known_full(18, 3, now)  # the process's clock


def test_a_transaction_only_claims_when_all_of_it_does(db_url: str) -> None:
    heard: list[bool] = []

    async def work(db: Database) -> None:
        on_commit(db, heard.append)
        async with write_transaction(db, claims_only=True):
            await db.execute("UPDATE studios SET name = name")
        # nested: a savepoint that may free
        async with write_transaction(db, claims_only=True), write_transaction(db):
            await db.execute("UPDATE studios SET name = name")
        async with write_transaction(db), write_transaction(db, claims_only=True):
            await db.execute("UPDATE studios SET name = name")

    run_db(db_url, work)
    assert heard == [True, False, False]
