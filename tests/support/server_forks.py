"""Live uvicorn servers forked from a process that has imported the app once.

Starting ``python -m uvicorn`` costs a fresh interpreter two to three seconds, nearly all
of it importing the app, its database layer and uvicorn: more than most browser tests
take. The e2e tests start a server of their own for each test (a fresh database each), so
``ServerForks`` keeps one process per test worker that has done those imports, and forks
it for each server. The child then runs uvicorn's own command line with the test's
arguments and environment, as ``python -m uvicorn`` would: the same factory builds the
app from the environment, the same lifespan, the same SIGTERM handling; only the
scripts the app serves were minified once, in the parent.
``tests/support/live_server.py`` still starts the multi-worker and ``minis serve`` servers
as separate programs.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]


class ForkedServer:
    """A server forked by the parent process, with the bits of ``subprocess.Popen`` that
    ``live_server`` uses. The parent reaps it (SIGCHLD ignored), so whether it still runs
    is whether its process id is still taken."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # gone; its parent reaped the exit status
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, number)


class ServerForks:
    """``with ServerForks() as forks:`` ... ``forks.start(uvicorn_args, env, log_path)``."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerForks:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINIS_")}
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from tests.support.server_forks import serve; serve()"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is None:
            return
        assert self._process.stdin is not None
        self._process.stdin.close()  # its loop ends at end of input
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def start(self, args: list[str], env: dict[str, str], log_path: Path | None) -> ForkedServer:
        """Fork a server that runs ``uvicorn <args>`` with exactly ``env`` as its
        environment, its output (stdout and stderr) to ``log_path`` (else nowhere)."""
        process = self._process
        assert process is not None and process.stdin and process.stdout, "not started"
        request = {"args": args, "env": env, "log": str(log_path) if log_path else os.devnull}
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        answer = process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the fork server exited with {process.wait()}")
        return ForkedServer(int(answer))


def serve() -> None:
    """The forking process: import once, then fork a server per line of input."""
    import uvicorn  # noqa: F401 - imported here, once, for every child

    import widget_server.app  # noqa: F401
    from widget_server.web import loader

    # What create_app does first, and the slowest of it (half a second): minifying the
    # scripts, cached for the process. A broken script still fails here, at the start.
    loader.minify_all()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they exit
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_child(request)  # never returns
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


def _run_child(request: dict[str, Any]) -> None:
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(request["env"])
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        os.close(null)
        sys.stdin = _reopen(0, "r")
        sys.stdout = _reopen(1, "w")
        sys.stderr = _reopen(2, "w")
        code = _uvicorn(request["args"])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _reopen(fd: int, mode: str) -> IO[str]:
    # Line-buffered, as the log's lines should land while the server runs.
    return open(fd, mode, buffering=1, closefd=False)


def _uvicorn(args: list[str]) -> int:
    """``python -m uvicorn <args>``: uvicorn's command line, its exit status."""
    import uvicorn

    try:
        uvicorn.main.main(args=args, prog_name="uvicorn", standalone_mode=True)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else 1
    return 0
