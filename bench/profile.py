"""Benchmark 8: CPU per page in-process, against /healthz, and where that CPU goes.

The app runs in this process and each request is one ASGI call (no HTTP client or
socket in the figures): ``time.process_time()`` around REPEATS calls of a path is the
whole process's CPU (the SQLite threads included), divided by the calls. Each page is
then profiled (pyinstrument, a sampling profiler) and the functions with the most
self time are listed, grouped by the library they belong to.

``python -m bench.profile [--database sqlite|postgres|both] [--repeats N]`` runs it on
its own; ``--sizes`` adds the scaling table (10 → 5,000 upcoming slots, and 10,000
past bookings) with CPU per page for each size, and on PostgreSQL the server's own CPU
per page (read from /proc for the backend pids of the bench's connections).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from databases import Database
from starlette.applications import Starlette

from tests.support.databases import run_db
from widget_server.app import create_app
from widget_server.booking.slots import SessionDayPlan, create_session_day
from widget_server.config import Settings
from widget_server.db.tables import slots

from .report import heading, note, ratio, table

REPEATS = 300
WARMUP = 30
TOP = 8
IDLE = {"poll", "select", "epoll.poll", "_run_once"}


@dataclass
class Reply:
    status: int
    body: bytes


async def call(app: Starlette, method: str, path: str, body: bytes = b"") -> Reply:
    """One ASGI request, as uvicorn would make it (keep-alive, gzip accepted)."""
    raw_path, _, query = path.partition("?")
    headers = [
        (b"host", b"127.0.0.1"),
        (b"accept-encoding", b"gzip"),
        (b"user-agent", b"bench"),
    ]
    if body:
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent = False
    reply = Reply(0, b"")

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never hangs up
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            reply.status = message["status"]
        elif message["type"] == "http.response.body":
            reply.body += message.get("body", b"")

    await app(scope, receive, send)
    return reply


@asynccontextmanager
async def running(url: str) -> AsyncIterator[Starlette]:
    settings = Settings(
        database_url=url,
        demo=True,
        run_sweeper=False,
        run_mailer=False,
        holds_per_address=None,  # one address plays every client here
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def cpu_ms_per_request(
    request: Callable[[], Awaitable[Reply]], repeats: int = REPEATS, server: Any = None
) -> tuple[float, float | None]:
    """(this process's CPU ms per request, the PostgreSQL server's CPU ms per request)."""
    for _ in range(WARMUP):
        await request()
    pg_before = server() if server else None
    began = time.process_time()
    for _ in range(repeats):
        reply = await request()
        if reply.status >= 400:
            raise RuntimeError(f"HTTP {reply.status}")
    spent = time.process_time() - began
    pg = (server() - pg_before) / repeats * 1000 if server and pg_before is not None else None
    return spent / repeats * 1000, pg


HOLDS = 100  # details POSTs per figure: each wins its own slot
TIMEZONE = "America/New_York"


def _hold_slots(url: str, count: int) -> list[int]:
    """``count`` fresh one-spot slots for the demo's fall-minis, 10 days ahead (the demo
    has about 15 open ones: too few for a steady figure)."""
    from widget_server.db.tables import mini_sessions, session_days

    async def work(db: Database) -> list[int]:
        found = await db.fetch_one(
            sa.select(mini_sessions.c.id, session_days.c.location_id)
            .join(session_days, session_days.c.mini_session_id == mini_sessions.c.id)
            .where(mini_sessions.c.slug == "fall-minis")
            .limit(1)
        )
        assert found is not None, "the demo's fall-minis"
        mini, location = found["id"], found["location_id"]
        day = datetime.now(UTC).date() + timedelta(days=10)
        first = datetime.combine(day, wall_time(7))
        # One-minute slots from 07:00 local: up to 1,000 fit the day.
        plan = SessionDayPlan(
            day, first.time(), (first + timedelta(minutes=count)).time(), 1, 0, 1, TIMEZONE
        )
        day_id = await create_session_day(db, mini_session_id=mini, location_id=location, plan=plan)
        rows = await db.fetch_all(
            sa.select(slots.c.id).where(slots.c.session_day_id == day_id).order_by(slots.c.id)
        )
        return [int(r["id"]) for r in rows]

    return run_db(url, work)


async def _holds(
    app: Starlette, url: str, count: int, server: Callable[[], float] | None, profile: bool
) -> list[tuple[str, float, float | None, list[Any]]]:
    """CPU of a details POST that wins its slot (a hold: ``count`` distinct open slots), and
    of one refused because the slot is taken (the same slot again and again); then, when
    ``profile``, where a winning POST's CPU goes (``count`` more)."""
    slot_ids = await asyncio.to_thread(_hold_slots, url, 2 * count + 1)
    form = "name=Ada+Lovelace&phone=%2B12125550143&email=c{n}%40example.com"

    async def post(slot: int, n: int) -> Reply:
        path = f"/demo/fall-minis/book?slot={slot}"
        return await call(app, "POST", path, form.format(n=n).encode())

    taken = slot_ids[0]
    first = await post(taken, 0)
    assert first.status == 303, (first.status, first.body[:300])
    pg_before = server() if server else None
    began = time.process_time()
    for n, slot in enumerate(slot_ids[1 : count + 1], start=1):
        assert (await post(slot, n)).status == 303
    won = (time.process_time() - began) / count * 1000
    won_pg = (server() - pg_before) / count * 1000 if server and pg_before is not None else None
    pg_before = server() if server else None
    began = time.process_time()
    for n in range(count):
        assert (await post(taken, 10_000 + n)).status == 409
    refused = (time.process_time() - began) / count * 1000
    refused_pg = (server() - pg_before) / count * 1000 if server and pg_before is not None else None
    costs: list[Any] = []
    if profile:
        later = iter(enumerate(slot_ids[count + 1 :], start=20_000))

        async def hold() -> Reply:
            n, slot = next(later)
            reply = await post(slot, n)
            assert reply.status == 303
            return reply

        costs = await top_costs(hold, count)
    return [
        (f"POST .../book (hold: wins; {count} slots)", won, won_pg, costs),
        ("POST .../book (slot taken: 409)", refused, refused_pg, []),
    ]


def library_of(path: str) -> str:
    """A short name for where a function lives: the package below site-packages, or ours."""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/widget_server/" in path:
        return "widget_server"
    if "/lib/python" in path:
        return "stdlib"
    return "other"


async def top_costs(request: Callable[[], Awaitable[Reply]], repeats: int) -> list[list[Any]]:
    """Self time by library and the heaviest functions, from a pyinstrument sample."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0002, async_mode="disabled")
    profiler.start()
    for _ in range(repeats):
        await request()
    session = profiler.stop()
    frames: Counter[tuple[str, str]] = Counter()
    libraries: Counter[str] = Counter()
    total = 0.0

    def walk(frame: Any) -> None:
        nonlocal total
        own = frame.total_self_time
        # [self] and other synthetic frames are already in their parent's self time; the
        # event loop's poll is waiting (for a driver thread or the socket), not CPU.
        if own and not frame.is_synthetic and frame.function not in IDLE:
            total += own
            where = frame.file_path or ""
            libraries[library_of(where)] += own
            frames[(library_of(where), f"{frame.function} ({Path(where).name})")] += own
        for child in frame.children:
            walk(child)

    root = session.root_frame()
    if root is not None:
        walk(root)
    rows: list[list[Any]] = []
    summary = ", ".join(f"{lib} {t / total:.0%}" for lib, t in libraries.most_common(6))
    rows.append(["(by library)", summary])
    for (lib, name), t in frames.most_common(TOP):
        rows.append([f"{t / total:.0%}", f"{lib}: {name}"])
    return rows


# The mini page twice: as most of a crowd gets it (from the availability cache, which
# repeated calls within its second hit), and read afresh (the cache emptied before each
# call, as after any commit): what the first visitor of each second costs.
AFRESH = "GET /demo/fall-minis (mini, read afresh)"


def pages(slot: int) -> list[tuple[str, str, str, bytes]]:
    book = f"/demo/fall-minis/book?slot={slot}"
    return [
        ("GET /healthz", "GET", "/healthz", b""),
        ("GET /demo (studio)", "GET", "/demo", b""),
        ("GET /demo/fall-minis (mini, from the cache)", "GET", "/demo/fall-minis", b""),
        (AFRESH, "GET", "/demo/fall-minis", b""),
        ("GET .../book?slot= (details form)", "GET", book, b""),
    ]


async def measure(
    url: str,
    slot: int,
    label: str,
    repeats: int,
    profile: bool,
    holds: int = HOLDS,
    pages_too: bool = True,
) -> None:
    server = None
    if not url.startswith("sqlite"):
        from .scaling import _postgres_cpu

        server = _postgres_cpu(url.rsplit("/", 1)[1])
    results = []
    async with running(url) as app:
        for name, method, path, body in pages(slot) if pages_too else pages(slot)[:1]:

            async def request(
                m: str = method, p: str = path, b: bytes = body, afresh: bool = name == AFRESH
            ) -> Reply:
                if afresh:
                    app.state.availability.note_commit()
                return await call(app, m, p, b)

            cpu, pg = await cpu_ms_per_request(request, repeats, server)
            costs = await top_costs(request, max(repeats // 3, 50)) if profile else []
            results.append((name, cpu, pg, costs))
        results += await _holds(app, url, holds, server, profile)
    base = results[0][1]
    columns = ["request", "CPU ms/req", "vs healthz"]
    if server:
        columns.append("PostgreSQL server ms/req")
    table(
        columns,
        [
            [f"{label}: {name}", f"{cpu:.3f}", ratio(cpu, base)]
            + ([f"{pg:.3f}" if pg is not None else ""] if server else [])
            for name, cpu, pg, _ in results
        ],
    )
    if profile:
        for name, _, _, costs in results[1:]:
            if costs:
                print(f"\n  top self time, {label}: {name}")
                for share, what in costs:
                    print(f"    {share:>12}  {what}")


def run_all(workdir: Path, repeats: int = REPEATS, profile: bool = True) -> None:
    """Benchmark 8 on SQLite and, when reachable, PostgreSQL (``python -m bench``)."""
    from . import fixtures

    heading("8. CPU per request in-process, and where it goes")
    url = fixtures.demo_sqlite(workdir, "profile.db")
    asyncio.run(measure(url, fixtures.first_open_slot(url), "SQLite", repeats, profile))
    admin = fixtures.postgres_admin_url()
    if admin is None:
        note("PostgreSQL not reachable: skipped")
        return
    with fixtures.scratch_postgres(admin) as pg:
        fixtures.seed_demo_database(pg)
        asyncio.run(measure(pg, fixtures.first_open_slot(pg), "PostgreSQL", repeats, profile))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--sizes", action="store_true")
    parser.add_argument("--holds", type=int, default=HOLDS, help="details POSTs per figure")
    parser.add_argument("--holds-only", action="store_true", help="no page but /healthz")
    args = parser.parse_args()
    import tempfile

    from . import fixtures

    pages_too = not args.holds_only
    heading("8. CPU per request in-process, and where it goes")
    with tempfile.TemporaryDirectory(prefix="minis-bench-") as tmp:
        if args.database in ("sqlite", "both"):
            url = fixtures.demo_sqlite(Path(tmp), "profile.db")
            slot = fixtures.first_open_slot(url)
            asyncio.run(
                measure(
                    url, slot, "SQLite", args.repeats, not args.no_profile, args.holds, pages_too
                )
            )
        if args.database in ("postgres", "both"):
            admin = fixtures.postgres_admin_url()
            if admin is None:
                note("PostgreSQL not reachable: skipped")
            else:
                with fixtures.scratch_postgres(admin) as url:
                    fixtures.seed_demo_database(url)
                    slot = fixtures.first_open_slot(url)
                    profile = not args.no_profile
                    asyncio.run(
                        measure(
                            url, slot, "PostgreSQL", args.repeats, profile, args.holds, pages_too
                        )
                    )
        if args.sizes:
            from . import scaling

            scaling.run(Path(tmp), args.database, args.repeats // 3)
    note(f"CPU ms/req: time.process_time() of this process over {args.repeats} ASGI calls")
    note(f"after {WARMUP} warm-ups; the POSTs: {args.holds} each, every hold on its own slot.")
    note("Profile: pyinstrument, self time of each function. PostgreSQL server: utime+stime")
    note("of the scratch database's backends, /proc.")


if __name__ == "__main__":
    main()
