"""6. Faults under traffic: database cuts and a freeze, SIGKILLed web and background
workers, then the invariants checked in the database.

``python -m bench.faults`` (``make faults``). PostgreSQL only (a scratch database
``minis_bench_*``, dropped at the end). ``minis serve --workers 2`` (the production path:
strong key, no demo mode, so clients pay with the offline method) and a ``minis worker``
(``MINIS_BACKGROUND_JOBS=worker`` on the web processes) reach the database through
``tests/support/tcp_proxy.py``; emails go to an aiosmtpd server in this process. Keep-alive
clients run the booking flow while faults are injected on a schedule. Afterwards the
worker is left to drain the outbox (a lease left by a killed or cut-off sender runs out
after ``db/outbox.LEASE``, so this can take five minutes), then the invariants of
ARCHITECTURE.md are counted in the database. Exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from email import policy
from pathlib import Path
from typing import Any

import httpx2
from databases import Database

from tests.support.databases import run_db
from tests.support.keys import STRONG_SECRET_KEY
from tests.support.live_server import MINIS_COMMAND, ROOT, free_port
from tests.support.smtp import Recorder, SmtpServer
from tests.support.tcp_proxy import TcpProxy, tcp_proxy_for
from widget_server.booking.slots import SessionDayPlan, create_session_day
from widget_server.db.outbox import LEASE
from widget_server.db.tables import locations, mini_sessions
from widget_server.studio.accounts import create_studio

from .fixtures import postgres_admin_url, scratch_postgres
from .report import heading, note, table

STUDIO, MINI = "bench", "faults"
TZ = "America/New_York"
# Three days of ten 20-minute slots, capacities 1, 2 and 3: 30 slots, 60 spots. The days
# are far enough ahead that cancelling is allowed (48 h cutoff) and no reminder is due.
DAYS = ((4, 1), (5, 2), (6, 3))  # (days from now, capacity)
SLOTS_PER_DAY = 10
SLOT_MINUTES = 20
HOLD_MINUTES = 1  # the smallest hold: abandoned holds lapse within the run
CLIENTS = 16
TRAFFIC_SECONDS = 60.0
CLIENT_TIMEOUT = 30.0
ABANDON = 0.15  # share of holds left to lapse
CANCEL = 0.4  # share of bookings cancelled from the confirmation page
FINE = {"booked", "booked, then cancelled", "hold left to lapse", "slot taken"}
# An answer within this long after a fault ends still counts as inside its window.
GRACE_SECONDS = 3.0
# How long the worker gets to send everything: a lease left on an email by a sender that
# was killed (or cut off from the database) after the server took it runs out first.
DRAIN_SECONDS = LEASE.total_seconds() + 120
# `minis worker` runs the upkeep every 15 s: a hold lapsed longer ago should be released.
UPKEEP_SLACK_SECONDS = 30
# deploy/minis-worker.service: Restart=always, RestartSec=2.
RESTART_SECONDS = 2.0
APP_RAISED = "Exception in ASGI application"
TOKEN = re.compile(r"^/b/([^/?#]+)")
MESSAGE_ID = re.compile(r"<minis\.(\d+)\.\d+@")


# The system under test ----------------------------------------------------------------


async def _seed(db: Database) -> list[int]:
    now = datetime.now(UTC)
    studio_id = await create_studio(
        db,
        slug=STUDIO,
        name="Fault Bench Photo",
        notify_email="studio@example.com",
        timezone=TZ,
        currency="USD",
        now=now,
        offline_instructions="Bank transfer to BENCH 123.",
    )
    location_id = await db.execute(
        locations.insert().values(
            studio_id=studio_id, name="Park", address="", map_url="", notes="", timezone=TZ
        )
    )
    mini_id = await db.execute(
        mini_sessions.insert().values(
            studio_id=studio_id,
            slug=MINI,
            title="Fault Minis",
            description="Booked while things break.",
            price_minor=15000,
            deposit_minor=None,
            visibility="public",
            booking_process="quote",
            payment_methods="offline",
            hold_minutes=HOLD_MINUTES,
            min_notice_hours=2,
            terms="",
            reminder_hours=0,
            offline_pay_hours=0,
        )
    )
    for days, capacity in DAYS:
        plan = SessionDayPlan(
            (now + timedelta(days=days)).date(),
            wall(9),
            wall(9 + SLOTS_PER_DAY * SLOT_MINUTES // 60, SLOTS_PER_DAY * SLOT_MINUTES % 60),
            SLOT_MINUTES,
            0,
            capacity,
            TZ,
        )
        await create_session_day(db, mini_session_id=mini_id, location_id=location_id, plan=plan)
    rows = await db.fetch_all("SELECT id FROM slots ORDER BY starts_at, id")
    return [int(r["id"]) for r in rows]


@dataclass
class TimedRecorder(Recorder):
    """The tests' aiosmtpd handler, also noting when each Message-ID arrived."""

    arrivals: list[tuple[int, float]] = field(default_factory=list)  # (outbox id, monotonic)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        match = MESSAGE_ID.search(str(parsed.get("Message-ID", "")))
        with self.lock:
            self.arrivals.append((int(match.group(1)) if match else -1, time.monotonic()))
        return reply


class System:
    """``minis serve --workers 2`` and one ``minis worker``, through the proxy."""

    def __init__(self, database_url: str, smtp_url: str, logs: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logs = logs
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MINIS_")},
            "MINIS_DATABASE_URL": database_url,
            "MINIS_SECRET_KEY": STRONG_SECRET_KEY,
            "MINIS_BASE_URL": self.base,
            "MINIS_SMTP_URL": smtp_url,
            "MINIS_MAIL_FROM": "Minis <bookings@example.com>",
            "MINIS_BACKGROUND_JOBS": "worker",
            # Every client comes from 127.0.0.1 here; each flow uses its own email.
            "MINIS_HOLDS_PER_ADDRESS": "none",
        }
        self.serve: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.workers_started = 0
        # `minis worker` exits that nobody asked for, with their exit codes; it is
        # started again after RESTART_SECONDS, as deploy/minis-worker.service does.
        self.worker_exits: list[int] = []
        self._exited_at: float | None = None

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        with open(self.logs / log_name, "ab") as log:
            return subprocess.Popen(
                [*MINIS_COMMAND, *args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def start(self) -> None:
        self.serve = self._spawn(
            ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "2"],
            "serve.log",
        )
        self.start_worker()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.serve.poll() is not None:
                raise RuntimeError(f"minis serve exited with {self.serve.returncode}")
            if len(self.web_workers()) == 2 and self._ready():
                return
            time.sleep(0.2)
        raise RuntimeError("minis serve did not start two workers within 60 s")

    def _ready(self) -> bool:
        try:
            return httpx2.get(f"{self.base}/readyz", timeout=2).status_code == 200
        except httpx2.HTTPError:
            return False

    def start_worker(self) -> None:
        self.worker = self._spawn(["worker", "--mail-interval", "1"], "worker.log")
        self.workers_started += 1
        self._exited_at = None

    def keep_worker_alive(self) -> None:
        """systemd's ``Restart=always``, ``RestartSec=2`` for ``minis worker``."""
        assert self.worker is not None
        code = self.worker.poll()
        if code is None:
            return
        if self._exited_at is None:
            self._exited_at = time.monotonic()
            self.worker_exits.append(code)
        elif time.monotonic() - self._exited_at >= RESTART_SECONDS:
            self.start_worker()

    def serving(self) -> bool:
        """The supervisor is up with both of its workers."""
        assert self.serve is not None
        return self.serve.poll() is None and len(self.web_workers()) == 2

    def web_workers(self) -> list[int]:
        """Pids of uvicorn's worker processes: the supervisor's children it spawned."""
        assert self.serve is not None
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            if ppid == self.serve.pid and b"spawn_main" in cmdline:
                found.append(int(entry.name))
        return sorted(found)

    def stop(self) -> None:
        for process in (self.worker, self.serve):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.worker, self.serve):
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# Traffic ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    step: str
    status: int | None  # None: no answer (the exception's name in ``error``)
    began: float
    ended: float
    error: str = ""


@dataclass
class Traffic:
    requests: list[Request] = field(default_factory=list)
    flows: Counter[str] = field(default_factory=Counter)


async def _client(base: str, n: int, slots: list[int], until: float, traffic: Traffic) -> None:
    rng = random.Random(n)
    limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx2.AsyncClient(
        base_url=base, limits=limits, timeout=CLIENT_TIMEOUT, trust_env=False
    ) as http:

        async def ask(step: str, method: str, path: str, **kw: Any) -> httpx2.Response | None:
            began = time.monotonic()
            try:
                response = await http.request(method, path, **kw)
            except httpx2.HTTPError as exc:
                traffic.requests.append(
                    Request(step, None, began, time.monotonic(), type(exc).__name__)
                )
                return None
            traffic.requests.append(Request(step, response.status_code, began, time.monotonic()))
            return response

        flow = 0
        while time.monotonic() < until:
            flow += 1
            outcome = await _flow(ask, rng, slots, f"c{n}-{flow}@example.com")
            traffic.flows[outcome] += 1
            # A person between two bookings; one told "try again in a moment" waits a bit.
            pause = (0.05, 0.3) if outcome in FINE else (0.5, 1.5)
            await asyncio.sleep(rng.uniform(*pause))


async def _flow(ask: Any, rng: random.Random, slots: list[int], address: str) -> str:
    """One client's visit; returns how it ended."""
    page = await ask("mini page", "GET", f"/{STUDIO}/{MINI}")
    if page is None or page.status_code != 200:
        return "mini page failed"
    slot = rng.choice(slots)
    details = {"name": "Bench Client", "email": address, "phone": "+12125550143"}
    held = await ask("details (hold)", "POST", f"/{STUDIO}/{MINI}/book?slot={slot}", data=details)
    if held is None or held.status_code != 303:
        return "slot taken" if held is not None and held.status_code == 409 else "hold failed"
    match = TOKEN.match(held.headers.get("location", ""))
    if match is None:
        return "hold failed"
    token = match.group(1)
    if rng.random() < ABANDON:
        return "hold left to lapse"
    quote = await ask("accept quote", "POST", f"/b/{token}/quote")
    if quote is None or quote.status_code != 303:
        return "quote failed"
    paid = await ask("pay offline", "POST", f"/b/{token}/pay/offline")
    if paid is None or paid.status_code != 303:
        return "payment failed"
    await ask("confirmation", "GET", f"/b/{token}")
    if rng.random() >= CANCEL:
        return "booked"
    cancelled = await ask("cancel", "POST", f"/b/{token}/cancel", data={"confirm": "yes"})
    if cancelled is None or cancelled.status_code != 303:
        return "cancel failed"
    return "booked, then cancelled"


# Faults ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    kind: str
    began: float
    ended: float
    detail: str = ""

    @property
    def seconds(self) -> float:
        return self.ended - self.began

    @property
    def hits_http(self) -> bool:
        return self.kind != "SIGKILL minis worker"


def _schedule() -> list[tuple[float, str, float]]:
    """(start as a share of the run, kind, duration s)."""
    return [
        (0.08, "database cut", 3.0),
        (0.20, "SIGKILL web worker", 0.0),
        (0.32, "database cut", 2.0),
        (0.45, "database freeze", 4.0),
        (0.58, "SIGKILL minis worker", 0.0),
        (0.70, "database cut", 5.0),
        (0.85, "database cut", 2.0),
    ]


async def _inject(system: System, proxy: TcpProxy, t0: float, seconds: float) -> list[Fault]:
    faults = []
    for share, kind, duration in _schedule():
        await asyncio.sleep(max(0.0, t0 + share * seconds - time.monotonic()))
        began = time.monotonic()
        detail = ""
        if kind == "database cut":
            await asyncio.to_thread(proxy.cut)
            await asyncio.sleep(duration)
            await asyncio.to_thread(proxy.restore)
        elif kind == "database freeze":
            await asyncio.to_thread(proxy.freeze)
            await asyncio.sleep(duration)
            await asyncio.to_thread(proxy.thaw)
        elif kind == "SIGKILL web worker":
            before = system.web_workers()
            victim = random.choice(before)
            os.kill(victim, signal.SIGKILL)
            # uvicorn's supervisor checks its workers every 0.5 s and replaces a dead one.
            deadline = time.monotonic() + 30
            now = before
            while time.monotonic() < deadline:
                now = system.web_workers()
                if victim not in now and len(now) == 2:
                    break
                await asyncio.sleep(0.1)
            replaced = victim not in now and len(now) == 2
            detail = f"pid {victim}; " + (
                f"replaced by {sorted(set(now) - set(before))[0]}"
                if replaced
                else "NOT replaced within 30 s"
            )
        elif kind == "SIGKILL minis worker":
            assert system.worker is not None
            victim = system.worker.pid
            system.worker.kill()
            await asyncio.to_thread(system.worker.wait)
            system.start_worker()
            detail = f"pid {victim}; new worker pid {system.worker.pid}"
        faults.append(Fault(kind, began, time.monotonic(), detail))
    return faults


# Checks ----------------------------------------------------------------------------------


async def _pending_work(db: Database) -> tuple[int, int, int]:
    """Emails not sent yet, refunds owed not done, holds not lapsed and released yet."""
    emails = await db.fetch_val("SELECT count(*) FROM outbox WHERE status = 'pending'")
    refunds = await db.fetch_val("SELECT count(*) FROM refund_intents WHERE state = 'pending'")
    holds = await db.fetch_val("SELECT count(*) FROM bookings WHERE status = 'held'")
    return int(emails), int(refunds), int(holds)


def _drain(url: str, system: System) -> tuple[float, tuple[int, int, int]]:
    started = time.monotonic()
    last_note = started
    left = run_db(url, _pending_work)
    while any(left) and time.monotonic() - started < DRAIN_SECONDS:
        if time.monotonic() - last_note >= 30:
            note(
                f"draining: {left[0]} emails, {left[1]} refunds, {left[2]} holds "
                f"left after {time.monotonic() - started:.0f} s"
            )
            last_note = time.monotonic()
        time.sleep(1)
        system.keep_worker_alive()
        left = run_db(url, _pending_work)
    return time.monotonic() - started, left


@dataclass
class Check:
    name: str
    checked: int
    violations: int
    detail: str = ""


async def _database_checks(db: Database) -> tuple[list[Check], dict[int, str], dict[str, int]]:
    checks = []
    slot_rows = await db.fetch_all(
        "SELECT s.id, s.taken, s.capacity,"
        " count(b.id) FILTER (WHERE b.status IN ('held', 'booked')) AS live"
        " FROM slots s LEFT JOIN bookings b ON b.slot_id = s.id GROUP BY s.id"
    )
    wrong = [r for r in slot_rows if r["taken"] != r["live"]]
    checks.append(
        Check(
            "slots.taken = live holds + bookings",
            len(slot_rows),
            len(wrong),
            ", ".join(f"slot {r['id']}: taken {r['taken']}, live {r['live']}" for r in wrong),
        )
    )
    outside = [r for r in slot_rows if not 0 <= r["taken"] <= r["capacity"]]
    checks.append(Check("0 <= taken <= capacity", len(slot_rows), len(outside)))
    booked = int(await db.fetch_val("SELECT count(*) FROM bookings WHERE status = 'booked'"))
    unpaid = int(
        await db.fetch_val(
            "SELECT count(*) FROM bookings b WHERE b.status = 'booked'"
            " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.booking_id = b.id)"
        )
    )
    checks.append(Check("booked bookings have their payment row", booked, unpaid))
    payments = int(await db.fetch_val("SELECT count(*) FROM payments"))
    twice = int(
        await db.fetch_val(
            "SELECT count(*) FROM (SELECT 1 FROM payments"
            " GROUP BY method, provider_ref HAVING count(*) > 1) d"
        )
    )
    checks.append(Check("one payment per (method, provider_ref)", payments, twice))
    doubled = int(
        await db.fetch_val(
            "SELECT count(*) FROM (SELECT 1 FROM payments"
            " GROUP BY booking_id HAVING count(*) > 1) d"
        )
    )
    checks.append(Check("one payment per booking (paid once)", payments, doubled))
    # Every booking ever booked has its two "booked" emails; every cancelled one its two
    # "cancelled" emails; exactly one row each.
    bookings = await db.fetch_all(
        "SELECT id, booked_at IS NOT NULL AS was_booked, cancelled_at IS NOT NULL AS cancelled"
        " FROM bookings"
    )
    rows = await db.fetch_all("SELECT booking_id, kind, count(*) AS n FROM outbox GROUP BY 1, 2")
    queued = {(r["booking_id"], r["kind"]): int(r["n"]) for r in rows}
    expected: Counter[tuple[int, str]] = Counter()
    for b in bookings:
        kinds = (["booked", "new_booking"] if b["was_booked"] else []) + (
            ["cancelled", "cancelled_studio"] if b["cancelled"] else []
        )
        for kind in kinds:
            expected[(b["id"], kind)] += 1
    missing = sum(1 for key in expected if queued.get(key, 0) != 1)
    extra = sum(1 for key in queued if key not in expected)
    checks.append(
        Check(
            "each booking/cancellation has its emails, once",
            len(expected),
            missing + extra,
            f"{missing} missing or doubled, {extra} unexpected" if missing + extra else "",
        )
    )
    status_rows = await db.fetch_all("SELECT id, status FROM outbox")
    statuses = {int(r["id"]): r["status"] for r in status_rows}
    not_sent = sum(1 for s in statuses.values() if s != "sent")
    checks.append(Check("outbox rows sent", len(statuses), not_sent))
    intents = await db.fetch_all("SELECT state, count(*) AS n FROM refund_intents GROUP BY 1")
    by_state = {r["state"]: int(r["n"]) for r in intents}
    owed = sum(by_state.values())
    checks.append(
        Check("refund intents done", owed, owed - by_state.get("done", 0), str(by_state or ""))
    )
    lapsed = int(
        await db.fetch_val(
            "SELECT count(*) FROM bookings WHERE status = 'held'"
            f" AND expires_at <= now() - interval '{UPKEEP_SLACK_SECONDS} seconds'"
        )
    )
    expired = int(await db.fetch_val("SELECT count(*) FROM bookings WHERE status = 'expired'"))
    checks.append(Check("lapsed holds released by the upkeep", expired + lapsed, lapsed))
    by_status = await db.fetch_all("SELECT status, count(*) AS n FROM bookings GROUP BY 1")
    return checks, statuses, {r["status"]: int(r["n"]) for r in by_status}


def _mail_checks(
    statuses: dict[int, str], arrivals: list[tuple[int, float]], faults: list[Fault]
) -> tuple[list[Check], int]:
    """Message-IDs aiosmtpd received against the outbox's rows."""
    received = Counter(row for row, _ in arrivals)
    first: dict[int, float] = {}
    for row, at in arrivals:
        first.setdefault(row, at)
    sent = [row for row, status in statuses.items() if status == "sent"]
    never = sum(1 for row in sent if row not in received)
    strangers = sum(n for row, n in received.items() if row not in statuses)
    duplicates = [row for row, n in received.items() if n > 1 and row in statuses]

    def in_flight_at_a_fault(row: int) -> bool:
        at = first[row]
        return any(f.began - GRACE_SECONDS <= at <= f.ended + GRACE_SECONDS for f in faults)

    unexplained = [row for row in duplicates if not in_flight_at_a_fault(row)]
    return [
        Check("sent rows received by SMTP (by Message-ID)", len(sent), never),
        Check("received messages have an outbox row", len(arrivals), strangers),
        Check(
            "duplicate deliveries outside a fault",
            len(duplicates),
            len(unexplained),
            f"rows {unexplained}" if unexplained else "",
        ),
    ], len(duplicates)


def _http_checks(requests: list[Request], faults: list[Fault]) -> tuple[list[Check], int, int]:
    windows = [(f.began, f.ended + GRACE_SECONDS) for f in faults if f.hits_http]

    def inside(r: Request) -> bool:
        return any(r.began <= end and r.ended >= start for start, end in windows)

    server_errors = [r for r in requests if r.status is not None and r.status >= 500]
    not_503 = [r for r in server_errors if r.status != 503]
    outside_503 = [r for r in server_errors if r.status == 503 and not inside(r)]
    inside_503 = sum(1 for r in server_errors if r.status == 503 and inside(r))
    no_answer = [r for r in requests if r.status is None]
    no_answer_outside = [r for r in no_answer if not inside(r)]
    return (
        [
            Check("no 5xx other than 503", len(requests), len(not_503)),
            Check("no 503 outside a fault window", len(requests), len(outside_503)),
            Check(
                "no unanswered request outside a fault window",
                len(requests),
                len(no_answer_outside),
            ),
        ],
        inside_503,
        len(no_answer) - len(no_answer_outside),
    )


# The run ---------------------------------------------------------------------------------


def _during(fault: Fault, traffic: Traffic) -> tuple[int, int, str]:
    """503s, unanswered requests and the slowest answer among requests overlapping the
    fault (plus the grace)."""
    hit = [
        r
        for r in traffic.requests
        if r.began <= fault.ended + GRACE_SECONDS and r.ended >= fault.began
    ]
    slowest = max((r.ended - r.began for r in hit), default=0.0)
    return (
        sum(1 for r in hit if r.status == 503),
        sum(1 for r in hit if r.status is None),
        f"{slowest:.1f}",
    )


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def _traffic_and_faults(
    system: System, proxy: TcpProxy, slots: list[int], clients: int, seconds: float
) -> tuple[Traffic, list[Fault], float, float]:
    """The traffic with the faults injected into it; also its start and length."""
    traffic = Traffic()
    t0 = time.monotonic()
    until = t0 + seconds
    users = [
        asyncio.create_task(_client(system.base, n, slots, until, traffic)) for n in range(clients)
    ]
    injecting = asyncio.create_task(_inject(system, proxy, t0, seconds))
    while not injecting.done() or not all(u.done() for u in users):
        system.keep_worker_alive()
        await asyncio.sleep(0.2)
    faults = injecting.result()
    await asyncio.gather(*users)
    return traffic, faults, t0, time.monotonic() - t0


def run(workdir: Path, *, clients: int = CLIENTS, seconds: float = TRAFFIC_SECONDS) -> int:
    """The whole benchmark; returns the number of violations (0 when there is no PostgreSQL)."""
    heading("6. Faults under traffic, then the invariants")
    admin_url = postgres_admin_url()
    if admin_url is None:
        note("skipped: no PostgreSQL reachable (set MINIS_TEST_POSTGRES_URL)")
        return 0
    started = time.monotonic()
    load_before = _load_average()
    smtp = SmtpServer()
    recorder = TimedRecorder()
    smtp.recorder = recorder
    with scratch_postgres(admin_url) as url:
        slots = run_db(url, _seed)
        smtp.start()
        try:
            with tcp_proxy_for(url) as proxy:
                system = System(proxy.url_for(url), smtp.url, workdir)
                try:
                    system.start()
                    traffic, faults, t0, traffic_seconds = asyncio.run(
                        _traffic_and_faults(system, proxy, slots, clients, seconds)
                    )
                    proxy.restore()
                    proxy.thaw()
                    drain_seconds, left = _drain(url, system)
                    serving = system.serving()
                finally:
                    system.stop()
            checks, statuses, bookings = run_db(url, _database_checks)
        finally:
            smtp.stop()
    mail_checks, duplicates = _mail_checks(statuses, recorder.arrivals, faults)
    http_checks, expected_503, expected_unanswered = _http_checks(traffic.requests, faults)
    serve_log = (workdir / "serve.log").read_text(errors="replace")
    raised = serve_log.count(APP_RAISED)
    checks += mail_checks + http_checks
    checks.append(Check("no bare 500 in the server log (ASGI exception)", 1, raised))
    checks.append(Check("minis serve up with 2 workers at the end", 1, 0 if serving else 1))

    print(
        f"{clients} clients for {traffic_seconds:.0f} s against `minis serve --workers 2` + "
        f"`minis worker` on PostgreSQL through a TCP proxy; {len(slots)} slots, "
        f"{sum(c for _, c in DAYS) * SLOTS_PER_DAY} spots, holds of {HOLD_MINUTES} min"
    )
    by_status = Counter(r.status if r.status is not None else r.error for r in traffic.requests)
    table(
        ["status", "requests"],
        [[str(k), v] for k, v in sorted(by_status.items(), key=lambda kv: str(kv[0]))]
        + [["total", len(traffic.requests)]],
    )
    steps = Counter((r.step, r.status or r.error) for r in traffic.requests)
    table(
        ["step", "status", "requests"],
        [[s, str(st), n] for (s, st), n in sorted(steps.items(), key=str)],
    )
    table(["flow ended", "flows"], traffic.flows.most_common())
    table(
        ["fault", "at s", "lasted s", "503s", "no answer", "slowest answer s", "detail"],
        [
            [f.kind, f"{f.began - t0:.1f}", f"{f.seconds:.1f}", *_during(f, traffic), f.detail]
            for f in faults
        ],
    )
    table(["bookings at the end", "rows"], sorted(bookings.items()))
    table(
        ["invariant", "checked", "violations", "detail"],
        [[c.name, c.checked, c.violations, c.detail] for c in checks],
    )
    violations = sum(c.violations for c in checks)
    note(
        f"expected under faults: {expected_503} 503s and {expected_unanswered} unanswered "
        f"requests inside fault windows; {duplicates} duplicate SMTP deliveries of a message "
        f"in flight at a fault; `minis worker` processes started: {system.workers_started}, "
        f"exits nobody asked for (restarted {RESTART_SECONDS:.0f} s later): "
        f"{len(system.worker_exits)} {system.worker_exits or ''}"
    )
    note(
        f"drain: {drain_seconds:.0f} s (emails, refunds, holds left: {left}); "
        f"elapsed {time.monotonic() - started:.0f} s; load average {load_before} at the "
        f"start, {_load_average()} at the end"
    )
    note(f"violations: {violations}")
    return violations


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, default=TRAFFIC_SECONDS)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory(prefix="minis-faults-") as tmp:
        violations = run(Path(tmp), clients=args.clients, seconds=args.seconds)
        if violations:
            for name in ("serve.log", "worker.log"):
                lines = (Path(tmp) / name).read_text(errors="replace").splitlines()
                print(f"\n--- {name}: errors, then the last lines ---")
                print("\n".join([line for line in lines if line.startswith("ERROR")][:20]))
                print("\n".join(lines[-30:]))
    sys.exit(1 if violations else 0)


if __name__ == "__main__":
    main()
