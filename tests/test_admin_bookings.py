"""The dashboard's booking pages: studio scoping, filters, the day sheet, one booking, mark paid."""

from __future__ import annotations

import asyncio
import re
from html import unescape

import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import RIVAL_EMAIL, csrf_from, log_in
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import accept_quote, book_with_demo_card, start
from tests.support.mail import set_mini
from tests.support.queries import all_bookings, all_payments, event_kinds, rows
from tests.support.text import page_text
from tests.support.world import World
from widget_server.db.tables import booking_events, session_days, slots
from widget_server.studio.offline_paid import mark_offline_paid


def book_offline(client: TestClient, slot_id: int, mini: str = "family", **fields: str) -> str:
    token = start(client, slot_id, mini, **fields)
    accept_quote(client, token)
    assert client.post(f"/b/{token}/pay/offline").status_code == 303
    return token


def day_of(db_url: str, slot_id: int) -> tuple[int, int]:
    [row] = rows(
        db_url,
        sa.select(slots.c.mini_session_id, slots.c.session_day_id).where(slots.c.id == slot_id),
    )
    return row["mini_session_id"], row["session_day_id"]


def booking_id_of(db_url: str, slot_id: int) -> int:
    return next(b["id"] for b in all_bookings(db_url) if b["slot_id"] == slot_id)


def names_in(html: str) -> set[str]:
    return set(re.findall(r'<a href="/admin/bookings/\d+">([^<]+)</a>', unescape(html)))


def test_filters_sort_bookings_by_status(client: TestClient, acme: World, db_url: str) -> None:
    portraits = acme.slots["portraits"]
    book_with_demo_card(client, portraits[0])
    start(client, portraits[1], name="Holding Hannah")
    set_mini(db_url, "family", change_cutoff_hours=24)  # the slots are ~47 hours away
    cancelled = book_offline(client, acme.slots["family"][0], name="Cancelling Carl")
    assert client.post(f"/b/{cancelled}/cancel", data={"confirm": "yes"}).status_code == 303
    pages = {
        key: names_in(client.get(f"/admin/bookings?status={key}").text)
        for key in ("booked", "scheduling_in_progress", "cancelled", "all")
    }
    assert pages["booked"] == {"Ada Lovelace"}
    assert pages["scheduling_in_progress"] == {"Holding Hannah"}
    assert pages["cancelled"] == {"Cancelling Carl"}
    assert pages["all"] == {"Ada Lovelace", "Holding Hannah", "Cancelling Carl"}
    # The default is "booked"; an unknown filter falls back to it instead of failing.
    assert names_in(client.get("/admin/bookings").text) == {"Ada Lovelace"}
    assert names_in(client.get("/admin/bookings?status=%3Cx%3E").text) == {"Ada Lovelace"}


def test_another_studios_bookings_never_show(client: TestClient, acme: World, db_url: str) -> None:
    start(client, acme.other_studio_slot, "portraits", studio="rival", name="Rival Client")
    book_with_demo_card(client, acme.slots["portraits"][0])
    listed = client.get("/admin/bookings?status=all").text
    assert "Rival Client" not in listed and "Ada Lovelace" in listed


def test_another_studios_ids_are_not_found(client: TestClient, acme: World, db_url: str) -> None:
    start(client, acme.other_studio_slot, "portraits", studio="rival")
    rival_booking = booking_id_of(db_url, acme.other_studio_slot)
    rival_mini, rival_day = day_of(db_url, acme.other_studio_slot)
    acme_mini, acme_day = day_of(db_url, acme.slots["portraits"][0])
    for path in (
        f"/admin/bookings/{rival_booking}",
        f"/admin/minis/{rival_mini}/days/{rival_day}",
        f"/admin/minis/{acme_mini}/days/{rival_day}",  # our mini, their day
        f"/admin/minis/{rival_mini}/days/{acme_day}",  # their mini, our day
        "/admin/bookings/999999",
        "/admin/bookings/99999999999999999999",
        "/admin/minis/0/days/0",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "There is nothing with that number in your studio." in response.text
    assert client.get(f"/admin/minis/{acme_mini}/days/{acme_day}").status_code == 200
    for path in ("/admin/bookings/abc", "/admin/minis/x/days/1"):
        assert client.get(path).status_code == 404


def test_rival_sees_their_own_and_not_acmes(client: TestClient, acme: World, db_url: str) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])
    ours = booking_id_of(db_url, acme.slots["portraits"][0])
    client.cookies.clear()
    log_in(client, RIVAL_EMAIL)
    assert client.get(f"/admin/bookings/{ours}").status_code == 404
    assert "Ada Lovelace" not in client.get("/admin/bookings?status=all").text


def test_day_sheet_lists_each_slot_with_client_status_and_payment(
    client: TestClient, acme: World, db_url: str
) -> None:
    family = acme.slots["family"]
    set_mini(db_url, "family", payment_methods="demo offline")
    book_offline(client, family[0], name="Offline Olga")
    start(client, family[0], "family", name="Holding Hank", email="hank@example.com")
    book_with_demo_card(client, family[1], "family")
    mini, day = day_of(db_url, family[0])
    page = client.get(f"/admin/minis/{mini}/days/{day}")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "Family" in text and "Park, 1 Park Ave" in text
    assert "Times in Eastern Standard Time" in text
    assert "9:00 AM (1/3) Offline Olga" in text and "Booked $90.00 due (offline)" in text
    assert "9:00 AM (2/3) Holding Hank" in text and "Held Nothing paid" in text
    assert "9:25 AM (1/3) Ada Lovelace" in text and "Booked $90.00 paid" in text
    assert "9:50 AM Open (3 spots)" in text
    stylesheet = re.search(r'href="(/static/admin.css[^"]*)"', page.text)
    assert stylesheet and "@media print" in client.get(stylesheet[1]).text


def test_booking_page_shows_payments_events_and_emails(
    client: TestClient, acme: World, db_url: str
) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])
    booking_id = booking_id_of(db_url, acme.slots["portraits"][0])
    page = unescape(client.get(f"/admin/bookings/{booking_id}").text)
    for expected in (
        "Ada Lovelace",
        "ada@example.com",
        "Client chose a time (spot held)",
        "Quote accepted",
        "Payment received (demo): $50.00",
        "Confirmation to the client",
        "New booking, to you",
        "acme@studio.test",
        "$50.00",  # the deposit paid
        "$150.00",  # the balance
    ):
        assert expected in page, expected
    assert "Mark paid" not in page  # a card payment is not the studio's to mark
    mini, day = day_of(db_url, acme.slots["portraits"][0])
    assert f'href="/admin/minis/{mini}/days/{day}"' in page


def test_mark_offline_paid_once_and_only_with_the_token(
    client: TestClient, acme: World, db_url: str
) -> None:
    book_offline(client, acme.slots["family"][0])
    booking_id = booking_id_of(db_url, acme.slots["family"][0])
    [payment] = all_payments(db_url)
    assert payment["status"] == "pending"
    page = client.get(f"/admin/bookings/{booking_id}").text
    assert "Mark paid" in page
    url = f"/admin/bookings/{booking_id}/payments/{payment['id']}/mark-paid"
    for bad in ({}, {"csrf": ""}, {"csrf": "forged"}):
        refused = client.post(url, data=bad)
        assert refused.status_code == 403 and "Please try that again" in refused.text
    assert all_payments(db_url)[0]["status"] == "pending"
    assert "offline_payment_received" not in event_kinds(db_url, booking_id)

    token = csrf_from(page)
    first = client.post(url, data={"csrf": token})
    assert first.headers["location"] == f"/admin/bookings/{booking_id}?done=paid"
    second = client.post(url, data={"csrf": token})
    assert second.headers["location"] == f"/admin/bookings/{booking_id}?done=already"
    assert all_payments(db_url)[0]["status"] == "succeeded"
    assert event_kinds(db_url, booking_id).count("offline_payment_received") == 1
    shown = unescape(client.get(f"/admin/bookings/{booking_id}?done=already").text)
    assert "already marked as paid" in shown and "Offline payment marked as received" in shown
    assert "Mark paid" not in shown


def test_mark_paid_refuses_other_studios_and_other_bookings_payments(
    client: TestClient, acme: World, db_url: str
) -> None:
    book_offline(client, acme.slots["family"][0])
    book_offline(client, acme.slots["family"][1], email="second@example.com")
    first, second = (booking_id_of(db_url, s) for s in acme.slots["family"][:2])
    payments = {p["booking_id"]: p["id"] for p in all_payments(db_url)}
    token = csrf_from(client.get("/admin/bookings").text)
    # The payment of another booking, through this booking's URL: not found, nothing changes.
    mixed = f"/admin/bookings/{first}/payments/{payments[second]}/mark-paid"
    assert client.post(mixed, data={"csrf": token}).status_code == 404
    client.cookies.clear()
    log_in(client, RIVAL_EMAIL)
    token = csrf_from(client.get("/admin/bookings").text)
    theirs = f"/admin/bookings/{first}/payments/{payments[first]}/mark-paid"
    assert client.post(theirs, data={"csrf": token}).status_code == 404
    assert {p["status"] for p in all_payments(db_url)} == {"pending"}
    kinds = rows(db_url, sa.select(booking_events.c.kind))
    assert "offline_payment_received" not in {k["kind"] for k in kinds}


def test_the_day_list_links_every_upcoming_day(
    client: TestClient, acme: World, db_url: str
) -> None:
    page = client.get("/admin/bookings").text
    days = rows(db_url, sa.select(session_days.c.id))
    links = re.findall(r'href="/admin/minis/\d+/days/(\d+)"', page)
    assert len(links) == len(days) - 1  # every day but the rival's


def test_concurrent_mark_paid_flips_once_and_logs_once(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    book_offline(client, acme.slots["family"][0])
    booking_id = booking_id_of(db_url, acme.slots["family"][0])
    [payment] = all_payments(db_url)

    async def race(db: Database) -> list[bool]:
        tries = [mark_offline_paid(db, booking_id, payment["id"], clock()) for _ in range(8)]
        return list(await asyncio.gather(*tries))

    assert sorted(run_db(db_url, race)) == [False] * 7 + [True]
    assert all_payments(db_url)[0]["status"] == "succeeded"
    assert event_kinds(db_url, booking_id).count("offline_payment_received") == 1
