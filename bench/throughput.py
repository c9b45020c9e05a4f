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
# Below this share of a core, the server was not the bottleneck of a run.
SATURATED = 0.7
PATHS = [
    ("/healthz", "trivial endpoint"),
    ("/demo/fall-minis", "mini session page"),
    ("/demo", "studio page"),
]


def run(workdir: Path) -> None:
    """Serve the demo data and print the table."""
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
    trivial = results["/healthz"]
    rows = []
    for path, what in PATHS:
        r = results[path]
        rows.append(
            [
                f"GET {path} ({what})",
                f"{r.rps:.0f}",
                ratio(r.rps, trivial.rps),
                ms(percentile(r.latencies, 50)),
                ms(percentile(r.latencies, 99)),
                r.failed,
                _cpu_per_request(r),
                _cpu_ratio(r, trivial),
                share(r.meter.server_cpu, r.meter.wall),
                share(r.meter.client_cpu, r.meter.wall),
            ]
        )
    table(
        [
            "request",
            "req/s",
            "req/s vs healthz",
            "p50 ms",
            "p99 ms",
            "errors",
            "server CPU ms/req",
            "CPU vs healthz",
            "server CPU",
            "client CPU",
        ],
        rows,
    )
    note("server CPU ms/req: CPU time of the uvicorn process (its SQLite threads included) per")
    note("request served. server/client CPU: uvicorn / this process (the load generator) as a")
    note("share of one core over the window.")
    server = trivial.meter.server_cpu
    if server is not None and server < SATURATED * trivial.meter.wall:
        note(
            f"/healthz did not saturate the server (server CPU {share(server, trivial.meter.wall)}"
            f", client CPU {share(trivial.meter.client_cpu, trivial.meter.wall)}): its req/s is"
        )
        note("the load generator's limit, so the req/s ratio flatters the pages. The CPU ratio")
        note("is the cost ratio: capacity is about one core / server CPU ms per request.")


def _cpu_per_request(r: LoadResult) -> str:
    cpu = r.meter.server_cpu
    return "n/a" if cpu is None or not r.ok else f"{cpu / r.ok * 1000:.3f}"


def _cpu_ratio(r: LoadResult, trivial: LoadResult) -> str:
    cpu, base = r.meter.server_cpu, trivial.meter.server_cpu
    if cpu is None or base is None or not r.ok or not trivial.ok:
        return "n/a"
    return ratio(cpu / r.ok, base / trivial.ok)
