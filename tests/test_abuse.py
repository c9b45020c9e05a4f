"""Abuse of the public booking flow: one client can't hold a mini session's times, and a
script starting holds from one address or for one email is slowed down with a clear 429."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.flow import start, submit_details
from tests.support.queries import all_bookings, event_kinds, taken
from tests.support.world import World
from widget_server.app import create_app
from widget_server.config import Settings


def _statuses(db_url: str) -> dict[int, str]:
    return {b["slot_id"]: b["status"] for b in all_bookings(db_url)}


def test_choosing_again_moves_the_clients_hold(
    client: TestClient, world: World, db_url: str
) -> None:
    first, second = world.slots["family"][:2]
    start(client, first, "family")
    start(client, second, "family", email="ADA@example.com")  # the same client, any case
    assert _statuses(db_url) == {first: "expired", second: "held"}
    assert taken(db_url, first) == 0 and taken(db_url, second) == 1
    [replaced] = [b for b in all_bookings(db_url) if b["slot_id"] == first]
    assert event_kinds(db_url, replaced["id"])[-1] == "hold_replaced"


def test_choosing_the_same_full_time_again_keeps_it(
    client: TestClient, world: World, db_url: str
) -> None:
    slot = world.slots["portraits"][0]  # one client per slot
    start(client, slot)
    assert submit_details(client, slot).status_code == 303  # not "someone else took it"
    assert taken(db_url, slot) == 1
    assert sorted(b["status"] for b in all_bookings(db_url)) == ["expired", "held"]


def test_other_clients_and_other_mini_sessions_keep_their_holds(
    client: TestClient, world: World, db_url: str
) -> None:
    start(client, world.slots["family"][0], "family")
    start(client, world.slots["family"][1], "family", email="grace@example.com")
    start(client, world.slots["portraits"][0])
    assert sorted(_statuses(db_url).values()) == ["held", "held", "held"]


def test_a_booked_client_may_book_another_time(
    client: TestClient, world: World, db_url: str
) -> None:
    token = start(client, world.slots["family"][0], "family")
    client.post(f"/b/{token}/quote")
    assert client.post(f"/b/{token}/pay/offline").status_code == 303
    start(client, world.slots["family"][1], "family")
    assert sorted(_statuses(db_url).values()) == ["booked", "held"]


def _limited(settings: Settings, clock: FakeClock, **limits: str | None) -> TestClient:
    return TestClient(create_app(settings.with_(**limits), clock=clock), follow_redirects=False)


def test_too_many_holds_from_one_address_get_a_429_page(
    settings: Settings, clock: FakeClock, world: World, db_url: str
) -> None:
    with _limited(settings, clock, holds_per_address="3/hour", holds_per_email=None) as client:
        slots = world.slots["family"]
        for n, slot in enumerate(slots[:3]):
            assert (
                submit_details(client, slot, "family", email=f"c{n}@example.com").status_code == 303
            )
        refused = submit_details(client, slots[3], "family", email="c9@example.com")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert "Please wait a moment" in refused.text and "try again in about an hour" in refused.text
    assert taken(db_url, slots[3]) == 0  # nothing held for the refused one


def test_too_many_holds_for_one_email_get_a_429_whatever_the_address(
    settings: Settings, clock: FakeClock, world: World, db_url: str
) -> None:
    with _limited(settings, clock, holds_per_address=None, holds_per_email="2/hour") as client:
        slots = world.slots["family"]
        assert submit_details(client, slots[0], "family").status_code == 303
        assert submit_details(client, slots[1], "family").status_code == 303
        assert submit_details(client, slots[2], "family").status_code == 429
        # Someone else on the same connection is not held back by Ada's limit.
        other = submit_details(client, slots[2], "family", email="grace@example.com")
    assert other.status_code == 303


def test_a_form_with_mistakes_does_not_count(
    settings: Settings, clock: FakeClock, world: World
) -> None:
    with _limited(settings, clock, holds_per_address="1/hour", holds_per_email=None) as client:
        slot = world.slots["family"][0]
        for _ in range(3):
            assert submit_details(client, slot, "family", email="not an email").status_code == 422
        assert submit_details(client, slot, "family").status_code == 303
