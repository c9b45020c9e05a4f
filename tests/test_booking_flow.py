"""The hosted booking flow over HTTP: pick a slot, details, quote, payment, confirmation."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.flow import (
    accept_quote,
    book_with_demo_card,
    pay_demo,
    start,
    submit_details,
    token_from,
)
from tests.support.queries import all_bookings, all_leads, all_payments, event_kinds, taken
from tests.support.world import World
from widget_server.app import create_app
from widget_server.config import Settings


def test_studio_page_lists_public_sessions_only(client: TestClient) -> None:
    page = client.get("/acme")
    assert page.status_code == 200
    assert "Portraits" in page.text and "Family" in page.text
    assert "$200.00" in page.text and "$50.00 deposit" in page.text
    assert "Hidden" not in page.text and "Draft One" not in page.text
    assert "Park" in page.text and "Meadow" in page.text


def test_studio_page_says_sold_out_when_every_slot_is_taken(
    client: TestClient, world: World
) -> None:
    for slot_id in world.slots["card-only"]:
        book_with_demo_card(client, slot_id, "card-only")
    page = client.get("/acme")
    card = page.text.split('href="/acme/card-only"')[1].split("</li>")[0]
    assert "Sold out" in card
    other = page.text.split('href="/acme/portraits"')[1].split("</li>")[0]
    assert "Sold out" not in other


def test_mini_page_shows_days_and_slots_in_the_locations_zone(
    client: TestClient, world: World
) -> None:
    page = client.get("/acme/portraits")
    assert page.status_code == 200
    assert "Tue, Nov 24" in page.text and "Thu, Nov 26" in page.text and "Fri, Nov 27" in page.text
    # Clock: 2026-11-24 15:00 UTC; two days later, 9:00 in New York is 14:00 UTC (EST).
    new_york = client.get(f"/acme/portraits?day={_day_id(page.text, 'Thu, Nov 26')}").text
    assert "Thursday, November 26, 2026" in new_york and "Eastern Standard Time" in new_york
    assert "9:00 AM" in new_york and "10:40 AM" in new_york
    assert f"book?slot={world.slots['portraits'][0]}" in new_york
    denver = client.get(f"/acme/portraits?day={_day_id(page.text, 'Fri, Nov 27')}").text
    assert "Mountain Standard Time" in denver and "3:00 PM" in denver and "Meadow" in denver


def test_mini_page_selects_the_first_day_with_open_slots(client: TestClient) -> None:
    page = client.get("/acme/portraits").text
    selected = page.split('aria-current="true"')[0].rsplit('href="?day=', 1)[1]
    assert selected.startswith(_day_id(page, "Tue, Nov 24"))
    assert "Tuesday, November 24, 2026" in page


def _day_id(page: str, label: str) -> str:
    for chunk in page.split('href="?day=')[1:]:
        if label in chunk.split("</a>")[0]:
            return chunk.split("#")[0].split("&")[0]
    raise AssertionError(f"no day chip {label!r}")


def test_unlisted_is_reachable_by_link_and_draft_is_not(client: TestClient) -> None:
    assert client.get("/acme/hidden").status_code == 200
    assert client.get("/acme/draft-one").status_code == 404


def test_past_and_too_soon_slots_are_shown_but_not_bookable(
    client: TestClient, world: World
) -> None:
    page = client.get("/acme/portraits").text
    assert f"book?slot={world.past_slot}" not in page
    assert f"book?slot={world.too_soon_slot}" not in page
    for slot_id, words in ((world.past_slot, "already passed"), (world.too_soon_slot, "too close")):
        form = client.get(f"/acme/portraits/book?slot={slot_id}")
        assert form.status_code == 409 and words in form.text
        posted = submit_details(client, slot_id)
        assert posted.status_code == 409 and words in posted.text


def test_details_create_a_lead_a_hold_and_a_quote(
    client: TestClient, world: World, db_url: str
) -> None:
    slot_id = world.slots["portraits"][0]
    form = client.get(f"/acme/portraits/book?slot={slot_id}")
    assert form.status_code == 200 and 'name="email"' in form.text
    response = submit_details(client, slot_id, email="Ada@Example.COM")
    assert response.status_code == 303
    assert response.headers["location"].endswith("/quote")
    [lead] = all_leads(db_url)
    assert lead["status"] == "scheduling_in_progress"
    assert lead["phone"] == "+12125550143" and lead["email"] == "Ada@example.com"
    [booking] = all_bookings(db_url)
    assert booking["status"] == "held" and booking["slot_id"] == slot_id
    assert taken(db_url, slot_id) == 1
    quote = client.get(response.headers["location"])
    assert quote.status_code == 200
    assert "$200.00" in quote.text and "Deposit due now" in quote.text
    assert "$50.00" in quote.text and "$150.00" in quote.text and "Terms apply." in quote.text
    # The hold, readable without script: minutes left and the clock time with its zone named.
    assert "held for you for <strong" in quote.text and "15 more minutes" in quote.text
    assert "10:15 AM Eastern Standard Time" in quote.text
    # One page: both ways to pay, each with its button worded for what happens.
    assert 'name="card"' in quote.text and "Pay $50.00 deposit" in quote.text
    assert "Reserve and pay the studio" in quote.text and "Bank transfer to ACME 123." in quote.text
    assert '<meta name="description"' in quote.text


def test_demo_card_books_the_slot(client: TestClient, world: World, db_url: str) -> None:
    slot_id = world.slots["portraits"][1]
    token = start(client, slot_id)
    # Two methods offered: the checkout lets the client choose, the demo card form on it.
    page = accept_quote(client, token)
    assert "Card (demo)" in page.text and "Pay the studio directly" in page.text
    assert 'type="radio" name="method"' in page.text and "Demo mode" in page.text
    paid = pay_demo(client, token)
    assert paid.status_code == 303 and paid.headers["location"] == f"/b/{token}?done=booked"

    [booking] = all_bookings(db_url)
    assert booking["status"] == "booked" and booking["expires_at"] is None
    assert all_leads(db_url)[0]["status"] == "booked"
    [payment] = all_payments(db_url)
    assert (payment["method"], payment["status"], payment["amount_minor"]) == (
        "demo",
        "succeeded",
        5000,
    )
    assert event_kinds(db_url, booking["id"]) == [
        "hold_created",
        "quote_accepted",
        "payment_recorded",
        "booked",
    ]
    page = client.get(f"/b/{token}")
    assert page.status_code == 200 and "You're booked, Ada!" in page.text
    assert "$50.00" in page.text and "$150.00" in page.text  # paid, balance due
    assert booking["reference"] in page.text
    assert "https://maps.test/p" in page.text and "calendar.google.com" in page.text
    # The slot is no longer offered.
    assert f"book?slot={slot_id}" not in client.get("/acme/portraits").text


def test_paying_twice_records_one_payment(client: TestClient, world: World, db_url: str) -> None:
    token = book_with_demo_card(client, world.slots["portraits"][0])
    again = pay_demo(client, token)
    assert again.status_code == 303 and again.headers["location"] == f"/b/{token}"
    assert len(all_payments(db_url)) == 1


def test_declined_card_books_nothing(client: TestClient, world: World, db_url: str) -> None:
    token = start(client, world.slots["portraits"][0])
    accept_quote(client, token)
    declined = pay_demo(client, token, "4000 0000 0000 0002")
    assert declined.status_code == 422 and "declined" in declined.text
    assert all_payments(db_url) == [] and all_bookings(db_url)[0]["status"] == "held"
    wrong = pay_demo(client, token, "1234")
    assert wrong.status_code == 422 and "test card numbers" in wrong.text


def test_single_method_shows_no_choice(client: TestClient, world: World, db_url: str) -> None:
    token = start(client, world.slots["card-only"][0], "card-only")
    page = accept_quote(client, token)
    assert (
        'type="radio"' not in page.text and 'type="hidden" name="method" value="demo"' in page.text
    )
    assert 'name="card"' in page.text
    # The form's card alone is enough: the only method is taken.
    paid = client.post(f"/b/{token}/quote", data={"card": "4242 4242 4242 4242"})
    assert paid.status_code == 303 and all_bookings(db_url)[0]["status"] == "booked"


def test_offline_payment_books_with_balance_due(
    client: TestClient, world: World, db_url: str
) -> None:
    token = start(client, world.slots["family"][0], "family")
    page = accept_quote(client, token)
    assert "Bank transfer to ACME 123." in page.text and "Reserve and pay the studio" in page.text
    reserved = client.post(f"/b/{token}/quote")
    assert reserved.headers["location"] == f"/b/{token}?done=booked"
    [payment] = all_payments(db_url)
    assert (payment["status"], payment["amount_minor"]) == ("pending", 9000)
    assert all_bookings(db_url)[0]["status"] == "booked"
    confirmation = client.get(f"/b/{token}").text
    assert "$0.00" in confirmation and "$90.00" in confirmation
    assert "pay the studio directly" in confirmation
    # The studio's instructions are on the confirmation too.
    assert "Bank transfer to ACME 123." in confirmation


def test_old_payment_urls_lead_to_the_checkout(client: TestClient, world: World) -> None:
    """Links from before the one checkout (emails, bookmarks) still work."""
    token = start(client, world.slots["portraits"][0])
    assert client.get(f"/b/{token}/pay").headers["location"] == f"/b/{token}/quote"
    assert client.get(f"/b/{token}/pay/demo").headers["location"] == f"/b/{token}/quote?method=demo"
    chosen = client.get(f"/b/{token}/quote?method=offline").text
    assert 'value="offline" checked' in chosen
    assert client.get(f"/b/{token}").headers["location"] == f"/b/{token}/quote"
    paid = client.post(f"/b/{token}/pay/demo", data={"card": "4242424242424242"})
    assert paid.headers["location"] == f"/b/{token}?done=booked"


def test_method_not_offered_is_refused(client: TestClient, world: World, db_url: str) -> None:
    token = start(client, world.slots["family"][0], "family")
    assert "Card (demo)" not in accept_quote(client, token).text
    for method in ("demo", "bitcoin"):
        bad = client.post(f"/b/{token}/quote", data={"method": method, "card": "4242424242424242"})
        assert bad.status_code == 422 and "choose how you" in bad.text
    assert all_bookings(db_url)[0]["status"] == "held"


def test_free_session_is_booked_on_submit(client: TestClient, world: World, db_url: str) -> None:
    response = submit_details(client, world.slots["free-day"][0], "free-day")
    assert response.status_code == 303
    token = token_from(response)
    assert response.headers["location"] == f"/b/{token}?done=booked"
    [booking] = all_bookings(db_url)
    assert booking["status"] == "booked"
    assert all_leads(db_url)[0]["status"] == "booked"
    page = client.get(f"/b/{token}").text
    assert "You're booked" in page and "Free" in page
    assert client.get(f"/b/{token}/quote").headers["location"] == f"/b/{token}"


def test_calendar_file(client: TestClient, world: World) -> None:
    token = book_with_demo_card(client, world.slots["portraits"][0])
    response = client.get(f"/b/{token}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "Portraits with Acme Photo"
    assert event.decoded("dtstart").isoformat() == "2026-11-26T14:00:00+00:00"
    assert "1 Park Ave" in str(event["location"])
    unbooked = start(client, world.slots["portraits"][1])
    assert client.get(f"/b/{unbooked}/calendar.ics").status_code == 404


def test_capacity_three_takes_three_clients(client: TestClient, world: World, db_url: str) -> None:
    slot_id = world.slots["family"][0]
    for n in range(3):
        assert (
            submit_details(client, slot_id, "family", email=f"c{n}@example.com").status_code == 303
        )
    page = client.get("/acme/family").text
    assert f"book?slot={slot_id}" not in page
    fourth = submit_details(client, slot_id, "family", email="c4@example.com")
    assert fourth.status_code == 409 and "just booked this time" in fourth.text
    assert taken(db_url, slot_id) == 3


def test_slot_shows_spots_left(client: TestClient, world: World) -> None:
    slot_id = world.slots["family"][0]
    submit_details(client, slot_id, "family")
    page = client.get("/acme/family").text
    chunk = page.split(f"book?slot={slot_id}")[1].split("</a>")[0]
    assert "2 of 3 left" in chunk


class TestHoldExpiry:
    """A hold lasts hold_minutes; after that the slot is free again but the lead stays."""

    def test_expired_hold_frees_the_slot_for_someone_else(
        self, client: TestClient, world: World, clock: FakeClock, db_url: str
    ) -> None:
        slot_id = world.slots["portraits"][0]
        first = start(client, slot_id)
        assert submit_details(client, slot_id, email="b@example.com").status_code == 409
        clock.advance(minutes=16)
        assert f"book?slot={slot_id}" in client.get("/acme/portraits").text
        second = start(client, slot_id, email="b@example.com")
        bookings = {b["public_id"]: b for b in all_bookings(db_url)}
        statuses = sorted(b["status"] for b in bookings.values())
        assert statuses == ["expired", "held"]
        assert [lead["status"] for lead in all_leads(db_url)] == ["scheduling_in_progress"] * 2
        assert taken(db_url, slot_id) == 1
        # The first client comes back: the slot was taken, so they must choose another.
        gone = client.get(f"/b/{first}/quote")
        assert gone.status_code == 409 and "Someone else booked this time" in gone.text
        assert "Hold" not in gone.text
        retry = client.post(f"/b/{first}/quote", data={"method": "offline"})
        assert retry.status_code == 409 and "just booked this time" in retry.text
        assert "/acme/portraits" in retry.text
        assert second

    def test_expired_hold_renews_when_the_slot_is_still_free(
        self, client: TestClient, world: World, clock: FakeClock, db_url: str
    ) -> None:
        slot_id = world.slots["portraits"][0]
        token = start(client, slot_id)
        clock.advance(minutes=20)
        quote = client.get(f"/b/{token}/quote")
        assert quote.status_code == 409 and "Your hold ran out" in quote.text
        assert "this time is still free" in quote.text and f'action="/b/{token}/hold"' in quote.text
        again = client.post(f"/b/{token}/hold")
        assert again.headers["location"] == f"/b/{token}/quote"
        [held] = all_bookings(db_url)
        assert held["status"] == "held" and held["expires_at"] == clock() + timedelta(minutes=15)
        assert "15 more minutes" in accept_quote(client, token).text
        paid = pay_demo(client, token)
        assert paid.headers["location"] == f"/b/{token}?done=booked"
        [booking] = all_bookings(db_url)
        assert booking["status"] == "booked" and taken(db_url, slot_id) == 1

    def test_swept_hold_is_reclaimed_on_payment(
        self, client: TestClient, world: World, clock: FakeClock, db_url: str
    ) -> None:
        from tests.support.databases import run_db
        from widget_server.booking.holds import release_expired_holds

        slot_id = world.slots["portraits"][0]
        token = start(client, slot_id)
        pay_demo(client, token, "4000 0000 0000 0002")  # declined: the quote is accepted
        clock.advance(minutes=30)
        assert run_db(db_url, lambda db: release_expired_holds(db, clock())) == 1
        assert all_bookings(db_url)[0]["status"] == "expired" and taken(db_url, slot_id) == 0
        expired_page = client.get(f"/b/{token}")
        assert expired_page.status_code == 409 and "hold ran out" in expired_page.text.lower()
        assert pay_demo(client, token).headers["location"] == f"/b/{token}?done=booked"
        [booking] = all_bookings(db_url)
        assert booking["status"] == "booked" and taken(db_url, slot_id) == 1
        assert event_kinds(db_url, booking["id"]) == [
            "hold_created",
            "quote_accepted",
            "hold_expired",
            "hold_reclaimed",
            "payment_recorded",
            "booked",
        ]

    def test_payment_after_the_slot_was_taken_is_refused(
        self, client: TestClient, world: World, clock: FakeClock, db_url: str
    ) -> None:
        slot_id = world.slots["portraits"][0]
        token = start(client, slot_id)
        accept_quote(client, token)
        clock.advance(minutes=16)
        start(client, slot_id, email="other@example.com")
        refused = pay_demo(client, token)
        assert refused.status_code == 409 and "Choose another time" in refused.text
        assert all_payments(db_url) == []


def test_demo_payment_exists_only_in_demo_mode(
    settings: Settings, clock: FakeClock, world: World, db_url: str
) -> None:
    production = create_app(settings.with_(demo=False), clock=clock)
    with TestClient(production, follow_redirects=False) as client:
        # "card-only" offers only the demo method: nothing to pay with, so no hold is taken.
        slot_id = world.slots["card-only"][0]
        refused = client.get(f"/acme/card-only/book?slot={slot_id}")
        assert refused.status_code == 409 and "available for this session" in refused.text
        assert submit_details(client, slot_id, "card-only").status_code == 409
        assert all_bookings(db_url) == []
        # "portraits" offers demo and offline: only offline remains, chosen directly.
        token = start(client, world.slots["portraits"][0])
        page = accept_quote(client, token).text
        assert "Reserve and pay the studio" in page and 'name="card"' not in page
        assert pay_demo(client, token).status_code == 422


def test_confirming_the_quote_again_does_not_extend_the_hold(
    client: TestClient, world: World, clock: FakeClock, db_url: str
) -> None:
    token = start(client, world.slots["portraits"][0])
    clock.advance(minutes=5)
    pay_demo(client, token, "1234")  # first confirmation: a fresh 15 minutes from now
    first_expiry = all_bookings(db_url)[0]["expires_at"]
    assert first_expiry == clock() + timedelta(minutes=15)
    clock.advance(minutes=10)
    pay_demo(client, token, "1234")
    assert all_bookings(db_url)[0]["expires_at"] == first_expiry
    assert event_kinds(db_url, all_bookings(db_url)[0]["id"]).count("quote_accepted") == 1
