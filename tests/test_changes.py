"""Reschedule and cancel from the confirmation page, over HTTP: the rules, the moves, the emails."""

from __future__ import annotations

import json
from html import unescape

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.flow import accept_quote, book_with_demo_card, start
from tests.support.mail import kinds, outbox_rows, set_mini
from tests.support.queries import all_bookings, all_leads, all_payments, event_kinds, rows, taken
from tests.support.world import World
from widget_server.db.tables import refunds

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def changeable(db_url: str, world: World) -> World:
    """Portraits with a 24-hour cutoff (the world's slots are about 47 hours away)."""
    set_mini(db_url, "portraits", change_cutoff_hours=24)
    return world


def booked(client: TestClient, world: World, index: int = 0) -> str:
    return book_with_demo_card(client, world.slots["portraits"][index])


def booking(db_url: str) -> dict:
    return all_bookings(db_url)[0]


def test_confirmation_offers_both_changes_before_the_cutoff(
    client: TestClient, changeable: World
) -> None:
    token = booked(client, changeable)
    page = client.get(f"/b/{token}").text
    assert f'href="/b/{token}/reschedule"' in page and f'href="/b/{token}/cancel"' in page
    assert "Changes are possible until Wed, Nov 25, 9:00 AM EST" in page


def test_past_the_cutoff_the_page_says_why_and_the_changes_are_refused(
    client: TestClient, changeable: World, db_url: str, clock: FakeClock
) -> None:
    token = booked(client, changeable)
    clock.advance(hours=23, minutes=1)  # the cutoff was 24 h before a slot 47 h away
    page = client.get(f"/b/{token}").text
    assert "/reschedule" not in page and "/cancel" not in page
    assert "Online changes close 24 hours before your session" in page
    for path in ("reschedule", "cancel"):
        refused = client.get(f"/b/{token}/{path}")
        assert refused.status_code == 409 and "Online changes close 24 hours" in refused.text
    slot = changeable.slots["portraits"][1]
    assert client.post(f"/b/{token}/reschedule", data={"slot": slot}).status_code == 409
    posted = client.post(f"/b/{token}/cancel", data={"confirm": "yes"})
    assert posted.status_code == 409
    assert booking(db_url)["status"] == "booked" and booking(db_url)["slot_id"] != slot


def test_switched_off_changes_are_not_offered(
    client: TestClient, changeable: World, db_url: str
) -> None:
    set_mini(db_url, "portraits", allow_reschedule=False)
    token = booked(client, changeable)
    page = unescape(client.get(f"/b/{token}").text)
    assert "/reschedule" not in page and f'href="/b/{token}/cancel"' in page
    assert "Acme Photo doesn't take online reschedules for this session" in page
    assert client.get(f"/b/{token}/reschedule").status_code == 409
    set_mini(db_url, "portraits", allow_cancel=False)
    page = client.get(f"/b/{token}").text
    assert "/cancel" not in page and "/reschedule" not in page
    assert client.post(f"/b/{token}/cancel", data={"confirm": "yes"}).status_code == 409
    assert booking(db_url)["status"] == "booked"


def test_reschedule_moves_the_booking_and_keeps_the_payment(
    client: TestClient, changeable: World, db_url: str
) -> None:
    old, new = changeable.slots["portraits"][0], changeable.slots["portraits"][1]
    token = booked(client, changeable)
    picker = client.get(f"/b/{token}/reschedule")
    assert picker.status_code == 200 and "Choose a new time" in picker.text
    assert "Your time" in picker.text and f'href="?slot={new}"' in picker.text
    assert f'href="?slot={old}"' not in picker.text
    confirm = client.get(f"/b/{token}/reschedule?slot={new}")
    assert confirm.status_code == 200 and "Move to this time" in confirm.text
    assert "<strong>Thu, Nov 26, 9:25 AM EST</strong>" in confirm.text
    assert booking(db_url)["slot_id"] == old  # looking changes nothing

    moved = client.post(f"/b/{token}/reschedule", data={"slot": str(new)})
    assert moved.status_code == 303 and moved.headers["location"] == f"/b/{token}?done=rescheduled"
    row = booking(db_url)
    assert (row["status"], row["slot_id"], row["rescheduled_from_slot_id"]) == ("booked", new, old)
    assert (taken(db_url, old), taken(db_url, new)) == (0, 1)
    assert [(p["method"], p["amount_minor"]) for p in all_payments(db_url)] == [("demo", 5000)]
    assert event_kinds(db_url, row["id"])[-1] == "rescheduled"
    assert kinds(db_url)[-2:] == [
        ("rescheduled", "ada@example.com"),
        ("rescheduled_studio", "acme@studio.test"),
    ]
    payload = json.loads(outbox_rows(db_url)[-1]["payload"])
    assert {k: payload[k] for k in ("slot_id", "old_slot_id", "by")} == {
        "slot_id": new,
        "old_slot_id": old,
        "by": "client",
    }
    # What the email says is written with it: the new time, the old one, the SEQUENCE.
    assert payload["facts"]["booking"]["slot_id"] == new
    assert payload["facts"]["old"]["starts_at"] and payload["facts"]["calendar_sequence"] == 1
    page = client.get(moved.headers["location"]).text
    assert "Your booking has moved" in page and "9:25 AM EST" in page
    # The freed time is bookable again.
    assert client.get(f"/acme/portraits/book?slot={old}").status_code == 200


def test_reschedule_to_another_location_of_the_same_session(
    client: TestClient, changeable: World, db_url: str
) -> None:
    token = booked(client, changeable)
    meadow = changeable.slots["portraits"][-1]  # the Denver day
    assert client.post(f"/b/{token}/reschedule", data={"slot": str(meadow)}).status_code == 303
    page = client.get(f"/b/{token}").text
    assert "Meadow" in page and "Mountain Standard Time" in page


@pytest.mark.parametrize(
    ("target", "status", "text"),
    [
        ("other_studio", 404, "isn't part of this session"),
        ("other_mini", 404, "isn't part of this session"),
        ("past", 409, "already passed"),
        ("too_soon", 409, "too close to book"),
        ("same", 409, "already your time"),
        ("taken", 409, "Someone else just booked this time"),
        ("garbage", 404, "couldn"),
    ],
)
def test_reschedule_refuses_bad_targets_and_changes_nothing(
    client: TestClient, changeable: World, db_url: str, target: str, status: int, text: str
) -> None:
    token = booked(client, changeable)
    other_token = booked(client, changeable, 1)
    slots = changeable.slots["portraits"]
    slot = {
        "other_studio": changeable.other_studio_slot,
        "other_mini": changeable.slots["family"][0],
        "past": changeable.past_slot,
        "too_soon": changeable.too_soon_slot,
        "same": slots[0],
        "taken": slots[1],
        "garbage": "1 OR 1=1",
    }[target]
    before = all_bookings(db_url)
    response = client.post(f"/b/{token}/reschedule", data={"slot": str(slot)})
    assert response.status_code == status and text in unescape(response.text)
    assert all_bookings(db_url) == before
    assert other_token  # the booking on slots[1] is untouched
    assert taken(db_url, slots[0]) == taken(db_url, slots[1]) == 1


def test_forged_tokens_and_wrong_methods(client: TestClient, changeable: World) -> None:
    token = booked(client, changeable)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for path in ("reschedule", "cancel"):
        assert client.get(f"/b/{forged}/{path}").status_code == 404
        assert client.post(f"/b/{forged}/{path}", data={"confirm": "yes"}).status_code == 404
        wrong = client.put(f"/b/{token}/{path}")
        assert wrong.status_code == 405 and "use the page's buttons" in unescape(wrong.text)


def test_a_hold_cannot_be_rescheduled_or_cancelled(
    client: TestClient, changeable: World, db_url: str
) -> None:
    token = start(client, changeable.slots["portraits"][0])
    accept_quote(client, token)
    slot = changeable.slots["portraits"][1]
    assert client.post(f"/b/{token}/reschedule", data={"slot": str(slot)}).status_code == 409
    assert client.post(f"/b/{token}/cancel", data={"confirm": "yes"}).status_code == 409
    assert booking(db_url)["status"] == "held"


def test_cancel_asks_for_a_confirmation(client: TestClient, changeable: World, db_url: str) -> None:
    token = booked(client, changeable)
    form = client.get(f"/b/{token}/cancel")
    assert (
        form.status_code == 200 and 'name="message"' in form.text and 'name="confirm"' in form.text
    )
    unconfirmed = client.post(f"/b/{token}/cancel", data={"message": "Sorry " + SCRIPT})
    assert unconfirmed.status_code == 422 and "tick the box" in unconfirmed.text
    assert SCRIPT not in unconfirmed.text and "&lt;script&gt;" in unconfirmed.text
    assert booking(db_url)["status"] == "booked" and kinds(db_url)[-1][0] == "new_booking"


@pytest.mark.parametrize(
    ("message", "error"),
    [("x" * 2001, "under 2000"), ("Hi\x00", "can't accept"), ("evil\u202etxt", "can't accept")],
)
def test_cancel_refuses_unusable_messages(
    client: TestClient, changeable: World, db_url: str, message: str, error: str
) -> None:
    token = booked(client, changeable)
    response = client.post(f"/b/{token}/cancel", data={"message": message, "confirm": "yes"})
    assert response.status_code == 422 and error in unescape(response.text)
    assert booking(db_url)["status"] == "booked"


def test_cancel_frees_the_slot_keeps_the_lead_and_tells_both(
    client: TestClient, changeable: World, db_url: str
) -> None:
    slot = changeable.slots["portraits"][0]
    token = booked(client, changeable)
    message = f"Can't make it, sorry!\r\nMaybe next time {SCRIPT}"
    done = client.post(f"/b/{token}/cancel", data={"message": message, "confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"] == f"/b/{token}?done=cancelled"
    row = booking(db_url)
    assert row["status"] == "cancelled" and row["cancelled_at"] is not None
    assert taken(db_url, slot) == 0
    assert [lead["status"] for lead in all_leads(db_url)] == ["booked"]  # the studio closes it
    assert event_kinds(db_url, row["id"])[-1] == "cancelled"
    assert kinds(db_url)[-2:] == [
        ("cancelled", "ada@example.com"),
        ("cancelled_studio", "acme@studio.test"),
    ]
    assert "Maybe next time <script>" in outbox_rows(db_url)[-1]["payload"]
    page = client.get(done.headers["location"]).text
    assert "This booking was cancelled" in page and "/reschedule" not in page
    # What became of the deposit, and why (the default policy keeps it).
    assert "<dt>You paid</dt><dd>$50.00</dd>" in page and "<dt>Refunded</dt><dd>$0.00</dd>" in page
    assert "<dt>Kept by the studio</dt><dd>$50.00</dd>" in page
    assert "deposits aren&#39;t refunded when a booking is cancelled" in page
    # Cancelling again changes nothing.
    again = client.post(f"/b/{token}/cancel", data={"confirm": "yes"})
    assert again.status_code == 303 and again.headers["location"] == f"/b/{token}"
    assert event_kinds(db_url, row["id"]).count("cancelled") == 1 and len(kinds(db_url)) == 4
    # The time is free for the next client.
    assert client.get(f"/acme/portraits/book?slot={slot}").status_code == 200


@pytest.mark.parametrize(("policy", "refunded"), [("keep_deposit", 0), ("full", 5000), ("none", 0)])
def test_cancel_refunds_by_the_policy_once(
    client: TestClient, changeable: World, db_url: str, policy: str, refunded: int
) -> None:
    set_mini(db_url, "portraits", cancel_refund_policy=policy)
    token = booked(client, changeable)
    form = unescape(client.get(f"/b/{token}/cancel").text)
    if refunded:
        assert "You'll get back everything you paid: $50.00" in form
    elif policy == "keep_deposit":
        assert "Acme Photo keeps the $50.00 deposit you paid" in form
    else:
        assert "the $50.00 you paid is kept" in form
    client.post(f"/b/{token}/cancel", data={"confirm": "yes"})
    client.post(f"/b/{token}/cancel", data={"confirm": "yes"})
    found = rows(db_url, sa.select(refunds))
    assert sum(r["amount_minor"] for r in found) == refunded and len(found) == (
        1 if refunded else 0
    )
    if refunded:
        assert "Refunded" in client.get(f"/b/{token}").text


def test_keep_deposit_refunds_what_was_paid_beyond_it(
    client: TestClient, changeable: World, db_url: str, clock: FakeClock
) -> None:
    set_mini(db_url, "card-only", change_cutoff_hours=0, cancel_refund_policy="keep_deposit")
    # card-only has no deposit: keep_deposit keeps nothing and refunds it all.
    token = book_with_demo_card(client, changeable.slots["card-only"][0], "card-only")
    client.post(f"/b/{token}/cancel", data={"confirm": "yes"})
    assert [r["amount_minor"] for r in rows(db_url, sa.select(refunds))] == [9000]


def test_offline_pending_payment_has_nothing_to_refund(
    client: TestClient, world: World, db_url: str
) -> None:
    set_mini(db_url, "family", change_cutoff_hours=0, cancel_refund_policy="full")
    token = start(client, world.slots["family"][0], "family")
    accept_quote(client, token)
    client.post(f"/b/{token}/pay/offline")
    form = client.get(f"/b/{token}/cancel")
    assert form.status_code == 200 and "get back" not in form.text
    assert client.post(f"/b/{token}/cancel", data={"confirm": "yes"}).status_code == 303
    assert rows(db_url, sa.select(refunds)) == [] and booking(db_url)["status"] == "cancelled"


def test_a_free_booking_can_be_moved_and_cancelled(
    client: TestClient, world: World, db_url: str
) -> None:
    set_mini(db_url, "free-day", change_cutoff_hours=1)
    first, second = world.slots["free-day"][:2]
    booked = client.post(
        f"/acme/free-day/book?slot={first}",
        data={"name": "Ada Lovelace", "email": "ada@example.com", "phone": "212 555 0143"},
    )
    token = booked.headers["location"].removeprefix("/b/").removesuffix("?done=booked")
    assert client.post(f"/b/{token}/reschedule", data={"slot": str(second)}).status_code == 303
    calendar = client.get(f"/b/{token}/calendar.ics").text
    assert "DTSTART:20261126T142500Z" in calendar  # the new time
    assert client.post(f"/b/{token}/cancel", data={"confirm": "yes"}).status_code == 303
    assert booking(db_url)["status"] == "cancelled" and taken(db_url, second) == 0
    assert rows(db_url, sa.select(refunds)) == []


@pytest.mark.parametrize("slot", ["2147483648", "99999999999", "9" * 5000, "²", "1\x00"])
def test_a_new_time_no_row_can_have_is_not_found(
    client: TestClient, changeable: World, db_url: str, slot: str
) -> None:
    token = booked(client, changeable)
    assert client.get(f"/b/{token}/reschedule", params={"slot": slot}).status_code == 404
    assert client.post(f"/b/{token}/reschedule", data={"slot": slot}).status_code == 404
    assert booking(db_url)["slot_id"] == changeable.slots["portraits"][0]
