"""Benchmark 3: SQL queries per request, and how page time grows with the number of slots.

In-process (Starlette TestClient, no network), with ``sqlcount`` counting what
each request asks of the database. First the demo data: each step of the public
flow. Then databases whose mini session has ~10, ~100 and ~1000 slots over
several days: the number of queries for GET /demo/fall-minis must stay the same,
while its time (median of REPEATS, counting switched off) and its HTML size are
shown against the 10-slot case. The mini page lists the slots of one day (the
first); the studio page lists none, but reads them all to count what is open.
"""

from __future__ import annotations

import gzip
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.testclient import TestClient

from tests.support.sqlcount import counting
from widget_server.app import create_app
from widget_server.config import Settings

from .fixtures import count_slots, demo_sqlite, first_open_slot, sized_sqlite
from .report import heading, ms, note, ratio, table

# (session days, slots per day): ~10, ~100 and ~1000 slots.
SIZES = [(2, 5), (4, 25), (8, 125)]
WARMUP = 5
REPEATS = 30
MINI = "/demo/fall-minis"
STUDIO = "/demo"


@contextmanager
def app_client(url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=url, demo=True, run_sweeper=False, run_mailer=False)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def gzipped_size(body: bytes) -> int:
    """Bytes after gzip at level 6, the usual default of servers and proxies."""
    return len(gzip.compress(body, compresslevel=6, mtime=0))


def median_seconds(client: TestClient, path: str) -> float:
    for _ in range(WARMUP):
        client.get(path)
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
    return statistics.median(times)


def run(workdir: Path) -> None:
    heading("3. Database work per request (in-process, SQLite)")
    per_request(workdir)
    print()
    scaling(workdir)


def per_request(workdir: Path) -> None:
    url = demo_sqlite(workdir, "queries.db")
    slot = first_open_slot(url)
    book = f"{MINI}/book?slot={slot}"
    form = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+12125550143"}
    steps = [
        ("GET /healthz", "GET", "/healthz", None),
        ("GET /demo (studio)", "GET", STUDIO, None),
        ("GET /demo/fall-minis (mini)", "GET", MINI, None),
        ("GET .../book?slot= (details form)", "GET", book, None),
        ("POST .../book (wins the slot)", "POST", book, form),
        ("POST .../book (slot taken)", "POST", book, {**form, "email": "bo@example.com"}),
    ]
    rows = []
    with app_client(url) as client, counting() as counts:
        for label, method, path, data in steps:
            counts.reset()
            response = client.request(method, path, data=data)
            rows.append(
                [
                    label,
                    response.status_code,
                    counts.queries,
                    counts.transactions,
                    counts.sqlite_connections,
                ]
            )
    table(["request (demo data)", "status", "queries", "transactions", "SQLite connections"], rows)
    note("SQLite connections: aiosqlite connections opened (each its own thread) per request.")


def scaling(workdir: Path) -> None:
    rows = []
    base_mini = base_studio = 0.0
    for days, per_day in SIZES:
        url = sized_sqlite(workdir, days, per_day)
        slots = count_slots(url)
        with app_client(url) as client:
            client.get(MINI)
            with counting() as counts:
                page = client.get(MINI)
            mini = median_seconds(client, MINI)
            studio = median_seconds(client, STUDIO)
        base_mini, base_studio = base_mini or mini, base_studio or studio
        rows.append(
            [
                f"{slots} ({days} days x {per_day})",
                counts.queries,
                ms(mini),
                ratio(mini, base_mini),
                ms(studio),
                ratio(studio, base_studio),
                len(page.content),
                gzipped_size(page.content),
            ]
        )
    table(
        [
            "slots",
            "queries (mini)",
            "mini ms",
            "vs 10 slots",
            "studio ms",
            "vs 10 slots",
            "mini HTML bytes",
            "gzipped",
        ],
        rows,
    )
    note(f"ms: median of {REPEATS} requests after {WARMUP} warm-ups; gzip level 6.")
    note("The mini page shows one day's slots, so its HTML grows with slots per day.")
