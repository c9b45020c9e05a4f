"""Benchmark 13: the storm of issue 19, many clients at once for a few slots, through
``minis serve``.

A database with one mini session of SLOTS slots of one spot each (bench/fixtures.py's
sized studio) is served by ``minis serve --workers N`` on 127.0.0.1 (SQLite with 1
worker, PostgreSQL with 2). CLIENTS clients (one keep-alive connection each) first open
the mini page, then are released together and each POSTs the details form for slot
``i % SLOTS`` with its own email: exactly SLOTS may win (303, a hold), every other must
be told the time was taken (409). While the storm runs, each worker's threads and open
file descriptors are sampled from /proc (their peaks reported); after it, each worker's
resident memory (VmRSS). The database is then read: one live hold per slot and
``taken = 1``.

``python -m bench.storm [--database sqlite|postgres] [--clients 1000] [--slots 50]``
(develop with ``--clients 100 --slots 5``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.support.databases import run_db
from tests.support.live_server import minis_serve
from widget_server.db.migrate import migrate
from widget_server.db.tables import bookings, slots

from .fixtures import postgres_admin_url, scratch_postgres, seed_sized
from .load import Outcome, burst
from .raw_client import RawClient, RawResponse
from .report import heading, note, percentile, table
from .scaling import _postgres_cpu

PHONE = "+12125550143"


@dataclass
class Peaks:
    """The most threads and file descriptors each worker had at once during the storm."""

    threads: dict[int, int] = field(default_factory=dict)
    fds: dict[int, int] = field(default_factory=dict)


def _status(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def worker_pids(serve: subprocess.Popen[bytes]) -> list[int]:
    """uvicorn's workers (its children running ``spawn_main``), or ``minis serve`` itself
    when it runs the one worker in its own process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if ppid == serve.pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return sorted(found) or [serve.pid]


async def sample(pids: list[int], peaks: Peaks, stop: asyncio.Event) -> None:
    while not stop.is_set():
        for pid in pids:
            try:
                threads = _status(pid, "Threads")
                fds = len(os.listdir(f"/proc/{pid}/fd"))
            except OSError:
                continue
            peaks.threads[pid] = max(peaks.threads.get(pid, 0), threads)
            peaks.fds[pid] = max(peaks.fds.get(pid, 0), fds)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


# Every client is 127.0.0.1 here; the web workers run no upkeep (a worker of its own would).
STORM_ENV = {"MINIS_HOLDS_PER_ADDRESS": "none", "MINIS_BACKGROUND_JOBS": "worker"}


def _slot_ids(url: str) -> list[int]:
    async def work(db: object) -> list[int]:
        rows = await db.fetch_all(sa.select(slots.c.id).order_by(slots.c.id))  # type: ignore[attr-defined]
        return [r["id"] for r in rows]

    return run_db(url, work)


def _holds_per_slot(url: str) -> tuple[Counter[int], Counter[int]]:
    async def work(db: object) -> tuple[Counter[int], Counter[int]]:
        held = await db.fetch_all(  # type: ignore[attr-defined]
            sa.select(bookings.c.slot_id).where(bookings.c.status.in_(("held", "booked")))
        )
        taken = await db.fetch_all(sa.select(slots.c.id, slots.c.taken))  # type: ignore[attr-defined]
        return Counter(r["slot_id"] for r in held), Counter({r["id"]: r["taken"] for r in taken})

    return run_db(url, work)


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process, from /proc (10 ms ticks)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Spent:
    """CPU seconds spent during the storm's POSTs, by whom: the 2 cores are shared."""

    workers: float = 0.0
    load_generator: float = 0.0
    database: float | None = None


async def storm(
    base: str,
    slot_ids: list[int],
    clients: int,
    pids: list[int],
    spent: Spent,
    database_cpu: Callable[[], float] | None = None,
) -> tuple[list[Outcome], Peaks]:
    # The bare client: through httpx the load generator spent as much CPU per request as
    # the server, on the same two cores (bench/raw_client.py).
    pool = [RawClient(base) for _ in range(clients)]
    peaks = Peaks()
    try:
        # Every client opens the page first (a real client does; it warms every worker).
        for start in range(0, clients, 100):
            await asyncio.gather(*(c.get("/demo/fall-minis") for c in pool[start : start + 100]))
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample(pids, peaks, stop))

        async def send(i: int, client: RawClient) -> RawResponse:
            slot = slot_ids[i % len(slot_ids)]
            return await client.post(
                f"/demo/fall-minis/book?slot={slot}",
                data={"name": f"Client {i}", "email": f"storm{i}@example.com", "phone": PHONE},
            )

        workers, own = sum(map(_cpu_seconds, pids)), time.process_time()
        server = database_cpu() if database_cpu else None
        outcomes = await burst(pool, send)
        spent.workers = sum(map(_cpu_seconds, pids)) - workers
        spent.load_generator = time.process_time() - own
        if database_cpu and server is not None:
            spent.database = database_cpu() - server
        stop.set()
        await sampler
        return outcomes, peaks
    finally:
        await asyncio.gather(*(c.aclose() for c in pool))


def run_one(label: str, url: str, workers: int, clients: int, slots_wanted: int, log: Path) -> None:
    slot_ids = _slot_ids(url)[:slots_wanted]
    load_before = os.getloadavg()
    spent = Spent()
    database_cpu = None
    if not url.startswith("sqlite"):
        database_cpu = _postgres_cpu(make_url(url).database or "")
    with minis_serve(url, log, extra_env=STORM_ENV, workers=workers) as served:
        base, pids = served.base, worker_pids(served.process)
        began = time.perf_counter()
        outcomes, peaks = asyncio.run(storm(base, slot_ids, clients, pids, spent, database_cpu))
        wall = time.perf_counter() - began
        rss = {pid: _status(pid, "VmRSS") / 1024 for pid in pids}
    load_after = os.getloadavg()
    statuses = Counter(o.status for o in outcomes)
    errors = Counter(o.error or f"HTTP {o.status}" for o in outcomes if o.status not in (303, 409))
    seconds = sorted(o.seconds for o in outcomes)
    held, taken = _holds_per_slot(url)
    overbooked = [s for s in slot_ids if held[s] != 1 or taken[s] != 1]
    table(
        ["database", "workers", "clients", "slots", "303", "409", "errors", "p50 s", "p99 s",
         "max s"],
        [[label, workers, clients, len(slot_ids), statuses[303], statuses[409],
          sum(errors.values()), f"{percentile(seconds, 50):.3f}",
          f"{percentile(seconds, 99):.3f}", f"{seconds[-1]:.3f}"]],
    )  # fmt: skip
    table(
        ["worker pid", "RSS MiB after", "peak threads", "peak fds"],
        [
            [pid, f"{rss[pid]:.1f}", peaks.threads.get(pid, 0), peaks.fds.get(pid, 0)]
            for pid in pids
        ],
    )
    note(f"holds in the database: {sum(held.values())}; slots not at exactly one: {overbooked}")
    database = f", PostgreSQL {spent.database:.2f}" if spent.database is not None else ""
    note(f"CPU seconds during the POSTs: workers {spent.workers:.2f} "
         f"({spent.workers / clients * 1000:.2f} ms per POST), load generator "
         f"{spent.load_generator:.2f}{database}")  # fmt: skip
    if errors:
        note(f"errors: {dict(errors)}")
    note(f"storm wall time {wall:.1f} s (page warm-up included); load average "
         f"{load_before[0]:.2f} before, {load_after[0]:.2f} after")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--slots", type=int, default=50)
    parser.add_argument("--workers", type=int)
    args = parser.parse_args()
    per_day = 10
    days = -(-args.slots // per_day)
    heading("13. Storm: clients at once for a few slots, through minis serve")
    with tempfile.TemporaryDirectory(prefix="minis-storm-") as tmp:
        if args.database == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'storm.db'}"
            migrate(url)
            run_db(url, lambda db: seed_sized(db, days, per_day, datetime.now(UTC)))
            workers = args.workers or 1
            run_one("SQLite", url, workers, args.clients, args.slots, Path(tmp) / "serve.log")
            return
        admin = postgres_admin_url()
        if admin is None:
            note("PostgreSQL not reachable: skipped")
            return
        with scratch_postgres(admin) as url:
            run_db(url, lambda db: seed_sized(db, days, per_day, datetime.now(UTC)))
            workers = args.workers or 2
            log = Path(tmp) / "serve.log"
            run_one("PostgreSQL", url, workers, args.clients, args.slots, log)


if __name__ == "__main__":
    main()
