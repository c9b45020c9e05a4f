"""The dashboard's Integrations page: API keys shown once and revoked, webhook endpoints
added, paused, resumed and removed, the delivery log and "Send again"; another studio's
keys and endpoints are a 404."""

from __future__ import annotations

import re

import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import RIVAL_EMAIL, csrf_from, log_in
from tests.support.api import bearer
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.queries import rows
from tests.support.world import World
from widget_server.db.tables import api_keys, studios, webhook_deliveries, webhook_endpoints
from widget_server.studio.api_keys import create_key
from widget_server.studio.webhooks import create_endpoint

PAGE = "/admin/integrations"


def _token(client: TestClient) -> str:
    return csrf_from(client.get(PAGE).text)


def _new_key(client: TestClient, name: str = "Zapier", access: str = "write") -> str:
    made = client.post(
        f"{PAGE}/keys", data={"name": name, "access": access, "csrf": _token(client)}
    )
    assert made.status_code == 303, made.text
    page = client.get(made.headers["location"])
    assert page.status_code == 200, page.text
    match = re.search(r'id="new-key" type="text" readonly value="(mk_[^"]+)"', page.text)
    assert match, "the new key is shown"
    return match.group(1)


def test_the_page_needs_a_login(client: TestClient, world: World) -> None:
    assert client.get(PAGE).status_code == 303
    assert client.post(f"{PAGE}/keys", data={"name": "x", "access": "read"}).status_code == 403


def test_a_key_is_shown_once_stored_hashed_works_and_is_revoked(
    client: TestClient, acme: World, db_url: str
) -> None:
    key = _new_key(client)
    [row] = rows(db_url, api_keys.select())
    assert row["name"] == "Zapier" and row["access"] == "write"
    assert key not in str(row) and row["key_hash"] != key and row["prefix"] == key[:10]
    again = client.get(PAGE).text
    assert key not in again and f"{key[:10]}…" in again and "Never" in again
    assert client.get("/api/v1/bookings", headers=bearer(key)).status_code == 200
    assert "Never" not in client.get(PAGE).text  # last used, now
    revoke = client.post(f"{PAGE}/keys/{row['id']}/revoke", data={"csrf": _token(client)})
    assert revoke.status_code == 303
    assert "Key revoked" in client.get(revoke.headers["location"]).text
    refused = client.get("/api/v1/bookings", headers=bearer(key))
    assert refused.status_code == 401 and refused.json()["code"] == "revoked_api_key"
    again = client.post(f"{PAGE}/keys/{row['id']}/revoke", data={"csrf": _token(client)})
    assert again.status_code == 404


def test_reloading_the_page_that_shows_a_new_key_makes_no_second_key(
    client: TestClient, acme: World, db_url: str
) -> None:
    made = client.post(
        f"{PAGE}/keys", data={"name": "Zapier", "access": "read", "csrf": _token(client)}
    )
    assert made.status_code == 303
    location = made.headers["location"]
    assert "mk_" not in location  # never in a URL: access logs and history keep those
    cookie = made.headers["set-cookie"]
    assert "Path=/admin/integrations" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie.replace("SameSite=Strict", "SameSite=strict")
    shown = client.get(location)
    match = re.search(r'id="new-key" type="text" readonly value="(mk_[^"]+)"', shown.text)
    assert match and "shown only this once" in shown.text
    key = match.group(1)
    # Reloading (or going back to) the page: no second key, and the key is not shown again.
    again = client.get(location)
    assert again.status_code == 200 and key not in again.text and 'id="new-key"' not in again.text
    assert "shown once, when it was made" in again.text
    assert len(rows(db_url, api_keys.select())) == 1
    assert client.get("/api/v1/bookings", headers=bearer(key)).status_code == 200


def test_a_new_key_is_shown_only_to_the_session_that_made_it_and_never_when_forged(
    client: TestClient, acme: World, db_url: str
) -> None:
    made = client.post(
        f"{PAGE}/keys", data={"name": "Zapier", "access": "read", "csrf": _token(client)}
    )
    handed = made.cookies["minis_new_key"]
    client.cookies.delete("minis_new_key", path="/admin/integrations")
    # A tampered cookie shows nothing (and is cleared).
    client.cookies.set("minis_new_key", handed[:-2] + "xx", path="/admin/integrations")
    assert 'id="new-key"' not in client.get(PAGE).text
    # The real cookie, replayed in another login's session, shows nothing either.
    client.cookies.clear()
    log_in(client)  # a new session
    client.cookies.set("minis_new_key", handed, path="/admin/integrations")
    assert 'id="new-key"' not in client.get(PAGE).text
    # Nor once the key is revoked.
    [row] = rows(db_url, api_keys.select())
    client.post(f"{PAGE}/keys/{row['id']}/revoke", data={"csrf": _token(client)})
    client.cookies.set("minis_new_key", handed, path="/admin/integrations")
    assert 'id="new-key"' not in client.get(PAGE).text


def test_bad_key_forms_are_explained(client: TestClient, acme: World, db_url: str) -> None:
    token = _token(client)
    page = client.post(f"{PAGE}/keys", data={"name": " ", "access": "admin", "csrf": token})
    assert page.status_code == 422
    assert "Give the key a name" in page.text and "Choose read only" in page.text
    nul = client.post(f"{PAGE}/keys", data={"name": "a\x00b", "access": "read", "csrf": token})
    assert nul.status_code == 422
    assert rows(db_url, api_keys.select()) == []


def test_another_studios_keys_and_endpoints_are_not_found(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    async def rival_things(db: Database) -> tuple[int, int]:
        rival = await db.fetch_val(sa.select(studios.c.id).where(studios.c.slug == "rival"))
        key, _ = await create_key(db, rival, "theirs", "write", clock())
        endpoint = await create_endpoint(
            db, rival, "https://rival.test/h", ["lead.closed"], clock()
        )
        return key.id, endpoint

    key_id, endpoint_id = run_db(db_url, rival_things)
    token = _token(client)
    assert client.post(f"{PAGE}/keys/{key_id}/revoke", data={"csrf": token}).status_code == 404
    assert client.get(f"{PAGE}/webhooks/{endpoint_id}").status_code == 404
    for action in ("pause", "resume", "delete"):
        response = client.post(f"{PAGE}/webhooks/{endpoint_id}/{action}", data={"csrf": token})
        assert response.status_code == 404
    assert "rival.test" not in client.get(PAGE).text
    assert rows(db_url, api_keys.select())[0]["revoked_at"] is None
    assert rows(db_url, webhook_endpoints.select())[0]["deleted_at"] is None


def test_endpoints_added_paused_resumed_removed_and_deliveries_sent_again(
    client: TestClient, acme: World, db_url: str
) -> None:
    token = _token(client)
    local = client.post(
        f"{PAGE}/webhooks",
        data={"url": "http://127.0.0.1:8080/x", "events": ["booking.booked"], "csrf": token},
    )
    assert local.status_code == 422 and "public internet addresses" in local.text
    none = client.post(f"{PAGE}/webhooks", data={"url": "https://hooks.test/a", "csrf": token})
    assert none.status_code == 422 and "Choose at least one event" in none.text
    added = client.post(
        f"{PAGE}/webhooks",
        data={
            "url": "https://hooks.test/minis",
            "events": ["booking.booked", "booking.cancelled"],
            "csrf": token,
        },
    )
    assert added.status_code == 303
    page = client.get(added.headers["location"])
    assert "Endpoint added" in page.text and "whsec_" in page.text
    assert "booking.booked" in page.text and "Nothing sent yet" in page.text
    [endpoint] = rows(db_url, webhook_endpoints.select())
    base = f"{PAGE}/webhooks/{endpoint['id']}"
    assert (
        "Paused"
        in client.get(client.post(f"{base}/pause", data={"csrf": token}).headers["location"]).text
    )
    assert rows(db_url, webhook_endpoints.select())[0]["state"] == "paused"
    client.post(f"{base}/resume", data={"csrf": token})
    assert rows(db_url, webhook_endpoints.select())[0]["state"] == "active"

    # A booking: its delivery shows in the log; a failed one can be sent again.
    token_client = client
    from tests.support.flow import book_with_demo_card

    book_with_demo_card(token_client, acme.slots["portraits"][0])
    [delivery] = rows(db_url, webhook_deliveries.select())
    assert delivery["event_type"] == "booking.booked"
    log = client.get(base).text
    assert delivery["msg_id"] in log and "Queued" in log
    assert (
        client.post(f"{base}/deliveries/{delivery['id']}/resend", data={"csrf": token}).status_code
        == 404
    )  # still on its way

    async def failed(db: Database) -> None:
        await db.execute(webhook_deliveries.update().values(status="failed", attempts=11))

    run_db(db_url, failed)
    assert "Send again" in client.get(base).text
    again = client.post(f"{base}/deliveries/{delivery['id']}/resend", data={"csrf": token})
    assert again.status_code == 303
    [row] = rows(db_url, webhook_deliveries.select())
    assert (
        row["status"] == "pending" and row["attempts"] == 0 and row["msg_id"] == delivery["msg_id"]
    )
    removed = client.post(f"{base}/delete", data={"csrf": token})
    assert (
        removed.status_code == 303
        and "Endpoint removed" in client.get(removed.headers["location"]).text
    )
    assert client.get(base).status_code == 404


def test_rival_sees_none_of_acmes(client: TestClient, acme: World) -> None:
    _new_key(client, "Acme CRM")
    client.cookies.clear()
    log_in(client, RIVAL_EMAIL)
    assert "Acme CRM" not in client.get(PAGE).text
