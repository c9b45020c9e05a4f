"""``GET /api/v1/minis/{mini}/waitlist``: a key reads who waits, in order, with their offers;
another studio's mini session, or none, is a 404."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.api import bearer, make_key
from tests.support.clock import FakeClock
from tests.support.world import World
from tests.test_waitlist import MINI, _cancel, _join, _loosen, _offers, _sell_out


def test_the_waitlist_is_read_in_order_with_each_offer(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    key = make_key(db_url, clock(), access="read")
    path = f"/api/v1/minis/{MINI}/waitlist"
    assert client.get(path).status_code == 401
    empty = client.get(path, headers=bearer(key))
    assert empty.status_code == 200 and empty.json() == {"mini": MINI, "data": []}

    _loosen(db_url)
    tokens = _sell_out(client, world)
    _join(client, "bea", part="morning")
    _join(client, "cy")
    _cancel(client, tokens[2])
    [bea, cy] = client.get(path, headers=bearer(key)).json()["data"]
    assert bea["client"]["email"] == "bea@example.com" and bea["state"] == "offered"
    assert bea["parts_of_day"] == ["morning"] and bea["session_day_ids"] == []
    offer = _offers(db_url)[0]
    assert bea["offer"]["state"] == "offered" and bea["offer"]["booking_id"] == offer["booking_id"]
    assert bea["offer"]["slot_id"] == world.slots[MINI][2] and bea["offer"]["claim_by"]
    assert cy["state"] == "waiting" and cy["offer"] is None and cy["parts_of_day"] == []

    rival = make_key(db_url, clock(), studio_slug="rival", access="read")
    assert client.get(path, headers=bearer(rival)).status_code == 404
    missing = client.get("/api/v1/minis/no-such-mini/waitlist", headers=bearer(key))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
