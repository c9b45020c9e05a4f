"""The dashboard in tests: admin users for the world's studios, logging in, form tokens."""

from __future__ import annotations

import functools
import re

import sqlalchemy as sa
from argon2 import PasswordHasher
from databases import Database
from httpx2 import Response
from starlette.testclient import TestClient

from widget_server.db.tables import studios, users

from .clock import FakeClock
from .databases import run_db

ACME_EMAIL = "owner@acme.test"
RIVAL_EMAIL = "owner@rival.test"
PASSWORD = "correct horse battery"


@functools.cache
def _password_hash() -> str:
    """PASSWORD's argon2id hash at argon2's lowest cost, made once per run: every test user
    shares the password, and a test logs in once or more. Logging in verifies it with
    argon2 as ever, at the cost written in the hash: a millisecond, not the tenths of a
    second of the app's own cost (tests/test_admin_auth.py checks unknown emails pay that
    too). ``minis create-user`` (tests/test_cli.py) covers creating users the real way."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)


def add_user(db_url: str, clock: FakeClock, studio_slug: str, email: str) -> int:
    async def work(db: Database) -> int:
        studio_id = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == studio_slug))
        return await db.execute(
            users.insert().values(
                studio_id=studio_id, email=email, password_hash=_password_hash(), created_at=clock()
            )
        )

    return run_db(db_url, work)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def post_login(client: TestClient, email: str, password: str = PASSWORD, **extra: str) -> Response:
    token = csrf_from(client.get("/admin").text)
    return client.post(
        "/admin", data={"email": email, "password": password, "csrf": token, **extra}
    )


def log_in(client: TestClient, email: str = ACME_EMAIL) -> None:
    response = post_login(client, email)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/bookings"
