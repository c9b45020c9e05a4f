"""The database failing under a live server: outages, stalled clients, shutdown.

A real uvicorn serves the app; on PostgreSQL it reaches the database through a TCP
proxy the test cuts and restores (tests/support/tcp_proxy.py), on SQLite the database
file's directory is moved away and back.
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
from databases import Database

from tests.support.databases import run_db
from tests.support.live_server import live_server
from tests.support.stripe_server import SECRET_KEY, WEBHOOK_SECRET, sign
from tests.support.tcp_proxy import tcp_proxy_for
from tests.support.world import World, build_world
from widget_server.db.availability import is_unavailable
from widget_server.web.pages import RETRY_AFTER_SECONDS

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


def _assert_unavailable_page(response: httpx2.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["content-type"].startswith("text/html")
    assert "try again in a moment" in response.text
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
            live_server(url, extra_env=STRIPE_ENV, log_path=log) as base,
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
    with (
        live_server(url, log_path=log) as base,
        httpx2.Client(base_url=base, timeout=10) as http,
    ):
        assert http.get("/acme/portraits").status_code == 200
        data.rename(tmp_path / "elsewhere")  # the file can no longer be opened
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
    env = {"MINIS_REQUEST_BODY_TIMEOUT": str(BODY_TIMEOUT)}
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
