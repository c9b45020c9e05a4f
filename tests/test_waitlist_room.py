"""Room the photographer adds goes to waiting clients, only once the change has committed;
and an offer is priced like the client's own hold (party size, tax), not at a bare price."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

import widget_server.booking.slots as slot_module
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.extras import seed_extras
from tests.support.queries import rows
from tests.support.world import World
from tests.test_waitlist import MINI, _day_of, _join, _offer_emails, _offers, _post, _sell_out
from widget_server.db.tables import quotes, session_days, slots


def _mini_id(world: World) -> int:
    return world.mini_ids[MINI]


def _day_fields(db_url: str, day_id: int, **changes: str) -> dict[str, str]:
    day = rows(db_url, sa.select(session_days).where(session_days.c.id == day_id))[0]
    return {
        "location": str(day["location_id"]),
        "date": day["date"].isoformat(),
        "start_time": day["start_time"].strftime("%H:%M"),
        "end_time": day["end_time"].strftime("%H:%M"),
        "slot_minutes": str(day["slot_minutes"]),
        "gap_minutes": str(day["gap_minutes"]),
        "capacity": str(day["capacity"]),
        **changes,
    }


def _sold_out_with_two_waiting(client: TestClient, acme: World) -> int:
    """Card Only sold out, Bea and Cy waiting for any time; returns its day's id."""
    _sell_out(client, acme)
    _join(client, "bea")
    _join(client, "cy")
    assert _offers_made(client) == []
    return _day_of(_db_url(client), acme.slots[MINI][0])


def _db_url(client: TestClient) -> str:
    app: Any = client.app
    return str(app.state.settings.database_url)


def _offers_made(client: TestClient) -> list[tuple[str, str]]:
    return [(o["email"], o["state"]) for o in _offers(_db_url(client))]


def test_a_day_the_photographer_adds_is_offered_to_the_waiting_clients_in_order(
    client: TestClient, acme: World, db_url: str
) -> None:
    day = _sold_out_with_two_waiting(client, acme)
    fields = _day_fields(db_url, day, end_time="09:45")  # two slots, the next day
    fields["date"] = (date.fromisoformat(fields["date"]) + timedelta(days=1)).isoformat()
    added = _post(client, f"/admin/minis/{_mini_id(acme)}/days", {**fields, "action": "save"})
    assert added.status_code == 303, added.text
    assert _offers_made(client) == [
        ("bea@example.com", "offered"),
        ("cy@example.com", "offered"),
    ]
    assert [e["recipient"] for e in _offer_emails(db_url)] == [
        "bea@example.com",
        "cy@example.com",
    ]


def test_raised_capacity_and_an_opened_slot_are_offered(
    client: TestClient, acme: World, db_url: str
) -> None:
    day = _sold_out_with_two_waiting(client, acme)
    base = f"/admin/minis/{_mini_id(acme)}/days/{day}"
    first = acme.slots[MINI][0]
    blocked = _post(client, f"{base}/slots/{first}/block", {"blocked": "1"})
    assert blocked.status_code == 303
    assert _offers_made(client) == []
    # Capacity 1 → 2 on every slot: five new spots, two waiting clients.
    raised = _post(
        client, f"{base}/edit", {**_day_fields(db_url, day, capacity="2"), "action": "save"}
    )
    assert raised.status_code == 303, raised.text
    offered = _offers(db_url)
    assert [(o["email"], o["state"]) for o in offered] == [
        ("bea@example.com", "offered"),
        ("cy@example.com", "offered"),
    ]
    assert first not in {o["slot_id"] for o in offered}  # still blocked: not offered
    # Two more spots open (four slots of two, two offered): Dee and Eve get them as they
    # join; Fay waits.
    for name in ("dee", "eve", "fay"):
        _join(client, name)
    assert _offers_made(client)[2:] == [
        ("dee@example.com", "offered"),
        ("eve@example.com", "offered"),
    ]
    opened = _post(client, f"{base}/slots/{first}/block", {"blocked": "0"})
    assert opened.status_code == 303
    assert (_offers(db_url)[-1]["email"], _offers(db_url)[-1]["slot_id"]) == (
        "fay@example.com",
        first,
    )


def test_a_change_that_does_not_commit_offers_nothing(
    client: TestClient, acme: World, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = _sold_out_with_two_waiting(client, acme)
    mini_id = _mini_id(acme)
    # A slot at a time the day already has: refused, rolled back.
    clash = _post(
        client,
        f"/admin/minis/{mini_id}/days/{day}/slots",
        {"slot_start": "09:00", "slot_length": "20"},
    )
    assert clash.status_code == 400
    # A re-plan that would move booked clients: asked first, nothing applied (the longer
    # day's new slots included).
    asked = _post(
        client,
        f"/admin/minis/{mini_id}/days/{day}/edit",
        {**_day_fields(db_url, day, start_time="09:10", end_time="12:00"), "action": "save"},
    )
    assert asked.status_code == 409

    # A new day whose write fails half-way (the day row written, its slots not): the
    # transaction rolls back, and no offer or email may exist for it.
    def broken(plan: object) -> list[object]:
        raise RuntimeError("the database went away mid-change")

    monkeypatch.setattr(slot_module, "plan_slots", broken)
    fields = _day_fields(db_url, day)
    with pytest.raises(RuntimeError):
        _post(client, f"/admin/minis/{mini_id}/days", {**fields, "action": "save"})
    assert (
        len(
            rows(
                db_url,
                sa.select(session_days.c.id).where(session_days.c.mini_session_id == mini_id),
            )
        )
        == 1
    )
    assert _offers(db_url) == [] and _offer_emails(db_url) == []
    assert len(rows(db_url, sa.select(slots.c.id).where(slots.c.session_day_id == day))) == 5


def test_an_offer_is_quoted_like_the_clients_own_hold_with_people_and_tax(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    # Portraits: $200 for two people (up to five), 10 % sales tax, $50 deposit.
    run_db(db_url, lambda db: seed_extras(db, world, clock()))
    joined = client.post(
        "/acme/portraits/waitlist",
        data={"name": "Bea", "email": "bea@example.com", "phone": "212 555 0143"},
    )
    assert joined.status_code == 200
    offered = [o for o in _offers(db_url) if o["email"] == "bea@example.com"]
    assert len(offered) == 1  # an open spot is offered at once
    quote = rows(db_url, sa.select(quotes).where(quotes.c.booking_id == offered[0]["booking_id"]))[
        0
    ]
    assert quote["party_size"] == 2
    assert quote["total_minor"] == 22000 and quote["due_now_minor"] == 5000
    labels = [item["label"] for item in json.loads(quote["items"])]
    assert any("Sales tax" in label for label in labels), labels
