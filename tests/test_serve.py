"""`minis serve` as deployed, a live subprocess over real HTTP: whose forwarded headers it
believes, HSTS, and its workers when the supervisor is killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

from tests.support.admin import csrf_from
from tests.support.keys import STRONG_SECRET_KEY
from tests.support.live_server import free_port

MINIS = str(Path(sys.executable).with_name("minis"))


@contextmanager
def minis_serve(
    tmp_path: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """`minis serve` on a free port and a fresh SQLite file; yields its URL, its process and
    the file with its output."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MINIS_")}
    log_path = tmp_path / f"serve-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [MINIS, "serve", "--port", str(port), "--workers", str(workers)],
            env={
                **clean,
                "MINIS_DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
                "MINIS_SECRET_KEY": STRONG_SECRET_KEY,
                "MINIS_BASE_URL": base,
                **(env or {}),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base, process, log_path)
        yield base, process, log_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert "Traceback" not in log_path.read_text(errors="replace")


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"minis serve exited:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.HTTPError:
            time.sleep(0.1)
    raise AssertionError("minis serve did not start within 30 s")


def login_statuses(base: str, forwarded_for: list[str]) -> list[int]:
    """One wrong password per X-Forwarded-For value, in order; the responses' statuses."""
    statuses = []
    with httpx2.Client(base_url=base, timeout=10) as browser:
        for address in forwarded_for:
            token = csrf_from(browser.get("/admin").text)
            response = browser.post(
                "/admin",
                data={"email": "owner@acme.test", "password": "guess", "csrf": token},
                headers={"X-Forwarded-For": address},
            )
            statuses.append(response.status_code)
    return statuses


def rotating(count: int) -> list[str]:
    return [f"198.51.100.{i}" for i in range(1, count + 1)]


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(tmp_path: Path) -> None:
    # Nothing configured: a client on 127.0.0.1 (or anywhere) can't pose as other addresses,
    # so the 11th wrong password for one email is refused whatever the header says.
    with minis_serve(tmp_path) as (base, _, log):
        assert login_statuses(base, rotating(11)) == [401] * 10 + [429]
        # Nor can it say it came over https: no Strict-Transport-Security for plain http.
        claimed = httpx2.get(f"{base}/", headers={"X-Forwarded-Proto": "https"})
        assert claimed.status_code == 200
        assert "strict-transport-security" not in claimed.headers
    assert '"POST /admin HTTP/1.1" 401' in log.read_text()  # a line per request


def test_a_trusted_proxys_forwarded_for_is_the_clients_address(tmp_path: Path) -> None:
    # (and no line per request: the proxy logs them)
    trusted = {"MINIS_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8", "MINIS_ACCESS_LOG": "off"}
    with minis_serve(tmp_path, env=trusted) as (base, _, log):
        # Eleven clients behind the proxy: each has its own count.
        assert login_statuses(base, rotating(11)) == [401] * 11
        # One client behind it: limited at the 11th, and only that client.
        assert login_statuses(base, ["203.0.113.7"] * 11) == [401] * 10 + [429]
        assert login_statuses(base, ["203.0.113.8"]) == [401]
        # The proxy terminated TLS: the response tells browsers to keep to https.
        secure = httpx2.get(f"{base}/", headers={"X-Forwarded-Proto": "https"})
        assert secure.headers["strict-transport-security"] == "max-age=31536000"
        assert "strict-transport-security" not in httpx2.get(f"{base}/").headers
    assert "HTTP/1.1" not in log.read_text()


def descendants(pid: int) -> set[int]:
    """Every live process under ``pid`` (Linux /proc), zombies left out: they hold nothing."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            children.setdefault(int(ppid), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # As a server would bind it: closed connections in TIME_WAIT don't count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_workers_exit_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    with minis_serve(tmp_path, workers=2) as (base, supervisor, log):
        port = int(base.rsplit(":", 1)[1])
        deadline = time.monotonic() + 20
        while len(workers := descendants(supervisor.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers) >= 2, workers  # two workers (and multiprocessing's tracker)
        try:
            supervisor.send_signal(signal.SIGKILL)  # as kill -9 or the OOM killer would
            supervisor.wait(timeout=5)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (
                any(alive(pid) for pid in workers) or not port_is_free(port)
            ):
                time.sleep(0.1)
            assert [pid for pid in workers if alive(pid)] == []
            assert port_is_free(port)
            # Each stopped the graceful way (its lifespan's shutdown ran), not by the deadline.
            output = log.read_text()
            assert output.count("is gone: this worker stops too") == 2, output
            assert output.count("Application shutdown complete") == 2, output
            with pytest.raises(httpx2.ConnectError):
                httpx2.get(f"{base}/healthz", timeout=2)
        finally:
            for pid in workers:  # never leave a worker behind, even when the test fails
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
