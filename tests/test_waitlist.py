"""The waitlist over HTTP with a controllable clock: a freed spot is offered to the first
waiting client it suits, held for them alone for the claim window, claimed in one step
into checkout, handed on when the window passes, and public once nobody is left."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import accept_quote, pay_demo, start
from tests.support.queries import rows
from tests.support.world import World
from tests.test_admin_minis import EVERYTHING
from widget_server.db.tables import (
    bookings,
    mini_sessions,
    outbox,
    slots,
    waitlist_entries,
    waitlist_offers,
)
from widget_server.upkeep import upkeep

MINI = "card-only"  # one client per slot, five slots on one day, paid with the demo card


def _loosen(db_url: str) -> None:
    """Clients may cancel up to the session (the world's day is under 48 hours away)."""

    async def work(db: Database) -> None:
        await db.execute(
            mini_sessions.update().where(mini_sessions.c.slug == MINI).values(change_cutoff_hours=0)
        )

    run_db(db_url, work)


def _book(client: TestClient, slot_id: int, n: int) -> str:
    token = start(client, slot_id, MINI, email=f"booker{n}@example.com")
    accept_quote(client, token)
    assert pay_demo(client, token).status_code == 303
    return token


def _sell_out(client: TestClient, world: World) -> list[str]:
    return [_book(client, slot_id, n) for n, slot_id in enumerate(world.slots[MINI])]


def _join(client: TestClient, name: str, **choices: Any) -> Any:
    data: dict[str, Any] = {
        "name": name.title(),
        "email": f"{name}@example.com",
        "phone": "212 555 0143",
        **choices,
    }
    return client.post(f"/acme/{MINI}/waitlist", data=data)


def _cancel(client: TestClient, token: str) -> None:
    response = client.post(f"/b/{token}/cancel", data={"confirm": "yes", "message": ""})
    assert response.status_code == 303, response.text


def _offers(db_url: str) -> list[dict[str, Any]]:
    return rows(
        db_url,
        sa.select(
            waitlist_offers.c.state,
            waitlist_offers.c.slot_id,
            waitlist_offers.c.booking_id,
            waitlist_entries.c.email,
        )
        .join(waitlist_entries, waitlist_entries.c.id == waitlist_offers.c.entry_id)
        .order_by(waitlist_offers.c.id),
    )


def _offer_emails(db_url: str) -> list[dict[str, Any]]:
    return rows(
        db_url,
        sa.select(outbox.c.recipient, outbox.c.booking_id)
        .where(outbox.c.kind == "waitlist_offer")
        .order_by(outbox.c.id),
    )


def _state(client: TestClient) -> Any:
    app: Any = client.app
    return app.state


def _taken(db_url: str, slot_id: int) -> int:
    found = rows(db_url, sa.select(slots.c.taken).where(slots.c.id == slot_id))
    return int(found[0]["taken"])


def _claim_path(client: TestClient, db_url: str, booking_id: int) -> str:
    public_id = rows(db_url, sa.select(bookings.c.public_id).where(bookings.c.id == booking_id))[0][
        "public_id"
    ]
    return f"/b/{_state(client).tokens.make(public_id)}/claim"


def test_sold_out_page_offers_the_waitlist_and_a_cancelled_spot_goes_to_the_first_in_line(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    _loosen(db_url)
    tokens = _sell_out(client, world)
    page = client.get(f"/acme/{MINI}")
    assert "Fully booked: join the waitlist" in page.text
    assert _join(client, "bea").status_code == 200
    joined = _join(client, "cy")
    assert "You're on the waitlist" in joined.text
    assert _offers(db_url) == []  # nothing free: nobody is offered anything yet

    freed = world.slots[MINI][2]
    _cancel(client, tokens[2])
    offers = _offers(db_url)
    assert [(o["email"], o["state"], o["slot_id"]) for o in offers] == [
        ("bea@example.com", "offered", freed)
    ]
    # Held for Bea alone: the spot never went back to the public.
    assert _taken(db_url, freed) == 1
    assert "Fully booked" in client.get(f"/acme/{MINI}").text
    assert client.get(f"/acme/{MINI}/book?slot={freed}").status_code == 409
    assert [e["recipient"] for e in _offer_emails(db_url)] == ["bea@example.com"]

    claim = _claim_path(client, db_url, offers[0]["booking_id"])
    shown = client.get(claim)
    assert shown.status_code == 200 and "Claim this spot" in shown.text
    claimed = client.post(claim)
    assert claimed.status_code == 303
    assert claimed.headers["location"] == claim.removesuffix("/claim") + "/quote"
    token = claim.split("/")[2]
    accept_quote(client, token)
    assert pay_demo(client, token).status_code == 303
    assert _offers(db_url)[0]["state"] == "claimed"
    booked = rows(db_url, sa.select(bookings.c.status).where(bookings.c.slot_id == freed))
    assert sorted(b["status"] for b in booked) == ["booked", "cancelled"]
    # Claiming again is harmless: it goes to the booking.
    assert client.post(claim).headers["location"] == claim.removesuffix("/claim")


def test_a_lapsed_offer_goes_to_the_next_client_then_to_the_public(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    _loosen(db_url)
    tokens = _sell_out(client, world)
    _join(client, "bea")
    _join(client, "cy")
    freed = world.slots[MINI][1]
    _cancel(client, tokens[1])
    first = _offers(db_url)[0]
    clock.advance(minutes=119)
    assert "Fully booked" in client.get(f"/acme/{MINI}").text
    clock.advance(minutes=2)
    # Nobody ran a sweep: the page itself hands the lapsed offer on before showing times.
    assert "Fully booked" in client.get(f"/acme/{MINI}").text
    offers = _offers(db_url)
    assert [(o["email"], o["state"]) for o in offers] == [
        ("bea@example.com", "lapsed"),
        ("cy@example.com", "offered"),
    ]
    assert _taken(db_url, freed) == 1
    # Bea's link now says the offer has passed, and claiming changes nothing.
    late = client.post(_claim_path(client, db_url, first["booking_id"]))
    assert late.status_code == 410 and "This offer has passed" in late.text
    clock.advance(hours=2, minutes=1)
    page = client.get(f"/acme/{MINI}")
    assert "Fully booked" not in page.text
    assert f"book?slot={freed}" in page.text
    assert [o["state"] for o in _offers(db_url)] == ["lapsed", "lapsed"]
    assert _taken(db_url, freed) == 0
    assert [e["recipient"] for e in _offer_emails(db_url)] == [
        "bea@example.com",
        "cy@example.com",
    ]


def test_a_lapse_while_no_process_ran_is_handed_on_by_the_first_upkeep_round(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    _loosen(db_url)
    tokens = _sell_out(client, world)
    _join(client, "bea")
    _join(client, "cy")
    _cancel(client, tokens[0])
    clock.advance(hours=5)  # the server was down all this while: no sweep, no page view
    run_db(db_url, lambda db: upkeep(db, clock, {}))
    assert [(o["email"], o["state"]) for o in _offers(db_url)] == [
        ("bea@example.com", "lapsed"),
        ("cy@example.com", "offered"),
    ]


def test_only_a_spot_that_suits_the_client_is_offered_to_them(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    _loosen(db_url)
    tokens = _sell_out(client, world)
    # The day runs 9:00 to 11:00 in New York: mornings only. Bea wants afternoons, Cy any.
    _join(client, "bea", part="afternoon")
    _join(client, "cy")
    _cancel(client, tokens[3])
    assert [(o["email"], o["state"]) for o in _offers(db_url)] == [("cy@example.com", "offered")]


def test_leaving_from_the_email_passes_the_held_spot_to_the_next_client(
    client: TestClient, world: World, db_url: str, clock: FakeClock
) -> None:
    _loosen(db_url)
    tokens = _sell_out(client, world)
    _join(client, "bea")
    _join(client, "cy")
    _cancel(client, tokens[4])
    email = run_db(db_url, lambda db: _render_first_offer(db, client))
    leave = re.search(r"http://[^/]+(/waitlist/[^\s]+)", email)
    assert leave, email
    page = client.get(leave.group(1))
    assert page.status_code == 200 and "Leave the waitlist?" in page.text
    assert _offers(db_url)[0]["state"] == "offered"  # a GET (a mail scanner) changes nothing
    left = client.post(leave.group(1))
    assert "You've left the waitlist" in left.text
    assert [(o["email"], o["state"]) for o in _offers(db_url)] == [
        ("bea@example.com", "withdrawn"),
        ("cy@example.com", "offered"),
    ]
    assert _taken(db_url, world.slots[MINI][4]) == 1
    assert client.get("/waitlist/forged-token").status_code == 404


async def _render_first_offer(db: Database, client: TestClient) -> str:
    from widget_server.db.outbox import OutboxEmail
    from widget_server.mail.render import render_email

    row = await db.fetch_one(
        outbox.select().where(outbox.c.kind == "waitlist_offer").order_by(outbox.c.id)
    )
    assert row is not None
    state = _state(client)
    rendered = await render_email(
        db,
        OutboxEmail.from_row(row),
        base_url="http://book.test",
        tokens=state.tokens,
        now=state.clock(),
    )
    assert rendered.subject.startswith("A spot opened up: Card Only")
    assert "Claim this spot" in rendered.html
    return rendered.text


def test_join_form_errors_are_explained_and_nothing_is_saved(
    client: TestClient, world: World, db_url: str
) -> None:
    response = client.post(
        f"/acme/{MINI}/waitlist", data={"name": "", "email": "nope", "phone": "", "day": "x"}
    )
    assert response.status_code == 422
    assert "Please enter your name." in response.text
    assert rows(db_url, sa.select(waitlist_entries.c.id)) == []
    assert client.get("/acme/no-such-mini/waitlist").status_code == 404


def _post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    csrf = csrf_from(client.get("/admin/minis").text)
    return client.post(path, data={"csrf": csrf, **data})


def _day_of(db_url: str, slot_id: int) -> int:
    found = rows(db_url, sa.select(slots.c.session_day_id).where(slots.c.id == slot_id))
    return int(found[0]["session_day_id"])


def test_the_photographer_sees_the_list_in_order_and_offers_a_spot_by_hand(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    _loosen(db_url)
    tokens = _sell_out(client, acme)
    _join(client, "bea")
    _join(client, "cy", part="evening")
    mini_id = acme.mini_ids[MINI]
    page = client.get(f"/admin/minis/{mini_id}/waitlist")
    assert page.status_code == 200
    # In the page's main part: the head carries random nonces that may spell "Cy".
    listed = page.text[page.text.index("<main") :]
    assert listed.index("Bea") < listed.index("Cy")
    assert "2 on the list · 2 waiting" in page.text and "No open time to offer" in page.text

    _cancel(client, tokens[0])  # offered to Bea at once
    page = client.get(f"/admin/minis/{mini_id}/waitlist")
    assert "Offered" in page.text and "1 waiting" in page.text
    # The studio adds a slot: Cy doesn't want mornings, so it stays open for her to be
    # offered by hand (the photographer knows best).
    day = _day_of(db_url, acme.slots[MINI][0])
    added = _post(
        client,
        f"/admin/minis/{mini_id}/days/{day}/slots",
        {"slot_start": "11:30", "slot_length": "20"},
    )
    assert added.status_code == 303
    new_slot = rows(
        db_url,
        sa.select(slots.c.id).where(slots.c.session_day_id == day).order_by(slots.c.starts_at),
    )[-1]["id"]
    assert [o["email"] for o in _offers(db_url)] == ["bea@example.com"]
    cy = rows(
        db_url,
        sa.select(waitlist_entries.c.id).where(waitlist_entries.c.email == "cy@example.com"),
    )[0]["id"]
    offer = f"/admin/minis/{mini_id}/waitlist/{cy}/offer"
    done = _post(client, offer, {"slot": str(new_slot)})
    assert done.headers["location"].endswith("?done=offered")
    assert [(o["email"], o["slot_id"]) for o in _offers(db_url)][-1] == (
        "cy@example.com",
        new_slot,
    )
    assert _taken(db_url, new_slot) == 1
    # Again: she isn't waiting any more, and the slot is full; nothing changes.
    again = _post(client, offer, {"slot": str(new_slot)})
    assert again.headers["location"].endswith("?done=taken")
    assert len(_offers(db_url)) == 2
    assert "by hand" in client.get(f"/admin/minis/{mini_id}/waitlist").text
    # Another studio's mini session, and a slot of another mini session, are not found.
    other = acme.mini_ids["portraits"]
    assert client.get(f"/admin/minis/{other + 1000}/waitlist").status_code == 404
    wrong = _post(client, offer, {"slot": str(acme.slots["portraits"][0])})
    assert wrong.status_code == 404


def test_a_slot_the_photographer_adds_goes_to_the_first_client_it_suits(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    _sell_out(client, acme)
    _join(client, "bea", part="evening")
    _join(client, "cy", part="morning")
    day = _day_of(db_url, acme.slots[MINI][0])
    _post(
        client,
        f"/admin/minis/{acme.mini_ids[MINI]}/days/{day}/slots",
        {"slot_start": "11:30", "slot_length": "20"},
    )
    assert [(o["email"], o["state"]) for o in _offers(db_url)] == [("cy@example.com", "offered")]


def test_the_claim_window_is_between_ten_minutes_and_two_days(
    client: TestClient, acme: World, db_url: str
) -> None:
    mini_id = acme.mini_ids[MINI]
    page = client.get(f"/admin/minis/{mini_id}/edit").text
    assert 'name="claim_window_minutes" type="number" value="120"' in page
    form = {**EVERYTHING, "csrf": csrf_from(page)}
    for bad in ("9", "2881", "soon"):
        response = client.post(
            f"/admin/minis/{mini_id}/edit",
            data={**form, "claim_window_minutes": bad},
        )
        assert response.status_code == 400, bad
    stored = rows(
        db_url,
        sa.select(mini_sessions.c.claim_window_minutes).where(mini_sessions.c.id == mini_id),
    )
    assert stored == [{"claim_window_minutes": 120}]
    ok = client.post(
        f"/admin/minis/{mini_id}/edit",
        data={**form, "claim_window_minutes": "2880"},
    )
    assert ok.status_code == 303, ok.text
    stored = rows(
        db_url,
        sa.select(mini_sessions.c.claim_window_minutes).where(mini_sessions.c.id == mini_id),
    )
    assert stored == [{"claim_window_minutes": 2880}]
