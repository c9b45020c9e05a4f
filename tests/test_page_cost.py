"""What a page costs: queries that do not grow with the data, statements compiled once,
one pooled connection, the indexes that keep it so, compression."""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa
from databases import Database
from databases.backends.common.records import Record
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.queries import rows
from tests.support.sqlcount import counting
from tests.support.world import World
from widget_server.booking.slots import SessionDayPlan, create_session_day
from widget_server.config import Settings
from widget_server.db import backends
from widget_server.db.backends import SQLITE_POOL_SIZE, MinisDatabase
from widget_server.db.compiled import Prepared
from widget_server.db.connection import create_database
from widget_server.db.connection_scope import one_connection
from widget_server.db.tables import bookings, leads, slots

PAST_BOOKINGS = 300


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """What reading a page costs: without the availability cache, which would answer
    repeated mini session pages from memory (tests/test_availability_cache.py)."""
    return settings.with_(availability_cache_seconds=0)


def _add_days(db_url: str, world: World, start: date, days: int) -> list[int]:
    async def work(db: Database) -> list[int]:
        location = await db.fetch_val("SELECT id FROM locations ORDER BY id LIMIT 1")
        return [
            await create_session_day(
                db,
                mini_session_id=world.mini_ids["portraits"],
                location_id=location,
                plan=SessionDayPlan(
                    start + timedelta(days=n), time(8), time(18), 5, 0, 1, "America/New_York"
                ),
            )
            for n in range(days)
        ]

    return run_db(db_url, work)


def _book_past_slots(db_url: str, world: World, day_ids: list[int], now: datetime) -> None:
    """A booked client on each slot of these (past) days, as years of history would leave."""

    async def work(db: Database) -> None:
        found = await db.fetch_all(
            sa.select(slots.c.id).where(slots.c.session_day_id.in_(day_ids)).order_by(slots.c.id)
        )
        studio = await db.fetch_val(
            "SELECT studio_id FROM mini_sessions WHERE id = :m", {"m": world.mini_ids["portraits"]}
        )
        async with db.transaction():
            for n, row in enumerate(found[:PAST_BOOKINGS]):
                lead = await db.execute(
                    leads.insert().values(
                        studio_id=studio,
                        mini_session_id=world.mini_ids["portraits"],
                        name=f"Past {n}",
                        email=f"past{n}@example.com",
                        phone="+12125550143",
                        status="booked",
                        created_at=now,
                        updated_at=now,
                    )
                )
                await db.execute(
                    bookings.insert().values(
                        public_id=f"past{n:028d}",
                        reference=f"P{n:07d}",
                        lead_id=lead,
                        slot_id=row["id"],
                        status="booked",
                        created_at=now,
                        booked_at=now,
                    )
                )
                await db.execute(slots.update().where(slots.c.id == row["id"]).values(taken=1))

    run_db(db_url, work)


def _pages(client: TestClient, world: World) -> list[str]:
    slot = world.slots["portraits"][0]
    return ["/acme", "/acme/portraits", f"/acme/portraits/book?slot={slot}"]


def test_queries_per_page_do_not_grow_with_slots_or_history(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    pages = _pages(client, world)
    few = []
    for path in pages:
        with counting() as counts:
            assert client.get(path).status_code == 200
        few.append(counts.queries)
    _add_days(db_url, world, clock().date() + timedelta(days=5), 8)  # +960 upcoming slots
    past = _add_days(db_url, world, clock().date() - timedelta(days=30), 3)
    _book_past_slots(db_url, world, past, clock() - timedelta(days=40))
    many = []
    for path in pages:
        with counting() as counts:
            assert client.get(path).status_code == 200
        many.append(counts.queries)
    assert many == few
    assert max(few) <= 4


def test_each_statement_is_compiled_once(client: TestClient, world: World) -> None:
    pages = _pages(client, world)
    with counting() as first:
        for path in pages:
            assert client.get(path).status_code == 200
    with counting() as again:
        for _ in range(3):
            for path in pages:
                assert client.get(path).status_code == 200
    assert first.queries > 0
    assert again.queries == 3 * first.queries
    assert again.compilations == 0
    # A hold: the first compiles its statements, the next ones (other slots) none.
    slots_ = world.slots["portraits"]
    form = {"name": "Ada Lovelace", "phone": "+12125550143"}
    with counting() as hold:
        response = client.post(
            f"/acme/portraits/book?slot={slots_[1]}", data={**form, "email": "a1@example.com"}
        )
        assert response.status_code == 303
    with counting() as next_hold:
        response = client.post(
            f"/acme/portraits/book?slot={slots_[2]}", data={**form, "email": "a2@example.com"}
        )
        assert response.status_code == 303
    assert hold.queries == next_hold.queries == HOLD_STATEMENTS
    assert next_hold.compilations == 0


# A new hold on a slot with room, no questions, taxes or webhook endpoint: the mini session
# (with its studio), the slot (with its location and whether there are questions or taxes),
# the client's live hold; then, in one transaction, the claim (also the slot's lock: no
# separate lock, no sweep while there is room), the lead, the booking, the quote, the log
# entry and its webhook check.
HOLD_STATEMENTS = 9


def test_a_hold_that_finds_its_slot_full_sweeps_it_and_claims_again(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    """The claim comes first; only a full slot costs the lock, the sweep (the lapsed hold
    expired, its extras given back, its log entry, the waiting clients asked) and a
    second claim."""
    slot = world.slots["portraits"][1]
    form = {"name": "Ada Lovelace", "phone": "+12125550143"}
    url = f"/acme/portraits/book?slot={slot}"
    assert client.post(url, data={**form, "email": "first@example.com"}).status_code == 303
    clock.advance(minutes=16)  # the hold lapses, not yet swept: the slot is still full
    with counting() as again:
        assert client.post(url, data={**form, "email": "second@example.com"}).status_code == 303
    assert again.queries > HOLD_STATEMENTS + 2  # the failed claim, the lock, the sweep...
    found = rows(
        db_url,
        sa.select(bookings.c.status, leads.c.email)
        .join(leads, leads.c.id == bookings.c.lead_id)
        .where(bookings.c.slot_id == slot)
        .order_by(bookings.c.id),
    )
    assert [(r["status"], r["email"]) for r in found] == [
        ("expired", "first@example.com"),
        ("held", "second@example.com"),
    ]
    assert rows(db_url, sa.select(slots.c.taken).where(slots.c.id == slot))[0]["taken"] == 1


def _day_shown(page: str) -> tuple[int, int]:
    """(the selected day's "N times open", the open times the page lists)."""
    summary = re.search(r'is-selected[^>]*>.*?day-spots">(\d+) times? open', page, re.S)
    assert summary is not None
    return int(summary.group(1)), len(re.findall(r'class="slot" href="', page))


def test_the_day_picker_counts_what_the_times_show(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    """The summary (counted in the database) agrees with the day's slots, a hold that
    lapsed a moment ago counting as free in both."""
    slot = world.slots["portraits"][0]
    day = rows(db_url, sa.select(slots.c.session_day_id).where(slots.c.id == slot))[0]
    page_url = f"/acme/portraits?day={day['session_day_id']}"
    before = _day_shown(client.get(page_url).text)
    form = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+12125550143"}
    assert client.post(f"/acme/portraits/book?slot={slot}", data=form).status_code == 303
    page = client.get(page_url).text
    assert _day_shown(page) == (before[0] - 1, before[1] - 1)
    assert f'book?slot={slot}"' not in page
    clock.advance(minutes=16)  # the hold lapses, not yet swept
    page = client.get(page_url).text
    assert _day_shown(page) == before
    assert f'book?slot={slot}"' in page


def test_one_connection_per_request(client: TestClient, world: World, db_url: str) -> None:
    with counting() as counts:
        response = client.get("/acme/portraits")
    assert response.status_code == 200
    if db_url.startswith("sqlite"):
        assert counts.sqlite_connections == 1


def test_a_burst_stays_within_the_sqlite_pool(sqlite_template: object, tmp_path: object) -> None:
    """200 tasks at once, each holding its connection a while: never more than the pool's
    connections open, nor their threads."""
    url = f"sqlite:///{tmp_path}/burst.db"
    path = f"{tmp_path}/burst.db"

    shutil.copyfile(str(sqlite_template), path)

    async def burst() -> tuple[int, int, int]:
        db = create_database(url)
        assert isinstance(db, MinisDatabase) and db.sqlite_pool is not None
        await db.connect()
        threads_before = threading.active_count()
        most_threads = 0

        async def one() -> None:
            nonlocal most_threads
            async with one_connection(db):
                await db.fetch_val("SELECT count(*) FROM studios")
                await asyncio.sleep(0.01)
                most_threads = max(most_threads, threading.active_count() - threads_before)
                await db.fetch_val("SELECT 1")

        try:
            await asyncio.gather(*(one() for _ in range(200)))
            return db.sqlite_pool.opened, db.sqlite_pool.most_out, most_threads
        finally:
            await db.disconnect()

    opened, most_out, threads = asyncio.run(burst())
    assert most_out == SQLITE_POOL_SIZE  # the burst did fill the pool...
    assert opened <= SQLITE_POOL_SIZE  # ...and never opened more connections
    assert threads <= SQLITE_POOL_SIZE


def test_the_indexes_that_keep_pages_flat_exist(db_url: str) -> None:
    """Made by the migrations (db_url is migrated to head), on both databases."""

    async def indexes(db: Database) -> dict[str, str]:
        if db_url.startswith("sqlite"):
            rows = await db.fetch_all("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
            return {r["name"]: r["sql"] or "" for r in rows}
        rows = await db.fetch_all("SELECT indexname, indexdef FROM pg_indexes")
        return {r["indexname"]: r["indexdef"] for r in rows}

    found = run_db(db_url, indexes)
    live = found["ix_bookings_live_slot"]
    assert "slot_id" in live and "WHERE" in live.upper() and "held" in live
    assert "mini_session_id" in found["ix_session_days_mini_date"]
    assert "ix_slots_mini_start" in found
    by_email = found["ix_leads_mini_email"].lower()
    assert "mini_session_id" in by_email and re.search(r"lower\(\(?email", by_email)


def test_the_live_hold_lookup_starts_from_the_clients_leads(
    sqlite_template: object, tmp_path: object
) -> None:
    """A new hold's look for the client's live hold reads their leads by email, not every
    live hold (which grew with each hold of a drop). SQLite keeps no statistics, so its
    plan is the one the query's shape decides (PostgreSQL picks from its statistics)."""
    import sqlite3

    from widget_server.booking.bookings import LIVE_HOLD

    path = f"{tmp_path}/plan.db"
    shutil.copyfile(str(sqlite_template), path)

    async def compiled() -> tuple[str, list[object]]:
        db = create_database(f"sqlite:///{path}")
        assert isinstance(db, MinisDatabase)
        await db.connect()
        try:
            run = db.compiled.execution(
                LIVE_HOLD.bind(mini=1, email="a@example.com", now=datetime(2030, 1, 1, tzinfo=UTC))
            )
            assert run is not None
            return run.sql, run.args
        finally:
            await db.disconnect()

    sql, args = asyncio.run(compiled())
    with sqlite3.connect(path) as connection:
        plan = " | ".join(str(r[3]) for r in connection.execute("EXPLAIN QUERY PLAN " + sql, args))
    assert "ix_leads_mini_email" in plan and "ix_bookings_lead_id" in plan, plan


def test_pages_are_compressed(client: TestClient) -> None:
    response = client.get("/acme/portraits", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "Portraits" in response.text


def test_a_hold_is_one_call_into_the_sqlite_thread_per_write(
    client: TestClient, world: World, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite each write, BEGIN and COMMIT is one hand-over to the connection's thread
    (the cursor API made three), the hold's short reads (prepared SELECTs) run in the
    event loop's thread with none; and counting a new hold hands nothing to another thread
    (``limits``' memory storage sent each key's sweep to one)."""
    calls = {"sqlite": 0, "to_thread": 0, "inline": 0}
    loop_thread: list[int] = []
    into_thread = aiosqlite.Connection._execute
    to_thread = asyncio.to_thread
    fetch = backends._fetch

    async def counted(self: aiosqlite.Connection, fn: object, *a: object, **k: object) -> object:
        calls["sqlite"] += 1
        loop_thread[:] = [threading.get_ident()]
        return await into_thread(self, fn, *a, **k)

    def counted_fetch(*a: Any) -> Any:
        if loop_thread == [threading.get_ident()]:
            calls["inline"] += 1
        return fetch(*a)

    async def counted_to_thread(fn: object, *a: object, **k: object) -> object:
        calls["to_thread"] += 1
        return await to_thread(fn, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    monkeypatch.setattr(backends, "_fetch", counted_fetch)
    monkeypatch.setattr(asyncio, "to_thread", counted_to_thread)
    form = {"name": "Ada Lovelace", "phone": "+12125550143"}
    slots_ = world.slots["portraits"]
    for n, slot in enumerate(slots_[1:4]):
        calls.update(sqlite=0, to_thread=0, inline=0)
        with counting() as hold:
            response = client.post(
                f"/acme/portraits/book?slot={slot}", data={**form, "email": f"t{n}@example.com"}
            )
        assert response.status_code == 303
        assert hold.transactions == 1
        assert calls["to_thread"] == 0
        if db_url.startswith("sqlite"):  # (asyncpg talks to its server from the loop)
            # the mini session with its studio, the slot form, the live hold, the webhook
            # check: prepared SELECTs; the claim (UPDATE … RETURNING) and the INSERTs not
            assert calls["inline"] == 4
            # + BEGIN and COMMIT, and a newly opened connection's look at its journal mode
            assert calls["sqlite"] + calls["inline"] == hold.queries + 2 + hold.sqlite_opened


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_short_reads_run_in_the_event_loop_only_where_they_never_wait(
    tmp_path: object, journal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prepared SELECT runs in the event loop's thread on a WAL file: there, while another
    connection holds the write lock with a change not yet committed, it answers at once with
    the last commit. On a file in rollback-journal mode, where a read waits while a writer
    commits, it goes to the connection's thread like every other statement."""
    path = f"{tmp_path}/reads.db"
    with sqlite3.connect(path) as setup:
        setup.execute(f"PRAGMA journal_mode={journal}")
        setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        setup.execute("INSERT INTO notes VALUES (1, 'committed')")
    notes = sa.Table(
        "notes", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("text", sa.Text)
    )
    note = Prepared(sa.select(notes.c.text).where(notes.c.id == sa.bindparam("id")))
    handed_over: list[object] = []
    into_thread = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *a: object, **k: object) -> object:
        handed_over.append(fn)
        return await into_thread(self, fn, *a, **k)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)

    async def read_during_a_write() -> str:
        db = create_database(f"sqlite:///{path}")
        await db.connect()
        writer = sqlite3.connect(path, isolation_level=None)
        try:
            async with one_connection(db):
                await db.fetch_val("SELECT 1")  # the connection opened, in the thread
                writer.execute("BEGIN IMMEDIATE")
                writer.execute("UPDATE notes SET text = 'pending' WHERE id = 1")
                handed_over.clear()
                found = await db.fetch_val(note.bind(id=1))
                return str(found)
        finally:
            if writer.in_transaction:
                writer.execute("ROLLBACK")
            writer.close()
            await db.disconnect()

    assert asyncio.run(read_during_a_write()) == "committed"
    reads_handed_over = [fn for fn in handed_over if fn is backends._fetch]
    assert len(reads_handed_over) == (0 if journal == "wal" else 1)


def test_a_postgresql_connection_goes_back_to_the_pool_without_a_round_trip(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncpg's default sends a reset statement at every release (a round trip and work in
    the server for every request); the app sets no session state, so none is sent, and a
    transaction left open is still rolled back before the connection is reused."""
    if db_url.startswith("sqlite"):
        return  # SQLite's pool keeps its connections as they are (db/sqlite_pool.py)
    import asyncpg

    sent: list[str] = []
    execute = asyncpg.Connection.execute

    async def recorded(self: asyncpg.Connection, query: str, *args: Any, **kw: Any) -> Any:
        sent.append(query)
        return await execute(self, query, *args, **kw)

    monkeypatch.setattr(asyncpg.Connection, "execute", recorded)

    async def work() -> int:
        db = create_database(db_url)
        await db.connect()
        try:
            pool = db._backend._pool  # type: ignore[attr-defined]
            async with pool.acquire() as raw:
                await raw.fetchval("SELECT 1")
                sent.clear()
            assert sent == []  # released: nothing sent
            raw = await pool.acquire()
            await raw.execute("CREATE TEMP TABLE IF NOT EXISTS left_open (n int)")
            await raw.execute("BEGIN")
            await raw.execute("INSERT INTO left_open VALUES (1)")
            await pool.release(raw)  # with its transaction open
            async with pool.acquire() as again:
                return int(await again.fetchval("SELECT count(*) FROM left_open"))
        finally:
            await db.disconnect()

    assert asyncio.run(work()) == 0


def test_records_read_every_column_as_databases_own_record_does(
    client: TestClient, world: World, db_url: str
) -> None:
    """db/backends.FastRecord against ``databases``' Record.__getitem__, by name and by
    position, over every table's every column (JSON, UTC instants, dates, booleans)
    after a hold and a booking made these rows."""
    form = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+12125550143"}
    assert client.post(f"/acme/portraits/book?slot={world.slots['portraits'][1]}", data=form)
    from widget_server.db.tables import metadata

    async def compare(db: Database) -> int:
        read = 0
        for table in metadata.sorted_tables:
            for record in await db.fetch_all(sa.select(table).limit(5)):
                assert isinstance(record, backends.FastRecord)
                names = list(record._column_map)
                for key in [*names, *range(len(names))]:
                    assert record[key] == Record.__getitem__(record, key), (table.name, key)
                    read += 1
        return read

    assert run_db(db_url, compare) > 500
