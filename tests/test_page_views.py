"""Views of a mini session's pages: counted in memory without cookies or personal data, written
in batches (never by the page itself), kept when a write fails; and the charts built on them."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import log_in
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import accept_quote, pay_demo, start
from tests.support.queries import rows
from tests.support.world import World
from widget_server.app import create_app
from widget_server.config import Settings
from widget_server.db.connection import create_database
from widget_server.db.tables import page_views
from widget_server.formatting import local_date
from widget_server.studio.page_views import ViewCounter, source_of


def counts(db_url: str) -> dict[tuple[str, str, str], int]:
    found = rows(db_url, sa.select(page_views))
    return {(r["channel"], r["source"], r["stage"]): r["count"] for r in found}


def flush(client: TestClient) -> int:
    """What a background round does: the app's counts so far, into the database."""
    app: Any = client.app
    portal = client.portal
    assert portal is not None  # the client is running the app
    return int(portal.call(app.state.views.flush, app.state.db))


def test_sources_are_tidied() -> None:
    assert source_of(None) == source_of("") == "direct"
    assert source_of(" Instagram ") == "instagram"
    assert source_of("<script>") == "other"
    assert len(source_of("x" * 500)) == 64


def test_views_are_counted_in_memory_and_written_in_batches(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    for url in (
        "/acme/portraits",
        "/acme/portraits?utm_source=Instagram",
        "/acme/portraits?utm_source=instagram",
        "/embed/acme/portraits",
        f"/acme/portraits/book?slot={world.slots['portraits'][0]}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "set-cookie" not in response.headers
    assert client.head("/acme/portraits").status_code == 200  # a monitor: not a view
    assert counts(db_url) == {}  # the pages wrote nothing: the counts wait in memory
    assert flush(client) == 5
    assert counts(db_url) == {
        ("hosted", "direct", "view"): 1,
        ("hosted", "instagram", "view"): 2,
        ("embed", "direct", "view"): 1,
        ("hosted", "direct", "slot"): 1,
    }
    assert flush(client) == 0  # nothing new: nothing written
    client.get("/acme/portraits?utm_source=instagram")
    flush(client)
    assert counts(db_url)[("hosted", "instagram", "view")] == 3
    [day] = {r["day"] for r in rows(db_url, sa.select(page_views.c.day))}
    assert day == local_date(clock(), "America/New_York")
    # another studio's or a missing mini session's pages count nothing
    assert client.get("/acme/no-such-mini").status_code == 404
    assert flush(client) == 0


def test_counts_a_failed_write_keeps_are_written_by_the_next(world: World, db_url: str) -> None:
    counter = ViewCounter()
    today = date(2026, 12, 1)

    async def work(db: Database) -> None:
        mini_id = world.mini_ids["portraits"]
        for _ in range(3):
            counter.count(mini_id=mini_id, day=today, channel="hosted", source="x", stage="view")
        unreachable = create_database("sqlite:////nonexistent/dir/minis.db")
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
            await unreachable.connect()
            await counter.flush(unreachable)
        assert counter.pending == 3
        assert await counter.flush(db) == 3
        assert counter.pending == 0

    run_db(db_url, work)
    assert counts(db_url) == {("hosted", "x", "view"): 3}


def chart(html: str, name: str) -> str:
    match = re.search(rf'data-chart="{name}".*?</(ol|div)>', html, re.S)
    assert match, name
    return match.group(0)


def test_the_charts_show_the_bookings_and_views_made(
    client: TestClient, acme: World, db_url: str
) -> None:
    portraits = acme.slots["portraits"]
    client.get("/acme/portraits?utm_source=ig")
    client.get("/acme/portraits")
    client.get(f"/acme/portraits/book?slot={portraits[0]}&utm_source=ig")
    token = start(client, portraits[0], utm_source="ig")
    accept_quote(client, token)
    assert pay_demo(client, token).status_code == 303  # $50 deposit of $200
    start(client, portraits[1], name="Holding Hannah", email="hannah@example.com")
    flush(client)
    mini_id = acme.mini_ids["portraits"]
    html = unescape(client.get(f"/admin/minis/{mini_id}").text)
    funnel = [int(n) for n in re.findall(r'data-count="(\d+)"', chart(html, "funnel"))]
    assert funnel == [2, 1, 2, 1]  # views, chose a time, gave details, booked
    assert 'data-channel="hosted" data-source="ig"' in html
    ig = re.search(r'data-source="ig">(.*?)</tr>', html, re.S)
    assert ig and re.findall(r"<td[^>]*>(\d+)</td>", ig.group(1)) == ["1", "1", "1", "1"]
    money = chart(html, "money")
    assert 'data-taken="5000" data-due="15000"' in money
    assert "$50.00" in money and "$150.00" in money
    spots = chart(html, "spots")
    booked = sum(int(n) for n in re.findall(r'data-booked="(\d+)"', spots))
    held = sum(int(n) for n in re.findall(r'data-held="(\d+)"', spots))
    assert (booked, held) == (1, 1)
    overview = unescape(client.get("/admin/overview").text)
    assert 'data-taken="5000"' in overview and "Portraits" in overview


def test_counts_not_yet_written_are_saved_when_the_process_stops(
    settings: Settings, clock: FakeClock, world: World, db_url: str
) -> None:
    with TestClient(create_app(settings, clock=clock)) as client:
        assert client.get("/acme/portraits?utm_source=mail").status_code == 200
        assert counts(db_url) == {}
    assert counts(db_url) == {("hosted", "mail", "view"): 1}  # written by the shutdown


def test_the_funnel_covers_the_period_chosen(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    portraits = acme.slots["portraits"]
    client.get("/acme/portraits")
    start(client, portraits[0], name="Early Eve", email="eve@example.com")
    flush(client)
    clock.advance(days=10)  # Eve's view and details fall out of the last 7 days
    client.get("/acme/portraits")
    client.get("/acme/portraits")
    flush(client)
    log_in(client)  # the dashboard's session ended meanwhile
    mini_id = acme.mini_ids["portraits"]

    def stages(query: str, page: str = f"/admin/minis/{mini_id}") -> list[int]:
        html = unescape(client.get(page + query).text)
        return [int(n) for n in re.findall(r'data-count="(\d+)"', chart(html, "funnel"))]

    assert stages("?days=7") == [2, 0, 0, 0]
    assert stages("") == stages("?days=30") == [3, 0, 1, 0]  # 30 days unless told
    assert stages("?days=bogus") == [3, 0, 1, 0]
    assert stages("?days=7", "/admin/overview") == [2, 0, 0, 0]
    html = unescape(client.get(f"/admin/minis/{mini_id}?days=90").text)
    assert "From a visit to a booking, last 90 days" in html
    assert re.search(r'href="\?days=90#glance-funnel" aria-current="page"', html)
