"""A client that goes away in the middle of its request is one line in the log, not an error.

Against a real uvicorn: a raw socket sends the headers and part of the body, then closes.
Starlette's ``request.form()`` / ``request.body()`` raise ClientDisconnect; unhandled, it
was logged as an error with two tracebacks (ours and uvicorn's).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx2

from tests.support.live_server import live_server, minis_serve
from tests.support.stripe_server import SECRET_KEY, WEBHOOK_SECRET
from tests.support.world import World

BOUNDARY = "minis-boundary"


def send_part_and_close(port: int, path: str, headers: dict[str, str], body: bytes) -> None:
    """Promise 1,000 more bytes than are sent, then hang up."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head += f"Content-Length: {len(body) + 1000}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode() + body)
        time.sleep(0.2)  # the app is waiting for the rest of the body


def test_a_client_gone_mid_body_is_one_line_without_a_traceback(
    db_url: str, world: World, tmp_path: Path
) -> None:
    log = tmp_path / "uvicorn.log"
    cases = {
        # the details form (urlencoded), the login form (multipart), a Stripe event (raw body)
        f"/acme/portraits/book?slot={world.slots['portraits'][0]}": (
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"name=Ada&email=ada%40exa",
        ),
        "/admin": (
            {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="email"\r\n\r\nada'.encode(),
        ),
        "/webhooks/stripe": (
            {"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00"},
            b'{"id": "evt_1", "type": "checkout.se',
        ),
    }
    expected = [f"client disconnected before sending all of POST {urlsplit(p).path}" for p in cases]
    stripe = {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}
    with live_server(
        db_url, extra_env=stripe, log_path=log, log_level="info", app_log_level="info"
    ) as base:
        port = urlsplit(base).port
        assert port is not None
        for path, (headers, body) in cases.items():
            send_part_and_close(port, path, headers, body)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(e in log.read_text() for e in expected):
            time.sleep(0.1)
        assert httpx2.get(f"{base}/healthz", timeout=5).status_code == 200  # still serving
    text = log.read_text()
    assert "Traceback" not in text, text
    assert "Exception in ASGI application" not in text and "unhandled error" not in text
    for line in expected:
        assert text.count(line) == 1, text


def test_minis_serve_writes_the_apps_own_lines_to_its_log(
    db_url: str, world: World, tmp_path: Path
) -> None:
    """Production's `minis serve` shows what the app logs (here: a client gone mid-body),
    not just uvicorn's own lines."""
    log = tmp_path / "minis.log"
    path = f"/acme/portraits/book?slot={world.slots['portraits'][0]}"
    line = "client disconnected before sending all of POST /acme/portraits/book"
    with minis_serve(db_url, log) as served:
        port = urlsplit(served.base).port
        assert port is not None
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        send_part_and_close(port, path, form, b"name=Ada")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and line not in log.read_text():
            time.sleep(0.1)
    text = log.read_text()
    assert text.count(line) == 1 and "Traceback" not in text, text
