"""Benchmark 1: page throughput against a trivial endpoint on the same server.

One uvicorn worker on a SQLite file seeded with the demo data. For each path,
CLIENTS keep-alive clients request it back to back for WARMUP_SECONDS (not
counted), then MEASURE_SECONDS (counted). /healthz (a plain-text "ok" through the
same middleware) is the yardstick: page/healthz is how much of the server's
capacity a page costs, a ratio that survives a change of machine far better than
requests per second do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.live_server import live_server

from .fixtures import demo_sqlite
from .load import LoadResult, closed_loop
from .report import heading, ms, note, percentile, ratio, share, table

CLIENTS = 8
WARMUP_SECONDS = 2.0
MEASURE_SECONDS = 5.0
PATHS = [
    ("/healthz", "trivial endpoint"),
    ("/demo/fall-minis", "mini session page"),
    ("/demo", "studio page"),
]


def run(workdir: Path) -> dict[str, float]:
    """Print the table; returns requests/second per path (for the other benchmarks)."""
    heading(
        f"1. Page throughput: SQLite, 1 uvicorn worker, {CLIENTS} keep-alive clients, "
        f"{WARMUP_SECONDS:g} s warm-up + {MEASURE_SECONDS:g} s per path"
    )
    url = demo_sqlite(workdir, "throughput.db")
    results: dict[str, LoadResult] = {}
    with live_server(url) as base:
        for path, _ in PATHS:
            results[path] = asyncio.run(
                closed_loop(
                    base,
                    path,
                    clients=CLIENTS,
                    warmup=WARMUP_SECONDS,
                    duration=MEASURE_SECONDS,
                )
            )
    trivial = results["/healthz"].rps
    rows = []
    for path, what in PATHS:
        r = results[path]
        server = r.meter.server_cpu
        rows.append(
            [
                f"GET {path} ({what})",
                f"{r.rps:.0f}",
                ratio(r.rps, trivial),
                ms(percentile(r.latencies, 50)),
                ms(percentile(r.latencies, 99)),
                r.failed,
                "n/a" if server is None else share(server, r.meter.wall),
                share(r.meter.client_cpu, r.meter.wall),
            ]
        )
    table(
        ["request", "req/s", "vs healthz", "p50 ms", "p99 ms", "errors", "server CPU", "client CPU"],
        rows,
    )
    note("CPU columns: share of one core over the window (server = uvicorn, client = this")
    note("process). A client near 100% means the load generator, not the server, is the limit.")
    return {path: r.rps for path, r in results.items()}
