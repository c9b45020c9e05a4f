"""The waitlist's webhook events: joined, offered, claimed, lapsed and left, each written with
the change that caused it, in order per waiting client, and never carrying the secret of
the client's "leave" link."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.queries import rows
from tests.support.world import World
from tests.test_waitlist import MINI, _cancel, _claim_path, _join, _loosen, _offers, _sell_out
from tests.test_webhooks_out import add_endpoint
from widget_server.booking.webhook_events import EVENT_TYPES
from widget_server.db.tables import waitlist_entries, webhook_deliveries

WAITLIST_EVENTS = [
    "waitlist.joined",
    "waitlist.offered",
    "waitlist.claimed",
    "waitlist.lapsed",
    "waitlist.left",
]


def _events(db_url: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(ordering key, event type, data) of every delivery queued, oldest first."""
    found = rows(db_url, webhook_deliveries.select().order_by(webhook_deliveries.c.id))
    return [(d["ordering_key"], d["event_type"], json.loads(d["payload"])["data"]) for d in found]


def test_each_waitlist_change_queues_its_event_in_order_per_client(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    _loosen(db_url)
    tokens = _sell_out(client, world)
    add_endpoint(db_url, "https://hooks.example.com/w", clock(), WAITLIST_EVENTS)
    _join(client, "bea", part="morning")
    _join(client, "bea", part="morning")  # joining again only updates: no second event
    _join(client, "cy")
    entries = {r["email"]: r for r in rows(db_url, waitlist_entries.select())}
    bea, cy = entries["bea@example.com"]["id"], entries["cy@example.com"]["id"]

    joined = _events(db_url)
    assert [(k, t) for k, t, _ in joined] == [
        (f"waitlist:{bea}", "waitlist.joined"),
        (f"waitlist:{cy}", "waitlist.joined"),
    ]
    entry = joined[0][2]["entry"]
    assert entry["state"] == "waiting" and entry["mini"] == MINI
    assert entry["client"] == {
        "name": "Bea",
        "email": "bea@example.com",
        "phone": entries["bea@example.com"]["phone"],
    }
    assert entry["preferences"]["parts_of_day"] == ["morning"]
    public_ids = {r["public_id"] for r in entries.values()}
    payloads = [d["payload"] for d in rows(db_url, webhook_deliveries.select())]
    assert not any(p in text for p in public_ids for text in payloads)  # the leave secret

    _cancel(client, tokens[1])  # Bea is offered the spot
    *_, (key, kind, data) = _events(db_url)
    offer = _offers(db_url)[0]
    assert (key, kind) == (f"waitlist:{bea}", "waitlist.offered")
    assert data["entry"]["state"] == "offered"
    assert data["offer"]["booking_id"] == offer["booking_id"]
    assert data["offer"]["slot_id"] == world.slots[MINI][1] and data["offer"]["claim_by"]
    assert data["offer"]["by_hand"] is False

    clock.advance(hours=2, minutes=1)  # Bea lets it lapse: the spot goes on to Cy
    client.get(f"/acme/{MINI}")
    lapsed, offered = _events(db_url)[-2:]
    assert lapsed[:2] == (f"waitlist:{bea}", "waitlist.lapsed")
    assert lapsed[2]["booking_id"] == offer["booking_id"]
    assert offered[:2] == (f"waitlist:{cy}", "waitlist.offered")

    cy_offer = _offers(db_url)[1]
    assert client.post(_claim_path(client, db_url, cy_offer["booking_id"])).status_code == 303
    *_, (key, kind, data) = _events(db_url)
    assert (key, kind) == (f"waitlist:{cy}", "waitlist.claimed")
    assert data["booking_id"] == cy_offer["booking_id"] and data["entry"]["state"] == "claimed"

    # Dee joins and leaves with the link the page gives her.
    page = _join(client, "dee").text
    leave = re.search(r'(/waitlist/[^"?#\s]+)', page)
    assert leave, page
    assert client.post(leave.group(1)).status_code == 200
    dee = next(r["id"] for r in rows(db_url, waitlist_entries.select()) if r["name"] == "Dee")
    assert [(k, t) for k, t, _ in _events(db_url) if k == f"waitlist:{dee}"] == [
        (f"waitlist:{dee}", "waitlist.joined"),
        (f"waitlist:{dee}", "waitlist.left"),
    ]
    # Per client, the order things happened.
    per_key: dict[str, list[str]] = {}
    for k, t, _ in _events(db_url):
        per_key.setdefault(k, []).append(t)
    assert per_key[f"waitlist:{bea}"] == ["waitlist.joined", "waitlist.offered", "waitlist.lapsed"]
    assert per_key[f"waitlist:{cy}"] == ["waitlist.joined", "waitlist.offered", "waitlist.claimed"]


def test_an_endpoint_without_waitlist_events_gets_none(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    _loosen(db_url)
    tokens = _sell_out(client, world)
    add_endpoint(db_url, "https://hooks.example.com/b", clock(), ["booking.cancelled"])
    _join(client, "bea")
    _cancel(client, tokens[0])
    assert [t for _, t, _ in _events(db_url)] == ["booking.cancelled"]


def test_the_readme_documents_every_event_an_endpoint_can_want() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    missing = [e for e in EVENT_TYPES if f"| `{e}` |" not in readme]
    assert missing == []
