"""The calendar feed: a secret URL, only booked sessions, revocable, never another studio's."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from icalendar import Calendar
from starlette.testclient import TestClient

from tests.support.admin import RIVAL_EMAIL, csrf_from, log_in
from tests.support.clock import FakeClock
from tests.support.flow import book_with_demo_card, start
from tests.support.mail import set_mini
from tests.support.world import World
from widget_server.studio.feed import FeedTokens


def feed_path(client: TestClient) -> str:
    page = client.get("/admin/feed")
    assert page.status_code == 200
    match = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page.text)
    assert match, page.text
    url = unescape(match.group(1))
    assert url.startswith("http://127.0.0.1:8000/admin/feed/"), url  # settings.base_url
    return url[url.index("/admin/feed/") :]


def events(client: TestClient, path: str) -> list:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["cache-control"] == "private, max-age=300"
    return Calendar.from_ical(response.content).walk("VEVENT")


def test_feed_lists_booked_sessions_only(client: TestClient, acme: World) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])
    start(client, acme.slots["portraits"][1], name="Holding Hannah")
    path = feed_path(client)
    client.cookies.clear()  # calendar apps have no session: the URL alone must do
    [event] = events(client, path)
    assert str(event["summary"]).endswith("— Ada Lovelace")
    assert str(event["location"]) == "Park, 1 Park Ave"
    description = str(event["description"])
    assert "Phone: +12125550143" in description and "ada@example.com" in description
    assert "Balance due: $150.00" in description
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert event.decoded("dtend") > event.decoded("dtstart")
    # The same booking keeps its UID, so calendars update rather than duplicate.
    assert events(client, path)[0]["uid"] == event["uid"]


def test_cancelled_bookings_leave_the_feed(client: TestClient, acme: World, db_url: str) -> None:
    set_mini(db_url, "family", change_cutoff_hours=24)
    token = start(client, acme.slots["family"][0], "family", name="Cancelling Carl")
    client.post(f"/b/{token}/quote")
    assert client.post(f"/b/{token}/pay/offline").status_code == 303
    path = feed_path(client)
    assert [str(e["summary"]).split("— ")[1] for e in events(client, path)] == ["Cancelling Carl"]
    assert client.post(f"/b/{token}/cancel", data={"confirm": "yes"}).status_code == 303
    assert events(client, path) == []


def test_new_link_revokes_the_old_one(client: TestClient, acme: World) -> None:
    old = feed_path(client)
    csrf = csrf_from(client.get("/admin/feed").text)
    assert client.post("/admin/feed/new", data={}).status_code == 403  # no CSRF token
    assert client.get(old).status_code == 200
    response = client.post("/admin/feed/new", data={"csrf": csrf})
    assert response.status_code == 303 and response.headers["location"] == "/admin/feed?done=new"
    assert "A new link is ready" in client.get("/admin/feed?done=new").text
    new = feed_path(client)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_forged_and_other_studio_tokens_are_404(client: TestClient, acme: World) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])
    path = feed_path(client)
    token = path.removeprefix("/admin/feed/").removesuffix(".ics")
    wrong_key = FeedTokens("another-secret-key-entirely").make(1, 1)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (wrong_key, tampered, "nonsense", "x" * 500):
        response = client.get(f"/admin/feed/{bad}.ics")
        assert response.status_code == 404 and "Ada" not in response.text
    # Rival's own feed shows Rival's bookings, never Acme's.
    client.cookies.clear()
    log_in(client, RIVAL_EMAIL)
    rival = feed_path(client)
    assert rival != path and events(client, rival) == []


def test_feed_page_needs_login(client: TestClient, world: World) -> None:
    response = client.get("/admin/feed")
    assert response.status_code == 303 and response.headers["location"].startswith("/admin?next=")
    assert client.post("/admin/feed/new", data={}).status_code == 403


def test_feed_keeps_the_last_30_days(client: TestClient, acme: World, clock: FakeClock) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])  # about two days ahead
    path = feed_path(client)
    clock.advance(days=2 + 29)  # the session was 29 days ago
    assert len(events(client, path)) == 1
    clock.advance(days=2)  # now 31 days ago
    assert events(client, path) == []
