"""Scheduled drops: times hidden behind a server-side countdown until the opening, early
access by the secret link or a personal emailed link, and racing requests around the
opening second (live uvicorn: SQLite one worker, PostgreSQL three)."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import CLIENT
from tests.support.live_server import live_server
from tests.support.queries import rows
from tests.support.world import World, build_world
from widget_server.db.outbox import OutboxEmail
from widget_server.db.tables import bookings, leads, mini_sessions, outbox
from widget_server.mail.render import render_email

MINI = "portraits"


def _schedule(
    db_url: str, opens_at: datetime, early_opens_at: datetime | None = None, key: str = "s3cret"
) -> None:
    async def work(db: Database) -> None:
        await db.execute(
            mini_sessions.update()
            .where(mini_sessions.c.slug == MINI)
            .values(opens_at=opens_at, early_opens_at=early_opens_at, early_access_key=key)
        )

    run_db(db_url, work)


def _holds(db_url: str) -> list[dict[str, Any]]:
    return rows(db_url, sa.select(bookings.c.id, bookings.c.created_at))


def _state(client: TestClient) -> Any:
    app: Any = client.app
    return app.state


def test_before_the_opening_the_page_counts_down_and_nothing_can_be_booked(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    _schedule(db_url, clock() + timedelta(hours=2, minutes=14))
    slot = world.slots[MINI][0]
    page = client.get(f"/acme/{MINI}")
    assert "Booking opens" in page.text and "2 hours 14 minutes" in page.text
    assert "/book?slot=" not in page.text and "Park" in page.text  # dates and places shown
    assert 'http-equiv="refresh"' not in page.text  # over an hour away
    assert "Opens " in client.get("/acme").text
    assert client.get(f"/acme/{MINI}/book?slot={slot}").status_code == 403
    refused = client.post(f"/acme/{MINI}/book?slot={slot}", data=CLIENT)
    assert refused.status_code == 403 and "opens for booking" in refused.text
    assert _holds(db_url) == []

    clock.advance(hours=2, minutes=13, seconds=59)
    page = client.get(f"/acme/{MINI}")
    assert "1 second" in page.text and 'content="2"' in page.text  # reloads itself at the time
    assert client.post(f"/acme/{MINI}/book?slot={slot}", data=CLIENT).status_code == 403
    clock.advance(seconds=1)  # the opening second: no restart, no job
    page = client.get(f"/acme/{MINI}")
    assert f"/book?slot={slot}" in page.text and "Booking opens" not in page.text
    assert client.post(f"/acme/{MINI}/book?slot={slot}", data=CLIENT).status_code == 303


def test_the_secret_link_books_from_the_early_time(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    _schedule(db_url, clock() + timedelta(hours=3), clock() + timedelta(hours=1))
    slot = world.slots[MINI][0]
    early = client.get(f"/acme/{MINI}?early=s3cret")
    assert "1 hour" in early.text and "/book?slot=" not in early.text  # counts to ITS time
    clock.advance(hours=1)
    assert "/book?slot=" not in client.get(f"/acme/{MINI}").text
    early = client.get(f"/acme/{MINI}?early=s3cret")
    assert "Early access" in early.text
    assert f"/book?slot={slot}&amp;early=s3cret" in early.text  # carried to the form
    assert client.post(f"/acme/{MINI}/book?slot={slot}&early=wrong", data=CLIENT).status_code == 403
    booked = client.post(f"/acme/{MINI}/book?slot={slot}&early=s3cret", data=CLIENT)
    assert booked.status_code == 303


def test_listed_clients_get_a_personal_link_by_email_once_that_books_for_them_alone(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    mini_id = acme.mini_ids[MINI]
    base = f"/admin/minis/{mini_id}/drop"
    page = client.get(base)
    assert page.status_code == 200 and "?early=" in page.text
    csrf = csrf_from(page.text)
    bad = client.post(
        base,
        data={"csrf": csrf, "opens_at": "2026-11-25T10:00", "early_opens_at": "2026-11-26T10:00"},
    )
    assert bad.status_code == 400 and "has to start before" in bad.text
    assert client.post(base, data={"csrf": csrf, "opens_at": "soon"}).status_code == 400
    saved = client.post(
        base,
        data={"csrf": csrf, "opens_at": "2026-11-25T10:00", "early_opens_at": "2026-11-24T11:00"},
    )
    assert saved.status_code == 303
    stored = rows(db_url, sa.select(mini_sessions.c.opens_at).where(mini_sessions.c.id == mini_id))[
        0
    ]["opens_at"]
    assert stored == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 in New York

    early = f"{base}/early"
    assert (
        "not-an-email"
        in client.post(early, data={"csrf": csrf, "action": "add", "emails": "not-an-email"}).text
    )
    client.post(
        early, data={"csrf": csrf, "action": "add", "emails": "Vip@Example.com, b@example.com"}
    )
    for _ in range(2):
        client.post(early, data={"csrf": csrf, "action": "send"})
    sent = rows(db_url, sa.select(outbox).where(outbox.c.kind == "early_access"))
    assert sorted(r["recipient"] for r in sent) == ["b@example.com", "vip@example.com"]

    async def link(db: Database) -> str:
        row = await db.fetch_one(outbox.select().where(outbox.c.recipient == "vip@example.com"))
        assert row is not None
        state = _state(client)
        rendered = await render_email(
            db,
            OutboxEmail.from_row(row),
            base_url="http://book.test",
            tokens=state.tokens,
            now=clock(),
        )
        assert rendered.subject.startswith("Early access: Portraits opens for you")
        found = re.search(r"http://book\.test(/acme/portraits\?early=\S+)", rendered.text)
        assert found, rendered.text
        return found.group(1)

    personal = run_db(db_url, link)
    clock.advance(minutes=1)  # 15:01 UTC: early access (11:00 in New York = 16:00 UTC) not yet
    assert "/book?slot=" not in client.get(personal).text
    clock.advance(hours=1)
    assert "/book?slot=" in client.get(personal).text
    slot = acme.slots[MINI][0]
    token = personal.split("early=")[1]
    other = client.post(f"/acme/{MINI}/book?slot={slot}&early={token}", data=CLIENT)
    assert other.status_code == 403 and "personal" in other.text
    mine = client.post(
        f"/acme/{MINI}/book?slot={slot}&early={token}", data={**CLIENT, "email": "VIP@example.com"}
    )
    assert mine.status_code == 303
    # Another mini session doesn't take this link.
    assert (
        client.post(
            f"/acme/family/book?slot={acme.slots['family'][0]}&early={token}",
            data={**CLIENT, "email": "vip@example.com"},
        ).status_code
        == 303
    )  # family has no drop: open anyway
    lead_emails = rows(db_url, sa.select(leads.c.email).order_by(leads.c.id))
    assert [r["email"].lower() for r in lead_emails] == ["vip@example.com", "vip@example.com"]


def test_racing_requests_around_the_opening_second_book_nothing_early(
    db_url: str, tmp_path: Path
) -> None:
    world = run_db(db_url, lambda db: build_world(db, datetime.now(UTC), edge_slots=False))
    opens_at = datetime.now(UTC)  # set once the server is up

    async def schedule(db: Database) -> None:
        await db.execute(
            mini_sessions.update()
            .where(mini_sessions.c.slug.in_((MINI, "family")))
            .values(opens_at=opens_at)
        )

    workers = 1 if db_url.startswith("sqlite") else 3

    async def stampede(base: str) -> list[tuple[float, float, int, str]]:
        limits = httpx2.Limits(max_connections=30, max_keepalive_connections=30)
        async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
            await client.get("/healthz")
            start_at = opens_at.timestamp() - 1.5
            await asyncio.sleep(max(0, start_at - time.time()))

            async def one(n: int) -> tuple[float, float, int, str]:
                await asyncio.sleep(n * 0.01)  # spread over three seconds around the opening
                mini = MINI if n % 2 else "family"
                slot = world.slots[mini][n % len(world.slots[mini])]
                sent = time.time()
                response = await client.post(
                    f"/acme/{mini}/book?slot={slot}",
                    data={"name": f"C {n}", "email": f"c{n}@example.com", "phone": "+12125550143"},
                )
                return sent, time.time(), response.status_code, response.text[:200]

            return await asyncio.gather(*(one(n) for n in range(300)))

    with live_server(db_url, workers=workers, log_path=tmp_path / "uvicorn.log") as base:
        # Read at every request: the workers pick it up with no restart.
        opens_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
        run_db(db_url, schedule)
        results = asyncio.run(stampede(base))
    opening = opens_at.timestamp()
    statuses = {status for _, _, status, _ in results}
    assert statuses <= {303, 403, 409}, statuses
    for sent, answered, status, _ in results:
        if answered < opening:
            assert status == 403  # answered before the opening: refused
        if sent >= opening + 0.05:
            assert status != 403  # asked after it (any worker): never "not open yet"
    assert any(s == 403 for _, _, s, _ in results) and any(s == 303 for _, _, s, _ in results)
    for hold in _holds(db_url):
        assert hold["created_at"] >= opens_at  # the booking's own clock reading
