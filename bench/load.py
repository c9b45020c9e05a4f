"""HTTP load from this process: keep-alive clients in a closed loop, and synchronised bursts.

Every client is its own ``httpx2.AsyncClient`` with exactly one connection, so N
clients are N keep-alive connections. CPU time is read from /proc for the server
processes (every descendant of this process) and from this process for the
clients, to tell a busy server from a busy load generator.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import httpx2

from .raw_client import RawHTTPError

TIMEOUT_SECONDS = 60.0


def new_client(base_url: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        base_url=base_url,
        limits=httpx2.Limits(max_connections=1, max_keepalive_connections=1),
        timeout=TIMEOUT_SECONDS,
        trust_env=False,  # never route 127.0.0.1 through a proxy from the environment
    )


def descendants_cpu_seconds() -> float | None:
    """User+system CPU seconds of every live descendant of this process (Linux only)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    wanted: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - wanted
        wanted |= frontier
    return sum(times[pid] for pid in wanted)


@dataclass
class Meter:
    """Wall time and CPU time (clients, server) over a measuring window."""

    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float | None = None
    _start: tuple[float, float, float | None] = (0.0, 0.0, None)

    def start(self) -> None:
        self._start = (time.perf_counter(), time.process_time(), descendants_cpu_seconds())

    def stop(self) -> None:
        wall0, cpu0, server0 = self._start
        self.wall = time.perf_counter() - wall0
        self.client_cpu = time.process_time() - cpu0
        server1 = descendants_cpu_seconds()
        self.server_cpu = None if server0 is None or server1 is None else server1 - server0


@dataclass
class LoadResult:
    """Requests completed inside the measuring window of a closed-loop run."""

    ok: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    meter: Meter = field(default_factory=Meter)

    @property
    def rps(self) -> float:
        return self.ok / self.meter.wall


async def closed_loop(
    base_url: str, path: str, *, clients: int, warmup: float, duration: float
) -> LoadResult:
    """``clients`` keep-alive clients GET ``path`` back to back; counts after ``warmup``."""
    result = LoadResult()
    measuring = False
    stopping = False

    async def user() -> None:
        async with new_client(base_url) as client:
            while not stopping:
                began = time.perf_counter()
                try:
                    response = await client.get(path)
                    ok = response.status_code == 200
                except httpx2.HTTPError:
                    ok = False
                if measuring:
                    if ok:
                        result.ok += 1
                        result.latencies.append(time.perf_counter() - began)
                    else:
                        result.failed += 1

    tasks = [asyncio.create_task(user()) for _ in range(clients)]
    await asyncio.sleep(warmup)
    measuring = True
    result.meter.start()
    await asyncio.sleep(duration)
    measuring = False
    result.meter.stop()
    stopping = True
    await asyncio.gather(*tasks)
    return result


@dataclass(frozen=True)
class Outcome:
    """One request of a burst: its status (None if it raised) and its latency."""

    status: int | None
    seconds: float
    error: str = ""


class Answer(Protocol):
    @property
    def status_code(self) -> int: ...


C = TypeVar("C")
Send = Callable[[int, C], Awaitable[Answer]]


async def burst(clients: Sequence[C], send: Send[C]) -> list[Outcome]:
    """Every client sends one request at the same moment; outcomes in client order.
    Clients are httpx's, or bench/raw_client.py's where the load must cost little."""
    go, all_waiting = asyncio.Event(), asyncio.Event()
    waiting = 0

    async def one(index: int, client: C) -> Outcome:
        nonlocal waiting
        waiting += 1
        if waiting == len(clients):
            all_waiting.set()
        await go.wait()
        began = time.perf_counter()
        try:
            response = await send(index, client)
        except (httpx2.HTTPError, RawHTTPError) as exc:
            return Outcome(None, time.perf_counter() - began, type(exc).__name__)
        return Outcome(response.status_code, time.perf_counter() - began)

    tasks = [asyncio.create_task(one(i, c)) for i, c in enumerate(clients)]
    await all_waiting.wait()
    go.set()
    return await asyncio.gather(*tasks)
