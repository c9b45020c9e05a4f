"""The dashboard in tests: admin users for the world's studios, logging in, form tokens."""

from __future__ import annotations

import functools
import re

import sqlalchemy as sa
from databases import Database
from httpx2 import Response
from starlette.testclient import TestClient

from widget_server.db.tables import studios, users
from widget_server.studio.accounts import hash_password

from .clock import FakeClock
from .databases import run_db

ACME_EMAIL = "owner@acme.test"
RIVAL_EMAIL = "owner@rival.test"
PASSWORD = "correct horse battery"


@functools.cache
def _password_hash() -> str:
    """PASSWORD's argon2 hash, made once per run: hashing costs ~0.1 s, and every test user
    shares the password. Logging in still verifies it with argon2; ``minis create-user``
    (tests/test_cli.py) covers creating users the real way."""
    return hash_password(PASSWORD)


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
