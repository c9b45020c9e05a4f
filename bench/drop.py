"""Benchmark 11: the drop. Thousands of clients arrive within seconds of a mini session's
opening, load its page and submit the details form for a time it shows, racing for a
fixed number of spots, against ``minis serve`` (SQLite, 1 worker; PostgreSQL, 2 workers).

Each client is its own keep-alive connection, arriving at a seeded random moment within
WINDOW seconds of the opening: ``GET`` the page, pick one of the times it offers at random
(none: "sold out"), ``POST`` the details form for it (303: won a hold). Told the time was
taken (409), it goes back to the page and tries again, TRIES times in all, as a person
would. Any other answer, or an exception (a request unanswered after TIMEOUT_SECONDS
included), is an error. Meanwhile PROBES clients ask for ``/healthz`` back to back: the
trivial endpoint's throughput during the stampede, set against the pages the stampede
was served per second. Afterwards the database is read: exactly SPOTS live holds, no slot
over its capacity.

``python -m bench.drop`` runs it at full scale (5,000 clients, 100 spots, 10 s), once with
the availability cache off (``MINIS_AVAILABILITY_CACHE_SECONDS=0``: "before") and once
with the default ("after"); ``--clients 200 --spots 20`` is a quick try; ``--database``
and ``--cache`` pick what runs. Every request goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import ssl
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import sqlalchemy as sa
from databases import Database

from tests.support.databases import run_db
from tests.support.live_server import minis_serve
from widget_server.db.migrate import migrate
from widget_server.db.tables import bookings, mini_sessions, slots

from .fixtures import BenchMini, postgres_admin_url, scratch_postgres, seed_mini
from .load import Meter
from .report import heading, ms, note, percentile, ratio, share, table

CLIENTS = 5000
SPOTS = 100
WINDOW_SECONDS = 10.0
DAYS = 4  # the spots spread over four days of capacity-1 times; the page shows one day
PROBES = 2
TRIES = 3  # a client told its time was taken picks another, up to this many times
# The opening comes this long after the clients are ready (the server is up and idle).
LEAD_SECONDS = 2.0
# A request not answered within this long counts as an error (and bounds the run).
TIMEOUT_SECONDS = 60.0
SEED = 11
PAGE = "/drop/opening-minis"
PHONE = "+12125550143"
SLOT_LINK = re.compile(r"/drop/opening-minis/book\?slot=(\d+)")
# One TLS context for every client: making one per client costs far more than a request.
NO_TLS = ssl.create_default_context()


def _client(base: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        base_url=base,
        limits=httpx2.Limits(max_connections=1, max_keepalive_connections=1),
        timeout=TIMEOUT_SECONDS,
        trust_env=False,
        verify=NO_TLS,
    )


def _shape(spots: int, opens_at: datetime) -> BenchMini:
    """Studio ``drop`` with ``opening-minis``: ``spots`` capacity-1 times over DAYS days,
    opening at ``opens_at``."""
    per_day = -(-spots // DAYS)
    sizes = tuple(n for n in (min(per_day, spots - per_day * d) for d in range(DAYS)) if n > 0)
    return BenchMini(
        day_sizes=sizes,
        studio_slug="drop",
        studio_name="Drop Photography",
        mini_slug="opening-minis",
        title="Opening Minis",
        description="The season's first light, twenty minutes each.",
        image_url="",
        payment_methods="offline",
        min_notice_hours=0,
        days_ahead=3,
        slot_minutes=10,
        opens_at=opens_at,
    )


@dataclass
class Client:
    """One stampeding client: each page and form it was answered, and how it ended."""

    pages: list[float] = field(default_factory=list)  # seconds, per page answered 200
    forms: list[float] = field(default_factory=list)  # seconds, per form answered
    outcome: str = "taken"  # won, taken (every try), sold out, error
    error: str = ""
    resent: int = 0  # requests sent again after a kept-alive connection closed (_send)


@dataclass
class Stampede:
    clients: list[Client]
    meter: Meter
    healthz: int = 0  # probe answers while the stampede ran
    seconds: float = 0.0  # from the opening until the last client was answered
    live_holds: int = 0
    overbooked_slots: int = 0

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.clients if c.outcome == outcome)

    @property
    def pages(self) -> list[float]:
        return [t for c in self.clients for t in c.pages]

    @property
    def forms(self) -> list[float]:
        return [t for c in self.clients for t in c.forms]


# What a browser does when a connection it kept alive and reused turns out closed before
# any answer (the server's keep-alive timeout raced the request): it sends the request once
# more, on a new connection. Counted per client (``resent``), never hidden.
STALE_CONNECTION = (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError)


async def _send(
    client: httpx2.AsyncClient,
    result: Client,
    method: str,
    url: str,
    data: dict[str, str] | None = None,
) -> httpx2.Response:
    reused = bool(result.pages or result.forms)
    try:
        return await client.request(method, url, data=data)
    except STALE_CONNECTION:
        if not reused:
            raise
        result.resent += 1
        return await client.request(method, url, data=data)


async def _one(base: str, index: int, arrive: float, rng: random.Random) -> Client:
    result = Client()
    await asyncio.sleep(max(0.0, arrive - time.monotonic()))
    form = {"name": f"Client {index}", "email": f"client{index}@example.com", "phone": PHONE}
    async with _client(base) as client:
        try:
            for _ in range(TRIES):
                began = time.perf_counter()
                page = await _send(client, result, "GET", PAGE)
                if page.status_code != 200:
                    result.outcome, result.error = "error", f"page HTTP {page.status_code}"
                    return result
                result.pages.append(time.perf_counter() - began)
                offered = SLOT_LINK.findall(page.text)
                if not offered:
                    result.outcome = "sold out"
                    return result
                began = time.perf_counter()
                slot = rng.choice(offered)
                answer = await _send(client, result, "POST", f"{PAGE}/book?slot={slot}", data=form)
                result.forms.append(time.perf_counter() - began)
                if answer.status_code == 303:
                    result.outcome = "won"
                    return result
                if answer.status_code != 409:
                    result.outcome, result.error = "error", f"form HTTP {answer.status_code}"
                    return result
        except httpx2.HTTPError as exc:
            result.outcome, result.error = "error", type(exc).__name__
    return result


async def _probe(base: str, until: asyncio.Event, counts: list[int]) -> None:
    async with _client(base) as client:
        while not until.is_set():
            try:
                response = await client.get("/healthz")
            except httpx2.HTTPError:
                continue
            if response.status_code == 200:
                counts[0] += 1


async def _stampede(base: str, clients: int, opening: float, window: float) -> Stampede:
    rng = random.Random(SEED)
    arrivals = sorted(opening + rng.uniform(0.0, window) for _ in range(clients))
    tasks = [
        asyncio.create_task(_one(base, i, at, random.Random(SEED * 100_003 + i)))
        for i, at in enumerate(arrivals)
    ]
    await asyncio.sleep(max(0.0, opening - time.monotonic()))
    meter = Meter()
    meter.start()
    stop, healthz = asyncio.Event(), [0]
    probes = [asyncio.create_task(_probe(base, stop, healthz)) for _ in range(PROBES)]
    done = await asyncio.gather(*tasks)
    seconds = time.monotonic() - opening
    answered = healthz[0]
    stop.set()
    await asyncio.gather(*probes)
    meter.stop()
    return Stampede(done, meter, healthz=answered, seconds=seconds)


def _count_holds(url: str) -> tuple[int, int]:
    """Live holds on the drop's times, and slots holding more than their capacity."""

    async def work(db: Database) -> tuple[int, int]:
        live = await db.fetch_val(
            sa.select(sa.func.count())
            .select_from(bookings.join(slots, slots.c.id == bookings.c.slot_id))
            .where(bookings.c.status.in_(("held", "booked")))
        )
        per_slot = (
            sa.select(bookings.c.slot_id, sa.func.count().label("n"))
            .where(bookings.c.status.in_(("held", "booked")))
            .group_by(bookings.c.slot_id)
            .subquery()
        )
        over = await db.fetch_val(
            sa.select(sa.func.count())
            .select_from(per_slot.join(slots, slots.c.id == per_slot.c.slot_id))
            .where(per_slot.c.n > slots.c.capacity)
        )
        return int(live), int(over)

    return run_db(url, work)


@contextmanager
def _database(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "SQLite":
        url = f"sqlite:///{workdir / f'drop-{time.monotonic_ns()}.db'}"
        migrate(url)
        yield url
        return
    admin = postgres_admin_url()
    if admin is None:
        raise RuntimeError("no PostgreSQL (set MINIS_TEST_POSTGRES_URL to an admin URL)")
    with scratch_postgres(admin) as url:
        yield url


@dataclass(frozen=True)
class Run:
    backend: str
    workers: int
    cache_seconds: str
    stampede: Stampede


def run_one(
    backend: str, workers: int, cache_seconds: str, args: argparse.Namespace, workdir: Path
) -> Run:
    with _database(backend, workdir) as url:
        # The opening is set once the server is up (below); until then it is far away.
        run_db(
            url,
            lambda db: seed_mini(
                db, _shape(args.spots, datetime.now(UTC) + timedelta(days=1)), datetime.now(UTC)
            ),
        )
        env = {
            "MINIS_HOLDS_PER_ADDRESS": "none",  # every client comes from 127.0.0.1 here
            "MINIS_AVAILABILITY_CACHE_SECONDS": cache_seconds,
        }
        log = workdir / f"serve-{backend}-{cache_seconds}.log"
        with minis_serve(url, log, extra_env=env, workers=workers) as served:
            opens_at = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
            opening = time.monotonic() + LEAD_SECONDS
            run_db(
                url,
                lambda db: db.execute(
                    mini_sessions.update()
                    .where(mini_sessions.c.slug == "opening-minis")
                    .values(opens_at=opens_at)
                ),
            )
            stampede = asyncio.run(_stampede(served.base, args.clients, opening, args.window))
        stampede.live_holds, stampede.overbooked_slots = _count_holds(url)
    return Run(backend, workers, cache_seconds, stampede)


def _cache_label(seconds: str) -> str:
    return "no cache" if float(seconds) == 0 else f"cache {seconds} s"


def report(runs: list[Run], args: argparse.Namespace) -> None:
    heading(
        f"11. The drop: {args.clients} clients within {args.window:g} s of the opening, "
        f"{args.spots} spots (minis serve)"
    )
    rows = []
    for r in runs:
        s = r.stampede
        page_rate = len(s.pages) / s.seconds
        healthz_rate = s.healthz / s.seconds
        rows.append(
            [
                f"{r.backend}, {_cache_label(r.cache_seconds)}",
                r.workers,
                s.count("won"),
                s.count("taken"),
                s.count("sold out"),
                s.count("error"),
                sum(c.resent for c in s.clients),
                len(s.pages),
                len(s.forms),
                ms(percentile(s.pages, 50)) if s.pages else "n/a",
                ms(percentile(s.pages, 99)) if s.pages else "n/a",
                ms(percentile(s.forms, 50)) if s.forms else "n/a",
                ms(percentile(s.forms, 99)) if s.forms else "n/a",
                f"{page_rate:.0f}",
                f"{healthz_rate:.0f}",
                ratio(page_rate, healthz_rate),
                f"{s.seconds:.1f}",
                share(s.meter.server_cpu, s.meter.wall),
                "OK" if s.live_holds == args.spots and s.overbooked_slots == 0 else "FAIL",
            ]
        )
    table(
        [
            "server",
            "workers",
            "won",
            "taken",
            "sold out",
            "errors",
            "resent",
            "pages",
            "forms",
            "page p50 ms",
            "page p99 ms",
            "form p50 ms",
            "form p99 ms",
            "page/s",
            "healthz/s",
            "page vs healthz",
            "done s",
            "server CPU",
            "holds",
        ],
        rows,
    )
    note(f"won: a hold (303); taken: 409 on each of {TRIES} tries; sold out: the page showed")
    note("no time. pages, forms: answered, over every try. page/s: pages answered 200 per")
    note(f"second until the last client was answered (done s); healthz/s: {PROBES} probe")
    note("clients asking back to back meanwhile. server CPU: the minis serve processes over")
    note("that time, as a share of one core (PostgreSQL's own processes not counted).")
    note("resent: requests sent once more, as a browser does, after a reused keep-alive")
    note("connection turned out closed before any answer (the server's keep-alive timeout).")
    for r in runs:
        s = r.stampede
        errors = Counter(c.error for c in s.clients if c.outcome == "error")
        note(
            f"{r.backend}, {_cache_label(r.cache_seconds)}: {s.live_holds} live holds in the "
            f"database (expected {args.spots}), {s.overbooked_slots} slots over capacity"
            + (f"; errors: {dict(errors)}" if errors else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--spots", type=int, default=SPOTS)
    parser.add_argument("--window", type=float, default=WINDOW_SECONDS)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--cache",
        choices=("off", "on", "both"),
        default="both",
        help="the availability cache: off (before), on (the default 1 s), or both",
    )
    args = parser.parse_args()
    backends = {"sqlite": [("SQLite", 1)], "postgresql": [("PostgreSQL", 2)]}.get(
        args.database, [("SQLite", 1), ("PostgreSQL", 2)]
    )
    caches = {"off": ["0"], "on": ["1"]}.get(args.cache, ["0", "1"])
    runs = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="minis-drop-") as tmp:
        for backend, workers in backends:
            for cache in caches:
                runs.append(run_one(backend, workers, cache, args, Path(tmp)))
    report(runs, args)
    note(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    )


if __name__ == "__main__":
    main()
