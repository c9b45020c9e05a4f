"""Delivery by the sender loop in the app and by `minis worker` processes, against real SMTP."""

from __future__ import annotations

import os
import signal
import subprocess
import time
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
