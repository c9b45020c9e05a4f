"""A web worker whose supervisor is gone shuts itself down.

``minis serve --workers N`` runs N worker processes under one uvicorn supervisor, which
restarts them and stops them. If the supervisor itself is killed outright (``kill -9``,
the OOM killer), nothing tells the workers: they would go on serving with nobody to
restart them, and hold the port so that a new ``minis serve`` can't start. So each
worker that a supervisor started (``multiprocessing.parent_process()``: uvicorn spawns
its workers with multiprocessing) watches it, and when it is gone stops the way SIGTERM
stops it: requests in hand are answered and the email being sent is finished.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from multiprocessing.process import BaseProcess

logger = logging.getLogger("minis")

POLL_SECONDS = 0.5
# After SIGTERM, how long a graceful shutdown may take before the worker exits anyway
# (the mail sender alone may take 70 s to finish the email in hand).
GRACE_SECONDS = 90.0


def supervisor() -> BaseProcess | None:
    """The process that started this one through multiprocessing, or None when this one
    runs on its own (``minis serve`` with one worker, ``minis demo``, the tests)."""
    return multiprocessing.parent_process()


def is_gone(parent: BaseProcess, parent_pid: int) -> bool:
    # POSIX re-parents an orphan (to init or a subreaper); Windows doesn't, but there the
    # parent's sentinel (a pipe multiprocessing keeps open in the parent) says it ended.
    return os.getppid() != parent_pid or not parent.is_alive()


async def stop_when_supervisor_dies(parent: BaseProcess, poll: float = POLL_SECONDS) -> None:
    """Poll until ``parent`` is gone, then SIGTERM this process (uvicorn's graceful stop),
    with a hard exit after GRACE_SECONDS in case that stop hangs."""
    parent_pid = parent.pid
    assert parent_pid is not None  # a parent process has started, so it has a pid
    while True:  # nothing to wait on portably: a dead parent sends no event
        await asyncio.sleep(poll)
        if is_gone(parent, parent_pid):
            break
    logger.warning("minis serve (pid %s) is gone: this worker stops too", parent_pid)
    deadline = threading.Timer(GRACE_SECONDS, os._exit, args=(1,))
    deadline.daemon = True
    deadline.start()
    signal.raise_signal(signal.SIGTERM)
