"""Delivery by the sender loop in the app and by `minis worker` processes, against real SMTP."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import accept_quote, book_with_demo_card, start
from tests.support.keys import STRONG_SECRET_KEY
from tests.support.mail import outbox_rows
from tests.support.smtp import SmtpServer
from tests.support.world import World
from tests.test_cli import MINIS
from widget_server.app import create_app
from widget_server.config import Settings
from widget_server.db.tables import outbox


def test_the_app_sends_queued_emails_in_the_background(
    settings: Settings, clock: FakeClock, world: World, db_url: str, smtp: SmtpServer
) -> None:
    app = create_app(settings.with_(smtp_url=smtp.url, run_mailer=True), clock=clock)
    with TestClient(app, follow_redirects=False) as client:
        book_with_demo_card(client, world.slots["portraits"][0])
        received = smtp.wait_for(2, timeout=15)
    assert len(received) == 2
    assert {r["status"] for r in outbox_rows(db_url)} == {"sent"}


def test_two_worker_processes_send_each_email_once(
    client: TestClient, world: World, db_url: str, smtp: SmtpServer
) -> None:
    for slot in world.slots["family"]:
        token = start(client, slot, "family")
        accept_quote(client, token)
        assert client.post(f"/b/{token}/pay/offline").status_code == 303
    expected = len(outbox_rows(db_url))
    assert expected == 2 * len(world.slots["family"]) >= 10

    async def due_now(db: Database) -> None:  # the workers run on the real clock
        await db.execute(
            outbox.update().values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    run_db(db_url, due_now)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MINIS_")}
    env = {
        **clean,
        "MINIS_DATABASE_URL": db_url,
        "MINIS_SECRET_KEY": STRONG_SECRET_KEY,
        "MINIS_SMTP_URL": smtp.url,
        "MINIS_MAIL_FROM": "Bookings <bookings@book.example.com>",
    }
    workers = [
        subprocess.Popen(
            [MINIS, "worker", "--mail-interval", "0.1"], env=env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    try:
        smtp.wait_for(expected, timeout=30)
        time.sleep(1)  # time for a duplicate to show up, were there one
    finally:
        errors = []
        for worker in workers:
            worker.send_signal(signal.SIGINT)
            errors.append(worker.communicate(timeout=15)[1])
    ids = [m["Message-ID"] for m in smtp.messages()]
    assert len(ids) == expected == len(set(ids)), errors
    assert {r["status"] for r in outbox_rows(db_url)} == {"sent"}
    assert all("Traceback" not in e for e in errors), errors


def _queue_emails(client: TestClient, world: World, db_url: str) -> int:
    """Bookings enough for a dozen emails, due now on the real clock; how many."""
    for slot in world.slots["family"]:
        token = start(client, slot, "family")
        accept_quote(client, token)
        assert client.post(f"/b/{token}/pay/offline").status_code == 303

    async def due_now(db: Database) -> None:  # the workers run on the real clock
        await db.execute(
            outbox.update().values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    run_db(db_url, due_now)
    return len(outbox_rows(db_url))


def test_a_sender_killed_mid_send_delays_no_other_email_and_repeats_only_that_one(
    client: TestClient, world: World, db_url: str
) -> None:
    """A `minis worker` is killed (SIGKILL) after the SMTP server took an email but before
    it could mark it sent. A new worker sends every other email at once (nothing else
    was leased to the dead one), and the one in flight again only when its lease runs
    out, with the same Message-ID, so the receiver can tell it is a copy."""
    expected = _queue_emails(client, world, db_url)
    assert expected >= 10
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MINIS_")},
        "MINIS_DATABASE_URL": db_url,
        "MINIS_SECRET_KEY": STRONG_SECRET_KEY,
        "MINIS_MAIL_FROM": "Bookings <bookings@book.example.com>",
    }
    worker = [MINIS, "worker", "--mail-interval", "0.1"]
    with SmtpServer(hold_first=True) as smtp:
        env["MINIS_SMTP_URL"] = smtp.url
        doomed = subprocess.Popen(worker, env=env, stderr=subprocess.DEVNULL)
        try:
            assert smtp.recorder.holding.wait(30), "the first worker sent nothing"
        finally:
            doomed.kill()  # SIGKILL: no chance to mark anything
            doomed.wait(timeout=15)
        [in_flight] = [m["Message-ID"] for m in smtp.messages()]
        smtp.recorder.release.set()

        started = time.monotonic()
        survivor = subprocess.Popen(worker, env=env, stderr=subprocess.PIPE, text=True)
        try:
            smtp.wait_for(expected, timeout=20)
            prompt = time.monotonic() - started
            time.sleep(1)  # time for a duplicate to show up, were there one
            before_lapse = [m["Message-ID"] for m in smtp.messages()]
            # Every email arrived once, promptly, while the dead worker's lease was live.
            assert len(before_lapse) == expected == len(set(before_lapse)), before_lapse
            rows = outbox_rows(db_url)
            [leased] = [r for r in rows if r["status"] == "pending"]

            async def lease_runs_out(db: Database) -> None:  # as five minutes passing would
                await db.execute(
                    outbox.update()
                    .where(outbox.c.id == leased["id"])
                    .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
                )

            run_db(db_url, lease_runs_out)
            smtp.wait_for(expected + 1, timeout=20)
            time.sleep(1)
        finally:
            survivor.send_signal(signal.SIGINT)
            errors = survivor.communicate(timeout=15)[1]
    assert prompt < 20 and leased["lease_until"] is not None
    assert sum(r["status"] == "sent" for r in rows) == expected - 1
    # Then the one in flight, once more, with the same Message-ID; nothing else twice.
    ids = Counter(m["Message-ID"] for m in smtp.messages())
    assert ids[in_flight] == 2 and sum(ids.values()) == expected + 1, ids
    assert {r["status"] for r in outbox_rows(db_url)} == {"sent"}
    assert "Traceback" not in errors, errors
