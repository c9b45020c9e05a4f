"""Server-side dashboard sessions: logging out revokes the cookie, wherever it was copied."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer
from starlette.testclient import TestClient

from tests.conftest import SECRET
from tests.support.admin import ACME_EMAIL, RIVAL_EMAIL, add_user, csrf_from, log_in
from tests.support.clock import FakeClock
from tests.support.queries import rows
from tests.support.world import World
from widget_server.app import create_app
from widget_server.config import Settings
from widget_server.db.tables import admin_sessions
from widget_server.web.admin.session import COOKIE, SALT


@pytest.fixture
def users(db_url: str, clock: FakeClock, world: World) -> World:
    add_user(db_url, clock, "acme", ACME_EMAIL)
    add_user(db_url, clock, "rival", RIVAL_EMAIL)
    return world


@pytest.fixture
def second_browser(settings: Settings, clock: FakeClock, users: World):  # type: ignore[no-untyped-def]
    app = create_app(settings, clock=clock)
    with TestClient(app, follow_redirects=False) as other:
        yield other


def session_rows(db_url: str) -> list[dict]:  # type: ignore[type-arg]
    return rows(db_url, sa.select(admin_sessions))


def copy_cookie(source: TestClient, target: TestClient) -> str:
    value = source.cookies.get(COOKIE, path="/admin")
    assert value
    target.cookies.set(COOKIE, value, path="/admin")
    return value


def test_login_stores_only_a_hash_of_the_cookies_id(
    client: TestClient, users: World, db_url: str
) -> None:
    log_in(client)
    [row] = session_rows(db_url)
    cookie = client.cookies.get(COOKIE, path="/admin")
    session_id = URLSafeTimedSerializer(SECRET, salt=SALT).loads(cookie)["sid"]
    assert row["id_hash"] == hashlib.sha256(session_id.encode()).hexdigest()
    assert session_id not in str(row) and row["csrf"] in client.get("/admin/bookings").text


def test_a_copied_cookie_is_refused_after_logout(
    client: TestClient, second_browser: TestClient, users: World, db_url: str
) -> None:
    log_in(client)
    copy_cookie(client, second_browser)
    token = csrf_from(client.get("/admin/bookings").text)
    assert second_browser.get("/admin/bookings").status_code == 200  # the copy works...
    assert client.post("/admin/logout", data={"csrf": token}).status_code == 303
    assert session_rows(db_url) == []
    # ...until the owner logs out: a GET goes to the login form, a POST does nothing.
    page = second_browser.get("/admin/bookings")
    assert page.status_code == 303 and page.headers["location"] == "/admin?next=/admin/bookings"
    refused = second_browser.post("/admin/feed/new", data={"csrf": token})
    assert refused.status_code == 403
    assert second_browser.get("/admin").status_code == 200  # the login form, not a loop


def test_logging_in_again_makes_a_new_session(
    client: TestClient, users: World, db_url: str
) -> None:
    log_in(client)
    first = client.cookies.get(COOKIE, path="/admin")
    client.cookies.clear()
    log_in(client)
    assert client.cookies.get(COOKIE, path="/admin") != first
    assert len(session_rows(db_url)) == 2


def test_log_out_everywhere_ends_every_session_of_that_user_only(
    client: TestClient,
    second_browser: TestClient,
    users: World,
    db_url: str,
    settings: Settings,
    clock: FakeClock,
) -> None:
    log_in(client)
    log_in(second_browser)
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as rival:
        log_in(rival, RIVAL_EMAIL)
        page = client.get("/admin/bookings").text
        assert "Log out everywhere" in page
        assert client.post("/admin/logout-everywhere", data={}).status_code == 403
        done = client.post("/admin/logout-everywhere", data={"csrf": csrf_from(page)})
        assert done.status_code == 303 and done.headers["location"] == "/admin?done=everywhere"
        assert "logged out on every device" in client.get("/admin?done=everywhere").text
        assert client.get("/admin/bookings").status_code == 303
        assert second_browser.get("/admin/bookings").status_code == 303
        assert rival.get("/admin/bookings").status_code == 200  # another user keeps theirs
    assert len(session_rows(db_url)) == 1


def test_a_session_expires_after_twelve_hours_and_is_cleaned_up_at_a_login(
    client: TestClient, second_browser: TestClient, users: World, db_url: str, clock: FakeClock
) -> None:
    log_in(client)
    clock.advance(hours=11, minutes=59)
    assert client.get("/admin/bookings").status_code == 200
    [row] = session_rows(db_url)
    assert row["last_seen_at"] == clock()  # refreshed (not more than every few minutes)
    clock.advance(minutes=2)
    assert client.get("/admin/bookings").status_code == 303
    assert len(session_rows(db_url)) == 1  # still there, until someone logs in
    log_in(second_browser)
    assert len(session_rows(db_url)) == 1  # the expired row went, the new one stays


def test_forged_and_unknown_session_ids_are_logged_out_visitors(
    client: TestClient, users: World, db_url: str
) -> None:
    log_in(client)
    [row] = session_rows(db_url)
    signer = URLSafeTimedSerializer(SECRET, salt=SALT)
    wrong_key = URLSafeTimedSerializer("another-secret-key-0123456789", salt=SALT)
    cookie = client.cookies.get(COOKIE, path="/admin")
    real_id = signer.loads(cookie)["sid"]
    for value in (
        signer.dumps({"sid": "made-up"}),
        signer.dumps({"sid": row["id_hash"]}),  # the stored hash is not a key
        signer.dumps({"sid": "x" * 5000}),
        signer.dumps({"sid": 12}),
        signer.dumps({"uid": 1, "csrf": "abc"}),  # the old stateless cookie
        wrong_key.dumps({"sid": real_id}),
    ):
        client.cookies.clear()
        client.cookies.set(COOKIE, value, path="/admin")
        assert client.get("/admin/bookings").status_code == 303, value
        assert client.post("/admin/logout", data={"csrf": row["csrf"]}).status_code == 403
    assert len(session_rows(db_url)) == 1
