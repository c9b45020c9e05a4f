"""A real uvicorn (one or several worker processes) on a free local port; or ``minis serve``."""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
import uvicorn.config

from .keys import STRONG_SECRET_KEY
from .server_forks import ForkedServer, ServerForks

ROOT = Path(__file__).resolve().parents[2]
# `minis` as the console script runs it, from this checkout's code.
MINIS_COMMAND = [sys.executable, "-c", "from widget_server.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(
    database_url: str,
    *,
    workers: int = 1,
    secret_key: str = STRONG_SECRET_KEY,
    extra_env: dict[str, str] | None = None,
    log_path: Path | None = None,
    log_level: str = "warning",
    app_log_level: str | None = None,
    forks: ServerForks | None = None,
) -> Iterator[str]:
    """Serve the demo app (test-card payments) with uvicorn on a migrated database; yields
    the base URL.

    ``app_log_level`` also sends the app's own log (the ``minis`` loggers, which uvicorn
    leaves unconfigured) to the log at that level, in uvicorn's format. With ``forks``, a
    one-worker server is forked from there (tests/support/server_forks.py), not started
    as a new program.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MINIS_")},
        "MINIS_DATABASE_URL": database_url,
        "MINIS_SECRET_KEY": secret_key,
        "MINIS_BASE_URL": base,
        # Load tests play many clients who all come from 127.0.0.1 here; the limit on
        # holds per address has its own tests (tests/test_abuse.py).
        "MINIS_HOLDS_PER_ADDRESS": "none",
        **(extra_env or {}),
    }
    log_config = _log_config(app_log_level) if app_log_level else None
    args = [
        "widget_server.app:demo_app_from_env",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        log_level,
        *(["--log-config", str(log_config)] if log_config else []),
    ]
    process: subprocess.Popen[bytes] | ForkedServer
    log = None
    if forks is not None and workers == 1:
        process = forks.start(args, env, log_path)
    else:
        log = open(log_path, "wb") if log_path else None  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", *args],
            cwd=ROOT,
            env=env,
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base, process, workers)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            log.close()
        if log_config:
            log_config.unlink()


def _log_config(app_level: str) -> Path:
    """uvicorn's own logging configuration, plus the ``minis`` loggers at ``app_level``."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["minis"] = {"handlers": ["default"], "level": app_level.upper()}
    handle, name = tempfile.mkstemp(prefix="minis-log-", suffix=".json")
    with os.fdopen(handle, "w") as file:
        json.dump(config, file)
    return Path(name)


@dataclass
class Served:
    base: str
    process: subprocess.Popen[bytes]


@contextmanager
def minis_serve(
    database_url: str,
    log_path: Path,
    extra_env: dict[str, str] | None = None,
    *,
    workers: int = 1,
) -> Iterator[Served]:
    """``minis serve`` (migrations, then uvicorn as production runs it), ``workers`` workers.

    The test may stop it itself (e.g. with SIGTERM); whatever is left is killed at the end.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MINIS_")},
        "MINIS_DATABASE_URL": database_url,
        "MINIS_SECRET_KEY": STRONG_SECRET_KEY,
        "MINIS_BASE_URL": base,
        **(extra_env or {}),
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                *MINIS_COMMAND,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(base, process, workers)
            yield Served(base, process)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def _wait_until_up(
    base: str, process: subprocess.Popen[bytes] | ForkedServer, workers: int
) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited ({process.returncode}); its log says why")
        try:
            if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                # With several workers, give the others a moment to bind too.
                time.sleep(0.5 * (workers > 1))
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.02)
    raise RuntimeError("uvicorn did not start within 90 s")
