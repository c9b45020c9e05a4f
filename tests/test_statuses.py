"""What the dashboard says a lead, a booking, a slot and a payment are (studio/statuses.py),
and that the pages offer only the actions that can succeed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.flow import accept_quote, book_with_demo_card, start
from tests.support.queries import all_bookings, rows
from tests.support.world import World
from widget_server.db.tables import slots
from widget_server.studio.statuses import (
    Status,
    booking_status,
    can_close_lead,
    lead_status,
    payment_status,
    slot_status,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SOON = NOW + timedelta(minutes=10)
GONE = NOW - timedelta(minutes=1)


def test_a_booking_says_what_it_is_now() -> None:
    assert booking_status("held", SOON, NOW) == Status("Held", "wait")
    assert booking_status("held", GONE, NOW) == Status("Hold lapsed", "bad")
    assert booking_status("expired", None, NOW) == Status("Hold lapsed", "bad")
    assert booking_status("booked", None, NOW) == Status("Booked", "ok")
    assert booking_status("cancelled", None, NOW) == Status("Cancelled", "bad")


def test_a_cancelled_booking_never_says_its_lead_is_booked() -> None:
    # The lead's own column stays "booked" after a cancellation.
    cancelled = lead_status("booked", "cancelled", None, NOW, lead_live=False)
    assert cancelled.label == "Cancelled: follow up?"
    assert lead_status("booked", "booked", None, NOW, lead_live=True).label == "Booked"
    assert lead_status("booked", "cancelled", None, NOW, lead_live=True).label == (
        "Booked another time"
    )
    assert lead_status("closed", "cancelled", None, NOW, lead_live=False).label == "Closed"
    assert lead_status("scheduling_in_progress", "held", SOON, NOW, lead_live=True).label == (
        "Choosing a time"
    )
    assert lead_status("scheduling_in_progress", "expired", None, NOW, lead_live=False).label == (
        "Didn't book: follow up"
    )


def test_close_lead_is_offered_only_when_it_can_succeed() -> None:
    assert not can_close_lead("booked", "booked", None, NOW, lead_live=True)
    assert not can_close_lead("scheduling_in_progress", "held", SOON, NOW, lead_live=True)
    assert not can_close_lead("closed", "cancelled", None, NOW, lead_live=False)
    assert not can_close_lead("booked", "cancelled", None, NOW, lead_live=True)  # rebooked
    assert can_close_lead("booked", "cancelled", None, NOW, lead_live=False)
    assert can_close_lead("scheduling_in_progress", "held", GONE, NOW, lead_live=False)


def test_a_slot_whose_spots_are_all_held_is_held_not_open() -> None:
    def slot(booked: int, held: int, capacity: int = 1, **kw: bool) -> str:
        args = {"blocked": False, "past": False, **kw}
        return slot_status(booked=booked, held=held, capacity=capacity, **args).label

    assert slot(0, 1) == "Held"
    assert slot(1, 0) == "Full"
    assert slot(0, 0) == "Open"
    assert slot(1, 1, capacity=3) == "Open: 1 of 3 left"
    assert slot(2, 1, capacity=3) == "Held"
    assert slot(0, 0, blocked=True) == "Blocked"
    assert slot(0, 0, past=True) == "Past"


def test_an_offline_payment_not_received_is_due() -> None:
    assert payment_status("pending", "offline") == Status("Due", "wait")
    assert payment_status("succeeded", "demo") == Status("Paid", "ok")


def page_text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_pages_say_the_truth_and_offer_what_can_succeed(
    client: TestClient, acme: World, db_url: str
) -> None:
    family = acme.slots["family"]  # offline payment, 3 clients per slot
    # an offline booking, nothing paid yet
    token = start(client, family[0], "family", name="Offline Olive", email="olive@example.com")
    accept_quote(client, token)
    assert client.post(f"/b/{token}/pay/offline").status_code == 303
    olive = next(b for b in all_bookings(db_url) if b["slot_id"] == family[0])
    page = client.get(f"/admin/bookings/{olive['id']}").text
    text = page_text(page)
    assert "Payment recorded" not in text and "Chose to pay offline: $90.00 due" in text
    assert "$0.00 back" not in text and "nothing to refund" in text
    assert "Close lead" not in text  # she is booked: closing would be refused
    # the studio cancels it: the lead reads cancelled, and closing it is offered
    cancelled = client.post(
        f"/admin/bookings/{olive['id']}/cancel",
        data={"csrf": csrf_from(page), "refund": "none", "confirm": "yes", "message": ""},
    )
    assert cancelled.status_code == 303, cancelled.text
    text = page_text(client.get(f"/admin/bookings/{olive['id']}").text)
    assert "Lead Cancelled: follow up?" in text and "Close lead" in text
    listed = page_text(client.get("/admin/bookings?status=cancelled").text)
    assert "Offline Olive" in listed and "Cancelled: follow up?" in listed
    assert "Booked Ref" not in listed

    # a slot with its one spot held says so on the day's page
    portraits = acme.slots["portraits"]
    start(client, portraits[0], name="Holding Hannah", email="hannah@example.com")
    mini_id = acme.mini_ids["portraits"]
    [slot] = rows(db_url, sa.select(slots.c.session_day_id).where(slots.c.id == portraits[0]))
    day_url = f"/admin/minis/{mini_id}/days/{slot['session_day_id']}"
    lines = re.findall(r"<tr>(.*?)</tr>", client.get(day_url + "/edit").text, re.S)
    held_row = page_text(next(r for r in lines if "1 of 1 (1 held)" in page_text(r)))
    assert "Held" in held_row and "Open" not in held_row


def test_a_move_says_from_and_to_what(client: TestClient, acme: World, db_url: str) -> None:
    portraits = acme.slots["portraits"]
    book_with_demo_card(client, portraits[0])
    booking = next(b for b in all_bookings(db_url) if b["slot_id"] == portraits[0])
    url = f"/admin/bookings/{booking['id']}/move"
    moved = client.post(url, data={"csrf": csrf_from(client.get(url).text), "slot": portraits[1]})
    assert moved.status_code == 303
    text = page_text(client.get(f"/admin/bookings/{booking['id']}").text)
    assert re.search(r"Rescheduled from \w{3}, \w{3} \d+, [\d:]+ [AP]M \w+ to \w{3}", text), text
