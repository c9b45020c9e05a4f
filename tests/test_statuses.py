"""What the dashboard says a lead, a booking, a slot and a payment are (studio/statuses.py),
and that the pages offer only the actions that can succeed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape

import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import accept_quote, book_with_demo_card, start
from tests.support.queries import all_bookings, rows
from tests.support.text import page_text
from tests.support.world import World
from widget_server.db.tables import slots
from widget_server.studio.statuses import (
    FILTERS,
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


# --- the list's filters read the badges ------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    status: str
    lead_status: str
    expires_at: datetime | None
    lead_live: bool


EVERY_ROW = [
    Facts(status, lead, expires, live)
    for status in ("held", "booked", "cancelled", "expired")
    for lead in ("scheduling_in_progress", "booked", "closed")
    for expires in (SOON, GONE, None)
    for live in (True, False)
    if not (status == "held" and expires is None)  # the table refuses a hold without an end
]


def test_every_filter_is_what_the_badges_say() -> None:
    for row in EVERY_ROW:
        lead = lead_status(
            row.lead_status, row.status, row.expires_at, NOW, lead_live=row.lead_live
        )
        shown = booking_status(row.status, row.expires_at, NOW).label
        kept = {key for key, chosen in FILTERS.items() if chosen.keeps(row, NOW)}
        assert ("booked" in kept) == (shown == "Booked"), row
        assert ("cancelled" in kept) == (shown == "Cancelled"), row
        assert ("closed" in kept) == (lead.label == "Closed"), row
        follow_up = lead.label in ("Choosing a time", "Didn't book: follow up")
        assert ("scheduling_in_progress" in kept) == follow_up, row
        assert "all" in kept
        # The database's narrowing never drops a row the filter keeps.
        for key in kept:
            chosen = FILTERS[key]
            assert chosen.booking_statuses is None or row.status in chosen.booking_statuses
            assert chosen.lead_statuses is None or row.lead_status in chosen.lead_statuses


def listed(html: str) -> dict[str, tuple[str, str]]:
    """Each row of the bookings list: client -> (Status badge, Lead badge)."""
    found = {}
    for line in re.findall(r"<tr>(.*?)</tr>", html, re.S)[1:]:
        name = re.search(r'<a href="/admin/bookings/\d+">([^<]+)</a>', line)
        badges = re.findall(r'<span class="status tone-\w+">([^<]+)</span>', line)
        assert name and len(badges) == 2, line
        found[unescape(name.group(1))] = (unescape(badges[0]), unescape(badges[1]))
    return found


def test_the_list_and_its_csv_hold_what_the_badges_say(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    portraits = acme.slots["portraits"]
    start(client, portraits[0], name="Lapsed Lou", email="lou@example.com")
    clock.advance(minutes=16)  # Lou's hold lapses
    start(client, portraits[1], name="Holding Hannah", email="hannah@example.com")
    book_with_demo_card(client, portraits[2])  # Ada Lovelace
    token = start(client, acme.slots["family"][0], "family", name="Offline Olive")
    accept_quote(client, token)
    client.post(f"/b/{token}/pay/offline")
    olive = next(b for b in all_bookings(db_url) if b["slot_id"] == acme.slots["family"][0])
    page = client.get("/admin/bookings?status=all").text
    client.post(
        f"/admin/bookings/{olive['id']}/cancel",
        data={"csrf": csrf_from(page), "refund": "none", "confirm": "yes", "message": ""},
    )

    every = listed(client.get("/admin/bookings?status=all").text)
    assert every == {
        "Lapsed Lou": ("Hold lapsed", "Didn't book: follow up"),
        "Holding Hannah": ("Held", "Choosing a time"),
        "Ada Lovelace": ("Booked", "Booked"),
        "Offline Olive": ("Cancelled", "Cancelled: follow up?"),
    }
    wanted = {
        "booked": {"Ada Lovelace"},
        "cancelled": {"Offline Olive"},
        "scheduling_in_progress": {"Lapsed Lou", "Holding Hannah"},
        "closed": set(),
    }
    for key, names in wanted.items():
        assert set(listed(client.get(f"/admin/bookings?status={key}").text)) == names, key
        csv_text = client.get(f"/admin/bookings.csv?status={key}").text
        assert {n for n in every if n in csv_text} == names, key


def test_moving_is_offered_only_when_a_time_has_room(
    client: TestClient, acme: World, db_url: str
) -> None:
    portraits = acme.slots["portraits"]
    book_with_demo_card(client, portraits[0])
    booking = next(b for b in all_bookings(db_url) if b["slot_id"] == portraits[0])
    url = f"/admin/bookings/{booking['id']}"
    assert f'href="{url}/move"' in client.get(url).text
    # every other time of the mini session is blocked: nowhere to move to
    others = (
        slots.update()
        .where(slots.c.mini_session_id == acme.mini_ids["portraits"], slots.c.id != portraits[0])
        .values(blocked=True)
    )

    async def block(db: Database) -> None:
        await db.execute(others)

    run_db(db_url, block)
    page = client.get(url).text
    assert f'href="{url}/move"' not in page
    assert "can't be moved" in unescape(page)
