"""What a page costs: queries that do not grow with the slots, one connection, compression."""

from __future__ import annotations

from datetime import date, time, timedelta

from databases import Database
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.sqlcount import counting
from tests.support.world import World
from widget_server.booking.slots import SessionDayPlan, create_session_day


def _add_days(db_url: str, world: World, start: date, days: int) -> None:
    async def work(db: Database) -> None:
        location = await db.fetch_val("SELECT id FROM locations ORDER BY id LIMIT 1")
        for n in range(days):
            await create_session_day(
                db,
                mini_session_id=world.mini_ids["portraits"],
                location_id=location,
                plan=SessionDayPlan(
                    start + timedelta(days=n), time(8), time(18), 5, 0, 1, "America/New_York"
                ),
            )

    run_db(db_url, work)


def test_queries_per_page_do_not_grow_with_slots(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    pages = ("/acme", "/acme/portraits")
    with counting() as few:
        for path in pages:
            assert client.get(path).status_code == 200
    _add_days(db_url, world, clock().date() + timedelta(days=5), 8)  # +960 slots
    with counting() as many:
        for path in pages:
            assert client.get(path).status_code == 200
    assert many.queries == few.queries <= 8


def test_one_connection_per_request(client: TestClient, world: World, db_url: str) -> None:
    with counting() as counts:
        response = client.get("/acme/portraits")
    assert response.status_code == 200
    if db_url.startswith("sqlite"):
        assert counts.sqlite_connections == 1


def test_pages_are_compressed(client: TestClient) -> None:
    response = client.get("/acme/portraits", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "Portraits" in response.text
