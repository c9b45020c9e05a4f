"""Logging in to the dashboard: passwords, rate limits, the cookie, CSRF, logging out."""

from __future__ import annotations

import asyncio

import pytest
from starlette.testclient import TestClient

from tests.support.admin import (
    ACME_EMAIL,
    PASSWORD,
    RIVAL_EMAIL,
    add_user,
    csrf_from,
    log_in,
    post_login,
)
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.world import World
from widget_server.app import create_app
from widget_server.config import ConfigError, Settings
from widget_server.studio import accounts
from widget_server.web.admin.ratelimit import LoginLimiter
from widget_server.web.admin.session import COOKIE

ADMIN_PAGES = ["/admin/bookings", "/admin/bookings/1", "/admin/minis/1/days/1"]


@pytest.fixture
def users(db_url: str, clock: FakeClock, world: World) -> World:
    add_user(db_url, clock, "acme", ACME_EMAIL)
    add_user(db_url, clock, "rival", RIVAL_EMAIL)
    return world


def set_cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    [header] = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    return header


def test_login_opens_the_dashboard_of_the_users_studio(client: TestClient, users: World) -> None:
    log_in(client, ACME_EMAIL.upper())  # emails are matched case-insensitively
    page = client.get("/admin/bookings")
    assert page.status_code == 200
    assert "Acme Photo" in page.text and "Rival Photo" not in page.text
    assert client.get("/admin").headers["location"] == "/admin/bookings"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (ACME_EMAIL, "wrong password"),
        ("nobody@acme.test", PASSWORD),
        (ACME_EMAIL, ""),
        ("", ""),
        # Text no database can hold: PostgreSQL can't compare a NUL, so it used to fail.
        (ACME_EMAIL + "\x00", PASSWORD),
        ("\x00", "\x00"),
    ],
)
def test_wrong_password_or_unknown_email_is_refused_alike(
    client: TestClient, users: World, email: str, password: str
) -> None:
    response = post_login(client, email, password)
    assert response.status_code == 401
    assert "That email and password don&#39;t match an account." in response.text
    assert client.get("/admin/bookings").status_code == 303  # still logged out


def test_session_cookie_is_httponly_lax_and_scoped_to_admin(
    client: TestClient, users: World
) -> None:
    response = post_login(client, ACME_EMAIL)
    cookie = set_cookie_header(response).lower()
    assert cookie.startswith(f"{COOKIE}=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/admin" in cookie
    assert "secure" not in cookie  # plain http: a Secure cookie would never come back


def test_session_cookie_is_secure_over_https(
    settings: Settings, clock: FakeClock, users: World
) -> None:
    app = create_app(settings, clock=clock)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        assert "secure" in set_cookie_header(client.get("/admin")).lower()
        assert "secure" in set_cookie_header(post_login(client, ACME_EMAIL)).lower()


def test_the_public_flow_sets_no_cookie(client: TestClient, users: World) -> None:
    log_in(client)
    for path in ("/acme", "/acme/portraits"):
        response = client.get(path)
        assert response.status_code == 200 and "set-cookie" not in response.headers


def test_login_is_rate_limited_per_email_and_address(client: TestClient, users: World) -> None:
    for _ in range(10):
        assert post_login(client, ACME_EMAIL, "guess").status_code == 401
    limited = post_login(client, ACME_EMAIL, PASSWORD)  # even the right password now
    assert limited.status_code == 429 and "Too many attempts" in limited.text
    assert client.get("/admin/bookings").status_code == 303
    log_in(client, RIVAL_EMAIL)  # another account from the same address is not locked out


def test_login_is_rate_limited_per_address_across_emails(client: TestClient, users: World) -> None:
    # One address trying many accounts: 30 guesses in 15 minutes, whatever the emails.
    for n in range(30):
        assert post_login(client, f"guess{n}@acme.test", "guess").status_code == 401
    limited = post_login(client, "guess30@acme.test", "guess")
    assert limited.status_code == 429 and "Too many attempts" in limited.text
    assert post_login(client, ACME_EMAIL, PASSWORD).status_code == 429  # a fresh email too
    assert client.get("/admin/bookings").status_code == 303


def test_the_address_limit_leaves_other_addresses_alone() -> None:
    async def attempts() -> list[bool]:
        limiter = LoginLimiter.from_settings(Settings())
        from_one = [await limiter.attempt(f"u{n}@x.test", "203.0.113.1") for n in range(31)]
        return [*from_one, await limiter.attempt("u0@x.test", "203.0.113.2")]

    assert asyncio.run(attempts()) == [True] * 30 + [False, True]


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_login_without_the_forms_token_is_refused(
    client: TestClient, users: World, token: str | None
) -> None:
    client.get("/admin")
    data = {"email": ACME_EMAIL, "password": PASSWORD}
    if token is not None:
        data["csrf"] = token
    response = client.post("/admin", data=data)
    assert response.status_code == 403 and "Please try that again" in response.text
    assert client.get("/admin/bookings").status_code == 303


def test_a_token_from_before_login_is_worthless_after(client: TestClient, users: World) -> None:
    before = csrf_from(client.get("/admin").text)
    log_in(client)
    assert client.post("/admin/logout", data={"csrf": before}).status_code == 403
    assert client.get("/admin/bookings").status_code == 200


def test_logout_needs_the_token_and_ends_the_session(client: TestClient, users: World) -> None:
    log_in(client)
    token = csrf_from(client.get("/admin/bookings").text)
    assert client.post("/admin/logout", data={}).status_code == 403
    assert client.get("/admin/bookings").status_code == 200
    response = client.post("/admin/logout", data={"csrf": token})
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    assert f'{COOKIE}=""' in set_cookie_header(response)
    assert client.get("/admin/bookings").status_code == 303


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_pages_require_login(client: TestClient, users: World, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin?next={path}"


def test_login_returns_to_the_page_asked_for_and_only_inside_the_dashboard(
    client: TestClient, users: World
) -> None:
    page = client.get("/admin?next=/admin/bookings%3Fstatus%3Dall").text
    assert 'name="next" value="/admin/bookings?status=all"' in page
    assert post_login(client, ACME_EMAIL, next="/admin/bookings?status=all").headers[
        "location"
    ] == ("/admin/bookings?status=all")
    client.cookies.clear()
    for elsewhere in ("https://evil.test/", "//evil.test/admin/", "/acme"):
        response = post_login(client, ACME_EMAIL, next=elsewhere)
        assert response.headers["location"] == "/admin/bookings"
        client.cookies.clear()


def test_a_forged_or_garbled_cookie_is_a_logged_out_visitor(
    client: TestClient, users: World
) -> None:
    for value in ("x", "e30.forged.signature", "%C3%A9" * 10, "a" * 5000):
        client.cookies.set(COOKIE, value, path="/admin")
        assert client.get("/admin/bookings").status_code == 303
        assert client.get("/admin").status_code == 200
        client.cookies.clear()


@pytest.mark.parametrize(
    "email",
    [
        "<script>alert(1)</script>@acme.test",
        "a" * 5000 + "@acme.test",
        "ünïcødé@ácme.test",
        "\u202eowner@acme.test",
        "owner@acme.test\x00",
    ],
)
def test_hostile_login_input_is_refused_politely_and_escaped(
    client: TestClient, users: World, email: str
) -> None:
    response = post_login(client, email, "p" * 5000)
    assert response.status_code == 401
    assert "<script>alert(1)" not in response.text
    if "<script>" in email:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;@acme.test" in response.text
    assert len(response.text) < 20_000  # an over-long email is not echoed back whole


def test_admin_pages_are_never_framed_nor_cached(client: TestClient, users: World) -> None:
    log_in(client)
    for path in ("/admin", "/admin/bookings"):
        response = client.get(path)
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"


def test_redis_storage_without_its_client_library_names_the_setting() -> None:
    try:
        import coredis  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="MINIS_REDIS_URL"):
            LoginLimiter.from_settings(Settings(redis_url="redis://127.0.0.1:6399"))
    else:
        assert LoginLimiter.from_settings(Settings(redis_url="redis://127.0.0.1:6399"))
    assert LoginLimiter.from_settings(Settings())  # in memory needs nothing


def test_an_unknown_email_costs_an_argon2_verify_too(
    db_url: str, users: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same work for both answers, so timing does not reveal which emails have accounts."""
    checked: list[str] = []
    real_verify = accounts._verify

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "_verify", counting)
    assert run_db(db_url, lambda db: accounts.authenticate(db, "nobody@x.test", PASSWORD)) is None
    assert run_db(db_url, lambda db: accounts.authenticate(db, ACME_EMAIL, "wrong")) is None
    user = run_db(db_url, lambda db: accounts.authenticate(db, ACME_EMAIL, PASSWORD))
    assert user is not None and user.email == ACME_EMAIL
    assert len(checked) == 3 and checked[0].startswith("$argon2")
