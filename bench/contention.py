"""Benchmark 2: booking contention, many clients submitting details for one capacity-1 slot.

ATTEMPTS clients each open a keep-alive connection and submit an invalid form
once (422: warms validation and templates in every worker without writing).
Then, ROUNDS times, each round on a fresh slot: released together, they GET
/healthz (the latency yardstick of the round), and, released together again,
POST the details form for that slot, each with its own email. Exactly one may
win (303 to the quote); every other must be told the time was taken (409). The
database is then read to check that exactly one booking holds each slot.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx2

from tests.support.live_server import live_server

from .fixtures import (
    SlotState,
    demo_sqlite,
    open_slots,
    postgres_admin_url,
    scratch_postgres,
    seed_demo_database,
    slot_state,
)
from .load import Meter, Outcome, Send, burst, new_client
from .report import heading, ms, note, percentile, ratio, share, table

ATTEMPTS = 100
ROUNDS = 3
PHONE = "+12125550143"
SQLITE_WORKERS = 1
POSTGRES_WORKERS = 3


@dataclass
class Round:
    """One burst of ATTEMPTS bookings for one slot."""

    slot_id: int
    healthz: list[Outcome]
    posts: list[Outcome]
    meter: Meter  # over the booking burst
    state: SlotState | None = None

    def count(self, status: int) -> int:
        return sum(1 for o in self.posts if o.status == status)

    @property
    def errors(self) -> list[str]:
        """Every outcome that is neither a win (303) nor "taken" (409), described."""
        return [o.error or f"HTTP {o.status}" for o in self.posts if o.status not in (303, 409)]

    @property
    def db_ok(self) -> bool:
        s = self.state
        return s is not None and s.live == 1 and sum(s.statuses.values()) == 1 and s.taken == 1


@dataclass(frozen=True)
class Contest:
    backend: str
    workers: int
    warmup: list[Outcome]
    rounds: list[Round]


def _details(i: int, name: str) -> dict[str, str]:
    return {"name": name, "email": f"client{i}@example.com", "phone": PHONE}


async def _contest(base: str, slot_ids: list[int]) -> tuple[list[Outcome], list[Round]]:
    clients = [new_client(base) for _ in range(ATTEMPTS)]
    rounds = []

    def booking(slot_id: int, name: str | None = None) -> Send:
        path = f"/demo/fall-minis/book?slot={slot_id}"
        return lambda i, c: c.post(path, data=_details(i, f"Client {i}" if name is None else name))

    try:
        warmup = await burst(clients, booking(slot_ids[0], name=""))
        for slot_id in slot_ids:
            healthz = await burst(clients, lambda i, c: c.get("/healthz"))
            meter = Meter()
            meter.start()
            posts = await burst(clients, booking(slot_id))
            meter.stop()
            rounds.append(Round(slot_id, healthz, posts, meter))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return warmup, rounds


def contest(backend: str, url: str, workers: int) -> Contest:
    slot_ids = open_slots(url, ROUNDS)
    with live_server(url, workers=workers) as base:
        warmup, rounds = asyncio.run(_contest(base, slot_ids))
    for r in rounds:
        r.state = slot_state(url, r.slot_id)
    return Contest(backend, workers, warmup, rounds)


def run(workdir: Path) -> None:
    heading(
        f"2. Contention: {ATTEMPTS} clients submit details for one capacity-1 slot at once "
        f"(POST /demo/fall-minis/book), {ROUNDS} rounds"
    )
    contests = [contest("SQLite", demo_sqlite(workdir, "contention.db"), SQLITE_WORKERS)]
    admin = postgres_admin_url()
    if admin is None:
        note("PostgreSQL: skipped (no server; set MINIS_TEST_POSTGRES_URL to an admin URL)")
    else:
        with scratch_postgres(admin) as url:
            seed_demo_database(url)
            contests.append(contest("PostgreSQL", url, POSTGRES_WORKERS))
    rows = []
    for c in contests:
        for n, r in enumerate(c.rounds, 1):
            latencies = [o.seconds for o in r.posts]
            healthz_p50 = percentile([o.seconds for o in r.healthz], 50)
            rows.append(
                [
                    f"{c.backend} #{n}",
                    c.workers,
                    len(r.posts),
                    r.count(303),
                    r.count(409),
                    len(r.errors),
                    ms(percentile(latencies, 50)),
                    ms(percentile(latencies, 99)),
                    ms(healthz_p50),
                    ratio(percentile(latencies, 50), healthz_p50),
                    f"{r.meter.wall:.2f}",
                    share(r.meter.server_cpu, r.meter.wall),
                    "OK" if r.db_ok else "FAIL",
                ]
            )
    table(
        [
            "database, round",
            "workers",
            "attempts",
            "won (303)",
            "taken (409)",
            "errors",
            "p50 ms",
            "p99 ms",
            "healthz p50 ms",
            "p50 vs healthz",
            "burst s",
            "server CPU",
            "one booking",
        ],
        rows,
    )
    note("healthz p50: the same clients, released together the same way, just before.")
    note("burst s: first post sent to last answer. server CPU: the uvicorn processes (their")
    note("SQLite threads included, PostgreSQL's own processes not) as a share of one core.")
    for c in contests:
        _explain(c)


def _explain(c: Contest) -> None:
    for n, r in enumerate(c.rounds, 1):
        assert r.state is not None
        statuses = ", ".join(f"{k}={v}" for k, v in sorted(r.state.statuses.items())) or "none"
        verdict = "exactly one booking: OK" if r.db_ok else "NOT exactly one booking: FAIL"
        note(
            f"{c.backend} #{n}: slot {r.slot_id} has bookings {statuses}; slots.taken = "
            f"{r.state.taken}/{r.state.capacity}; {verdict}"
        )
        if r.errors:
            note(f"{c.backend} #{n} errors: {dict(Counter(r.errors))}")
    unexpected = [o for o in c.warmup if o.status != httpx2.codes.UNPROCESSABLE_ENTITY]
    if unexpected:
        note(f"{c.backend}: {len(unexpected)} warm-up posts did not get 422")
