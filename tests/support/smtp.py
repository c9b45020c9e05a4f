"""A real SMTP server in the test process (aiosmtpd), on a free 127.0.0.1 port.

It runs in its own thread (aiosmtpd's Controller), so the code under test talks
to it over a real socket exactly as it would to a mail provider. It keeps every
message it accepted, can refuse recipients with a 5xx reply, can be stopped
and started again on the same port to play an outage, and can hold one message:
keep it (as a server that has taken it) but not answer until released, the moment
a sender is most exposed to dying.
"""

from __future__ import annotations

import asyncio
import email
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from .live_server import free_port


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage
    raw: bytes  # the DATA as it arrived, before any parsing


@dataclass
class Recorder:
    """aiosmtpd handler: accepts mail, or refuses the recipients listed in ``refuse``.

    With ``hold_first``, the first message is kept, then its reply waits until
    ``release`` is set (other sessions go on meanwhile); ``holding`` is set once it is.
    With ``hold_quit``, the reply to each QUIT (the goodbye after a message) waits for
    ``release`` the same way; ``quitting`` is set at the first.
    """

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hold_first: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    hold_quit: bool = False
    quitting: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, envelope.content)
            )
            hold = self.hold_first and not self.holding.is_set()
            if hold:
                self.holding.set()
        if hold:  # on a thread: the server's other sessions go on meanwhile
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold_quit:
            self.quitting.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        return "221 Bye"


class SmtpServer:
    """``with SmtpServer() as smtp:`` ... ``smtp.url``, ``smtp.messages()``, ``smtp.stop()``."""

    def __init__(self, *, hold_first: bool = False, hold_quit: bool = False) -> None:
        self.port = free_port()
        self.recorder = Recorder(hold_first=hold_first, hold_quit=hold_quit)
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=off"

    def start(self) -> None:
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        self.recorder.release.set()  # a held session ends, or stopping would wait for it
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        with self.recorder.lock:
            return [r.message for r in self.recorder.received]

    def raw_messages(self) -> list[bytes]:
        """What was accepted, byte for byte (aiosmtpd undoes only the SMTP dot-stuffing)."""
        with self.recorder.lock:
            return [r.raw for r in self.recorder.received]

    def wait_for(self, count: int, timeout: float = 20) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages()

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
