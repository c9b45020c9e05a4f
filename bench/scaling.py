"""Benchmark 9: CPU per page against the data it doesn't show, SQLite and PostgreSQL.

Three databases per engine, each one mini session ``demo/fall-minis`` of 5-minute slots:

- 10 upcoming slots (2 days x 5): the baseline;
- 5,000 upcoming slots: the same 2 days, then 8 more days of 624 slots (each page shows
  what it showed before, the first day's 5 times; the day picker lists 10 days, not 2);
- 10 upcoming slots plus 10,000 past bookings (20 past days x 500 one-minute slots,
  each booked).

For each, the studio page, the mini page and the details form are requested in-process
(bench/profile.py: one ASGI call each, no HTTP client) and the process's CPU time per
request is set against the baseline. On PostgreSQL the server's own CPU per request is
read from /proc for every backend of the scratch database (same machine only).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa
from databases import Database

from tests.support.databases import run_db
from widget_server.booking.slots import SessionDayPlan, create_session_day
from widget_server.db.migrate import migrate
from widget_server.db.tables import locations, mini_sessions, slots

from . import fixtures
from .profile import Reply, call, cpu_ms_per_request, running
from .report import heading, note, ratio, table

# (label, extra upcoming days of 624 slots after the first two of 5, past days of 500)
SIZES = [("10 slots", 0, 0), ("5,000 slots", 8, 0), ("10 slots + 10,000 past", 0, 20)]
LATER_SLOTS_PER_DAY = 624
PAST_SLOTS_PER_DAY = 500


async def _past_bookings(db: Database, past_days: int, now: datetime) -> None:
    """``past_days`` x 500 booked one-minute slots, ending a week ago (years of history)."""
    mini = await db.fetch_val(sa.select(mini_sessions.c.id))
    studio = await db.fetch_val(sa.select(mini_sessions.c.studio_id))
    location = await db.fetch_val(sa.select(locations.c.id))
    first = now.date() - timedelta(days=7 + past_days)
    days = []
    for n in range(past_days):
        plan = SessionDayPlan(first + timedelta(days=n), time(8), time(16, 20), 1, 0, 1, "UTC")
        days.append(
            await create_session_day(db, mini_session_id=mini, location_id=location, plan=plan)
        )
    at = sa.bindparam("at", now - timedelta(days=7), type_=slots.c.starts_at.type)
    day_ids = ", ".join(str(d) for d in days)  # integers we just made: safe as text
    async with db.transaction():
        await db.execute(
            sa.text(
                "INSERT INTO leads (studio_id, mini_session_id, name, email, phone, status, "
                "utm, created_at, updated_at) SELECT :studio, :mini, 'past' || id, "
                "'past' || id || '@example.com', '+12125550143', 'booked', '{}', :at, :at "
                "FROM slots WHERE session_day_id IN (SELECT id FROM session_days "
                "WHERE mini_session_id = :mini AND date < :today)"
            ).bindparams(at, studio=studio, mini=mini, today=now.date())
        )
        await db.execute(
            sa.text(
                "INSERT INTO bookings (public_id, reference, lead_id, slot_id, status, "
                "created_at, booked_at, return_url) SELECT 'past' || s.id, 'P' || s.id, l.id, "
                "s.id, 'booked', :at, :at, '' FROM slots s JOIN leads l "
                f"ON l.name = 'past' || s.id WHERE s.session_day_id IN ({day_ids})"
            ).bindparams(at)
        )
        await db.execute(slots.update().where(slots.c.session_day_id.in_(days)).values(taken=1))


async def _later_days(db: Database, days: int, now: datetime) -> None:
    """``days`` more days of 624 one-minute slots after the first two."""
    mini = await db.fetch_val(sa.select(mini_sessions.c.id))
    location = await db.fetch_val(sa.select(locations.c.id))
    for n in range(days):
        plan = SessionDayPlan(
            now.date() + timedelta(days=5 + n), time(8), time(18, 24), 1, 0, 1, "America/New_York"
        )
        await create_session_day(db, mini_session_id=mini, location_id=location, plan=plan)


def _seed(url: str, later_days: int, past_days: int) -> None:
    now = datetime.now(UTC)
    migrate(url)

    async def work(db: Database) -> None:
        await fixtures.seed_sized(db, 2, 5, now)
        if later_days:
            await _later_days(db, later_days, now)
        if past_days:
            await _past_bookings(db, past_days, now)

    run_db(url, work)


def _postgres_cpu(database: str) -> Callable[[], float]:
    """Seconds of CPU of every backend serving ``database``, from /proc.

    A PostgreSQL backend's process title reads ``postgres: <user> <database> ...``; the
    sum counts backends still alive, so it is read around a run on the same connections.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    marker = f" {database} ".encode()

    def read() -> float:
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes()
                if not title.startswith(b"postgres:") or marker not in title:
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    return read


async def _measure(url: str, repeats: int, server: Callable[[], float] | None) -> list[tuple]:
    slot = await _first_slot(url)
    paths = [
        ("studio", "/demo"),
        ("mini", "/demo/fall-minis"),
        ("details form", f"/demo/fall-minis/book?slot={slot}"),
    ]
    found = []
    async with running(url) as app:
        for name, path in paths:

            async def request(p: str = path) -> Reply:
                return await call(app, "GET", p)

            found.append((name, *await cpu_ms_per_request(request, repeats, server)))
    return found


async def _first_slot(url: str) -> int:
    from widget_server.db.connection import create_database

    db = create_database(url)
    await db.connect()
    try:
        return int(
            await db.fetch_val(
                sa.select(slots.c.id)
                .where(slots.c.starts_at > datetime.now(UTC) + timedelta(hours=6))
                .order_by(slots.c.starts_at)
                .limit(1)
            )
        )
    finally:
        await db.disconnect()


def run(workdir: Path, database: str = "both", repeats: int = 100) -> None:
    heading("9. CPU per page against data it doesn't show (in-process)")
    rows = []
    if database in ("sqlite", "both"):
        base: dict[str, float] = {}
        for label, later, past in SIZES:
            url = f"sqlite:///{workdir / f'scaling-{later}-{past}.db'}"
            _seed(url, later, past)
            for name, cpu, _ in asyncio.run(_measure(url, repeats, None)):
                base.setdefault(name, cpu)
                rows.append([f"SQLite, {label}", name, f"{cpu:.2f}", ratio(cpu, base[name]), ""])
    if database in ("postgres", "both"):
        admin = fixtures.postgres_admin_url()
        if admin is None:
            note("PostgreSQL not reachable: skipped")
        else:
            base = {}
            pg_base: dict[str, float] = {}
            for label, later, past in SIZES:
                with fixtures.scratch_postgres(admin) as url:
                    _seed(url, later, past)
                    server = _postgres_cpu(url.rsplit("/", 1)[1])
                    for name, cpu, pg in asyncio.run(_measure(url, repeats, server)):
                        base.setdefault(name, cpu)
                        pg_ms = pg or 0.0
                        pg_base.setdefault(name, pg_ms)
                        rows.append(
                            [
                                f"PostgreSQL, {label}",
                                name,
                                f"{cpu:.2f}",
                                ratio(cpu, base[name]),
                                f"{pg_ms:.2f} ({ratio(pg_ms, pg_base[name])})",
                            ]
                        )
    table(["database, data", "page", "CPU ms/req", "vs 10 slots", "PostgreSQL server ms/req"], rows)
    note(f"CPU: time.process_time() of this process over {repeats} in-process requests;")
    note("PostgreSQL server: utime+stime of the scratch database's backends, /proc.")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="minis-bench-") as tmp:
        run(Path(tmp))
