"""The database failing under a live server: outages, stalled clients, shutdown.

A real uvicorn serves the app; on PostgreSQL it reaches the database through a TCP
proxy the test cuts and restores (tests/support/tcp_proxy.py), on SQLite the database
file's directory is moved away and back.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx2
import pytest
from databases import Database
from starlette.types import Message

from tests.support.databases import run_db
from tests.support.keys import STRONG_SECRET_KEY
from tests.support.live_server import live_server, minis_serve
from tests.support.stripe_server import SECRET_KEY, WEBHOOK_SECRET, sign
from tests.support.tcp_proxy import TcpProxy, tcp_proxy_for
from tests.support.world import World, build_world
from tests.test_cli import MINIS
from widget_server.cli import GRACEFUL_SHUTDOWN_SECONDS
from widget_server.db.availability import is_unavailable
from widget_server.db.connection import POOL_SIZE, close_database, create_database
from widget_server.db.transactions import write_transaction
from widget_server.shutdown import DATABASE_CLOSE_SECONDS, TASK_EXIT_SECONDS
from widget_server.web.pages import RETRY_AFTER_SECONDS
from widget_server.web.request_connection import RequestConnection

# The pages here must read the database: one answered from the availability cache (a
# second at most, web/availability_cache.py) would not show the outage it is sent into.
UNCACHED = {"MINIS_AVAILABILITY_CACHE_SECONDS": "0"}

# PostgreSQL only: the pool, the proxy. Skipped like every PostgreSQL variant without
# MINIS_TEST_POSTGRES_URL, which CI sets.
on_postgres = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)

STRIPE_ENV = {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}
# uvicorn's own line when the app raises instead of answering: the client got a bare 500
# and its connection was closed.
APP_RAISED = "Exception in ASGI application"


# A client that sends its headers and one byte of a 100-byte body, then nothing.
STALLED_CLIENTS = 24  # the pool holds 10 (db/connection.py)
BODY_TIMEOUT = 6


def _stall(base: str, path: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 100\r\n\r\nn".encode()
    )
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    return reply


def _world(db_url: str) -> World:
    return run_db(db_url, lambda db: build_world(db, datetime.now(UTC), edge_slots=False))


def _webhook() -> tuple[bytes, dict[str, str]]:
    """A genuine Stripe event whose handling needs the database (it looks the session up)."""
    payload = json.dumps(
        {
            "id": "evt_outage",
            "object": "event",
            "type": "checkout.session.expired",
            "data": {"object": {"id": "cs_unknown", "object": "checkout.session"}},
        }
    ).encode()
    return payload, {"Stripe-Signature": sign(payload), "Content-Type": "application/json"}


def _local_port(response: httpx2.Response) -> int:
    """The client's port of the connection a response came on: equal ports, same connection."""
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


def _assert_unavailable_page(response: httpx2.Response, *, keep_alive: bool = True) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["content-type"].startswith("text/html")
    assert "try again in a moment" in response.text
    if keep_alive:
        assert response.headers.get("connection") != "close"


@on_postgres
def test_an_outage_is_a_503_and_service_resumes_on_the_same_connection(
    db_url: str, tmp_path: Path
) -> None:
    _world(db_url)
    log = tmp_path / "uvicorn.log"
    payload, headers = _webhook()
    with tcp_proxy_for(db_url) as proxy:
        url = proxy.url_for(db_url)
        with (
            live_server(url, extra_env={**STRIPE_ENV, **UNCACHED}, log_path=log) as base,
            httpx2.Client(base_url=base, timeout=10) as http,
        ):
            first = http.get("/acme/portraits")
            assert first.status_code == 200
            assert http.get("/readyz").status_code == 200
            port = _local_port(first)

            proxy.cut()
            _assert_unavailable_page(http.get("/acme/portraits"))
            _assert_unavailable_page(http.get("/embed/acme/portraits"))
            hook = http.post("/webhooks/stripe", content=payload, headers=headers)
            assert hook.status_code == 503
            assert hook.json()["error"]["code"] == "database_unavailable"
            assert hook.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
            ready = http.get("/readyz")
            assert ready.status_code == 503 and ready.headers["retry-after"]
            assert http.get("/healthz").status_code == 200

            proxy.restore()
            again = http.get("/acme/portraits")
            assert again.status_code == 200
            assert http.post("/webhooks/stripe", content=payload, headers=headers).json() == {
                "received": True,
                "outcome": "unknown_session",
            }
            assert http.get("/readyz").status_code == 200
            # Every answer, the 503s included, came on the first keep-alive connection.
            assert _local_port(again) == port
    assert APP_RAISED not in log.read_text(errors="replace")


def test_a_sqlite_file_that_cannot_be_opened_is_a_503_until_it_can(
    sqlite_template: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(sqlite_template, data / "minis.db")
    url = f"sqlite:///{data / 'minis.db'}"
    _world(url)
    log = tmp_path / "uvicorn.log"
    # The file can't be opened from the start: a connection the pool already holds keeps
    # its open file (db/sqlite_pool.py), so only a process that must open one sees this.
    data.rename(tmp_path / "elsewhere")
    with (
        live_server(url, extra_env=UNCACHED, log_path=log) as base,
        httpx2.Client(base_url=base, timeout=10) as http,
    ):
        _assert_unavailable_page(http.get("/acme/portraits"))
        assert http.get("/readyz").status_code == 503
        assert http.get("/healthz").status_code == 200
        (tmp_path / "elsewhere").rename(data)
        assert http.get("/acme/portraits").status_code == 200
        assert http.get("/readyz").status_code == 200
    assert APP_RAISED not in log.read_text(errors="replace")


def test_a_mistake_in_a_query_is_a_bug_not_an_outage(db_url: str) -> None:
    """Only outages become 503s: bad SQL and bad arguments stay errors that get fixed."""

    async def mistakes(db: Database) -> list[Exception]:
        errors = []
        for sql, values in (
            ("SELECT * FROM no_such_table", None),
            ("SELEC 1", None),
            ("SELECT id FROM studios WHERE id = :id", {"id": "not a number"}),
        ):
            try:
                await db.fetch_all(sql, values)
            except Exception as exc:
                errors.append(exc)
        return errors

    errors = run_db(db_url, mistakes)
    assert len(errors) >= 2 and not [e for e in errors if is_unavailable(e)], errors


@on_postgres
def test_stalled_request_bodies_hold_no_database_connection_and_get_a_408(
    db_url: str, tmp_path: Path
) -> None:
    slot = _world(db_url).slots["portraits"][0]
    log = tmp_path / "uvicorn.log"
    env = {"MINIS_REQUEST_BODY_TIMEOUT": str(BODY_TIMEOUT), **UNCACHED}
    with live_server(db_url, extra_env=env, log_path=log) as base:
        stalled = [
            _stall(base, f"/acme/portraits/book?slot={slot}") for _ in range(STALLED_CLIENTS)
        ]
        started = time.monotonic()
        try:
            time.sleep(0.5)  # every stalled request has reached the app
            with httpx2.Client(base_url=base, timeout=3) as http:
                for _ in range(5):
                    asked = time.monotonic()
                    assert http.get("/acme/portraits").status_code == 200
                    assert time.monotonic() - asked < 1.5
            # All of that while the stalled requests were still waiting for their bodies.
            assert time.monotonic() - started < BODY_TIMEOUT
            for sock in stalled:
                sock.settimeout(BODY_TIMEOUT + 5)
                reply = _read_until_closed(sock)
                assert reply.startswith(b"HTTP/1.1 408 "), reply
                assert b"connection: close" in reply.lower()
                assert b"took too long" in reply
            assert BODY_TIMEOUT - 0.5 < time.monotonic() - started < BODY_TIMEOUT + 3
        finally:
            for sock in stalled:
                sock.close()
    assert APP_RAISED not in log.read_text(errors="replace")


async def _traffic(base: str, slots: list[tuple[str, int]], stop: asyncio.Event, n: int) -> None:
    """One client: pages and bookings (write transactions), over and over until ``stop``."""
    async with httpx2.AsyncClient(base_url=base, timeout=10) as http:
        while not stop.is_set():
            mini, slot = random.choice(slots)
            details = {
                "name": "Ada Lovelace",
                "email": f"ada{n}@example.com",
                "phone": "+12125550143",
            }
            try:
                if n % 2:
                    await http.post(f"/acme/{mini}/book?slot={slot}", data=details)
                else:
                    await http.get(f"/acme/{mini}")
            except httpx2.HTTPError:
                pass  # a request caught in a frozen database times out; the next one goes on
            await asyncio.sleep(0.01)


async def _outages_under_traffic(base: str, proxy: TcpProxy, slots: list[tuple[str, int]]) -> None:
    stop = asyncio.Event()
    clients = [asyncio.create_task(_traffic(base, slots, stop, n)) for n in range(20)]
    try:
        for outage in ("cut", "freeze", "cut", "freeze", "cut"):
            await asyncio.sleep(1)
            await asyncio.to_thread(proxy.cut if outage == "cut" else proxy.freeze)
            await asyncio.sleep(1.5)
            await asyncio.to_thread(proxy.restore if outage == "cut" else proxy.thaw)
        await asyncio.sleep(1)
    finally:
        stop.set()
        await asyncio.gather(*clients)


async def _connections_in_use_at_once(db_url: str, base: str) -> tuple[int, list[int]]:
    """How many of the server's connections can be busy at once: a direct connection locks a
    table every page reads, more pages than the pool holds are asked for, and the server's
    sessions waiting on the lock are counted before it is let go."""
    admin = await asyncpg.connect(db_url)
    database = db_url.rsplit("/", 1)[1]
    try:
        lock = admin.transaction()
        await lock.start()
        await admin.execute("LOCK TABLE studios IN ACCESS EXCLUSIVE MODE")
        limits = httpx2.Limits(max_connections=POOL_SIZE + 2)
        async with httpx2.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
            pages = [asyncio.create_task(http.get("/acme/portraits")) for _ in range(POOL_SIZE + 2)]
            waiting, deadline = 0, time.monotonic() + 8
            while waiting < POOL_SIZE and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                waiting = await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = $1 AND wait_event_type = 'Lock'",
                    database,
                )
            await lock.rollback()
            statuses = [page.status_code for page in await asyncio.gather(*pages)]
    finally:
        await admin.close()
    return waiting, statuses


@on_postgres
def test_outages_under_traffic_leave_every_pooled_connection_usable_and_sigterm_exits(
    db_url: str, tmp_path: Path
) -> None:
    world = _world(db_url)
    slots = [(mini, slot) for mini in ("portraits", "family") for slot in world.slots[mini]]
    log = tmp_path / "minis.log"
    with (
        tcp_proxy_for(db_url) as proxy,
        minis_serve(proxy.url_for(db_url), log, extra_env=UNCACHED) as served,
    ):
        asyncio.run(_outages_under_traffic(served.base, proxy, slots))
        with httpx2.Client(base_url=served.base, timeout=10) as http:
            assert http.get("/acme/portraits").status_code == 200  # back without a restart
            assert http.get("/readyz").status_code == 200
        waiting, statuses = asyncio.run(_connections_in_use_at_once(db_url, served.base))
        assert waiting == POOL_SIZE
        assert statuses == [200] * (POOL_SIZE + 2)

        asked = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        served.process.wait(timeout=30)
        assert time.monotonic() - asked < 3
    output = log.read_text(errors="replace")
    assert "Connection is already acquired" not in output
    assert APP_RAISED not in output


@on_postgres
def test_sigterm_exits_in_bounded_time_while_the_database_hangs(
    db_url: str, tmp_path: Path
) -> None:
    _world(db_url)
    log = tmp_path / "minis.log"
    with (
        tcp_proxy_for(db_url) as proxy,
        minis_serve(proxy.url_for(db_url), log, extra_env=UNCACHED) as served,
    ):
        assert httpx2.get(f"{served.base}/acme/portraits", timeout=10).status_code == 200
        proxy.freeze()
        try:

            async def hung_pages() -> None:
                async with httpx2.AsyncClient(base_url=served.base, timeout=60) as http:
                    pages = [asyncio.create_task(http.get("/acme/portraits")) for _ in range(3)]
                    await asyncio.sleep(1)  # all three are waiting on the database
                    asked = time.monotonic()
                    served.process.send_signal(signal.SIGTERM)
                    await asyncio.to_thread(served.process.wait, 60)
                    took = time.monotonic() - asked
                    # Requests get their grace, the mail sender finds the database silent
                    # (readiness, 2 s), the pool is closed or terminated, the loops wind down.
                    bound = GRACEFUL_SHUTDOWN_SECONDS + 2 + DATABASE_CLOSE_SECONDS
                    assert took < bound + TASK_EXIT_SECONDS + 2, took
                    # Each was told to try again: a page waiting for a new connection when
                    # its connect timed out, one waiting on a query when shutdown cut it short.
                    for page in await asyncio.gather(*pages):
                        _assert_unavailable_page(page, keep_alive=False)  # shutting down

            asyncio.run(hung_pages())
        finally:
            proxy.thaw()


@on_postgres
def test_a_transaction_that_fails_at_commit_gives_its_connection_back(db_url: str) -> None:
    """A COMMIT that raises on a healthy connection (here a deferred foreign key) left
    ``databases`` counting the connection as in use: it never went back to the pool."""

    async def commit_fails(scope: dict, receive: object, send: object) -> None:
        async with write_transaction(db):
            await db.execute("CREATE TEMP TABLE parent (id int PRIMARY KEY)")
            await db.execute(
                "CREATE TEMP TABLE child (parent int REFERENCES parent"
                " DEFERRABLE INITIALLY DEFERRED)"
            )
            await db.execute("INSERT INTO child VALUES (1)")  # checked at COMMIT

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        pass

    db = create_database(db_url)

    async def scenario() -> bool:
        await db.connect()
        middleware = RequestConnection(commit_fails, db)
        for _ in range(POOL_SIZE + 2):  # more requests than the pool has connections
            with pytest.raises(asyncpg.ForeignKeyViolationError):
                await asyncio.wait_for(
                    middleware({"type": "http", "path": "/x", "method": "POST"}, receive, send),
                    5,
                )

        async def busy() -> None:
            await db.fetch_val("SELECT pg_sleep(0.5)")

        # All of the pool at once, each task on its own connection.
        await asyncio.wait_for(asyncio.gather(*(busy() for _ in range(POOL_SIZE))), 5)
        return await close_database(db, 3)

    assert asyncio.run(scenario()) is True


def _until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


@on_postgres
def test_processes_started_while_the_database_is_down_serve_503s_and_recover(
    db_url: str, tmp_path: Path
) -> None:
    """A web worker that uvicorn respawns, or a `minis worker` a supervisor restarts, during
    an outage must come up and wait for the database: a process that can't start would take
    the whole `minis serve` down with it, or stop email and hold sweeps until a human acts."""
    _world(db_url)
    with tcp_proxy_for(db_url) as proxy:
        proxy.cut()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MINIS_")},
            "MINIS_DATABASE_URL": proxy.url_for(db_url),
            "MINIS_SECRET_KEY": STRONG_SECRET_KEY,
        }
        worker = subprocess.Popen([MINIS, "worker"], env=env, stderr=subprocess.PIPE, text=True)
        try:
            with (
                live_server(
                    proxy.url_for(db_url), extra_env=UNCACHED, log_path=tmp_path / "web.log"
                ) as base,
                httpx2.Client(base_url=base, timeout=10) as http,
            ):
                _assert_unavailable_page(http.get("/acme/portraits"))
                assert http.get("/readyz").status_code == 503
                time.sleep(1)
                assert worker.poll() is None  # still running, waiting for the database
                proxy.restore()
                assert _until(lambda: http.get("/acme/portraits").status_code == 200, 15)
                assert http.get("/readyz").status_code == 200
        finally:
            worker.send_signal(signal.SIGINT)
            errors = worker.communicate(timeout=30)[1]
    assert worker.returncode == 0, errors
