"""The photographer acts on a booking: cancel for the client, move them, refund, close the lead.

Every form is tried with hostile input too: junk amounts, other studios' ids, no CSRF
token, double submits. Emails are read from the outbox and from a real SMTP server.
"""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage
from html import unescape
from typing import Any

import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import ACME_EMAIL, RIVAL_EMAIL, add_user, csrf_from, log_in
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.flow import accept_quote, book_with_demo_card, start
from tests.support.mail import deliver, kinds, set_mini
from tests.support.queries import all_bookings, all_leads, all_payments, event_kinds, rows, taken
from tests.support.smtp import SmtpServer
from tests.support.stripe_flow import post_event, start_card_checkout
from tests.support.stripe_server import StandInStripe
from tests.support.world import World
from widget_server.booking.availability import slot_of
from widget_server.booking.errors import SlotUnavailable
from widget_server.booking.reschedule import move_for_client
from widget_server.booking.views import load_booking_by_id
from widget_server.config import Settings
from widget_server.db.tables import booking_events, refunds
from widget_server.payments import RefundRequest
from widget_server.payments.refunds import RefundNotAllowed, refund_payment

REFUNDS_PATH = "/v1/refunds"


def booking_on(db_url: str, slot_id: int) -> dict[str, Any]:
    return next(b for b in all_bookings(db_url) if b["slot_id"] == slot_id)


def page_text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def refund_key(html: str, payment_id: int) -> str:
    form = html.split(f"/payments/{payment_id}/refund", 1)[1]
    match = re.search(r'name="key" value="([^"]+)"', form)
    assert match
    return match.group(1)


def event_detail(db_url: str, booking_id: int, kind: str) -> str:
    found = rows(
        db_url,
        sa.select(booking_events.c.detail).where(
            booking_events.c.booking_id == booking_id, booking_events.c.kind == kind
        ),
    )
    assert len(found) == 1, found
    return found[0]["detail"]


def plain(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content()


# --- cancelling for the client ------------------------------------------------------------


def test_studio_cancels_with_a_full_refund_and_only_the_client_is_emailed(
    client: TestClient,
    acme: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    slot = acme.slots["portraits"][0]
    book_with_demo_card(client, slot)
    booking = booking_on(db_url, slot)
    url = f"/admin/bookings/{booking['id']}"
    # The client may not cancel online; the studio still can.
    set_mini(db_url, "portraits", allow_cancel=False)
    page = client.get(url).text
    text = page_text(page)
    assert "Full refund of what was paid $50.00 back to the client" in text
    assert "As the cancellation policy says (everything but the deposit) Nothing back" in text
    # The policy refunds nothing here: no second choice that also gives nothing back.
    assert text.count("Nothing back to the client") == 1 and "No refund" not in text
    token = csrf_from(page)
    before = kinds(db_url)
    done = client.post(
        f"{url}/cancel",
        data={
            "csrf": token,
            "message": "Rain <b>forecast</b>, sorry!",
            "refund": "full",
            "confirm": "yes",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == f"{url}?done=cancelled"
    assert booking_on(db_url, slot)["status"] == "cancelled" and taken(db_url, slot) == 0
    assert '"by": "studio"' in event_detail(db_url, booking["id"], "cancelled")
    [refund] = rows(db_url, refunds.select())
    assert refund["amount_minor"] == 5000 and refund["reason"] == "Cancelled by the studio"
    assert kinds(db_url)[len(before) :] == [("cancelled", "ada@example.com")]

    # A second submit (double click, back button) is a friendly no-op.
    again = client.post(f"{url}/cancel", data={"csrf": token, "refund": "full", "confirm": "yes"})
    assert again.headers["location"] == f"{url}?done=already_cancelled"
    assert len(rows(db_url, refunds.select())) == 1
    assert event_kinds(db_url, booking["id"]).count("cancelled") == 1
    shown = page_text(client.get(f"{url}?done=already_cancelled").text)
    assert "already cancelled" in shown and "This booking is cancelled." in shown
    assert "Cancelled by you" in shown and "Rain <b>forecast</b>, sorry!" in shown

    deliver(settings.with_(smtp_url=smtp.url), clock)
    [email] = [
        m for m in smtp.wait_for(3) if m["Subject"].strip().startswith("Acme Photo cancelled")
    ]
    body = plain(email).replace("\r\n", "\n")
    assert "Acme Photo cancelled your Portraits booking." in body
    assert "All you paid, $50.00, is being refunded to you." in body
    assert "Their message to you:\nRain <b>forecast</b>, sorry!" in body
    html = email.get_body(preferencelist=("html",))
    assert html is not None and "Rain &lt;b&gt;forecast&lt;/b&gt;" in html.get_content()


def test_the_cancel_form_refuses_bad_input_and_keeps_what_was_typed(
    client: TestClient, acme: World, db_url: str
) -> None:
    slot = acme.slots["portraits"][0]
    book_with_demo_card(client, slot)
    url = f"/admin/bookings/{booking_on(db_url, slot)['id']}"
    token = csrf_from(client.get(url).text)
    cases = [
        ({"refund": "policy"}, "Please tick the box"),
        ({"refund": "everything", "confirm": "yes"}, "Please choose what to refund."),
        ({"confirm": "yes"}, "Please choose what to refund."),
        ({"refund": "none", "confirm": "yes", "message": "x" * 2001}, "under 2000 characters"),
        ({"refund": "none", "confirm": "yes", "message": "hi\u202eevil"}, "can't accept"),
    ]
    for data, error in cases:
        response = client.post(f"{url}/cancel", data={"csrf": token, **data})
        assert response.status_code == 400, data
        assert error in unescape(response.text), data
    kept = client.post(
        f"{url}/cancel", data={"csrf": token, "refund": "full", "message": "<script>x</script>"}
    )
    assert "&lt;script&gt;x&lt;/script&gt;</textarea>" in kept.text
    assert 'value="full" checked' in kept.text
    assert client.post(f"{url}/cancel", data={"refund": "none", "confirm": "yes"}).status_code == (
        403
    )
    assert booking_on(db_url, slot)["status"] == "booked"
    assert "cancelled" not in event_kinds(db_url, booking_on(db_url, slot)["id"])


def test_a_hold_cannot_be_cancelled_and_other_studios_bookings_are_not_found(
    client: TestClient, acme: World, db_url: str
) -> None:
    start(client, acme.slots["portraits"][0])
    held = booking_on(db_url, acme.slots["portraits"][0])
    start(client, acme.other_studio_slot, "portraits", studio="rival")
    rival = booking_on(db_url, acme.other_studio_slot)
    token = csrf_from(client.get("/admin/bookings").text)
    data = {"csrf": token, "refund": "none", "confirm": "yes"}
    page = client.get(f"/admin/bookings/{held['id']}").text
    assert "This client has not booked" in page and "/cancel" not in page
    assert client.post(f"/admin/bookings/{held['id']}/cancel", data=data).status_code == 303
    assert booking_on(db_url, held["slot_id"])["status"] == "held"
    for path in (
        f"/admin/bookings/{rival['id']}/cancel",
        f"/admin/bookings/{rival['id']}/move",
        f"/admin/bookings/{rival['id']}/refunds/retry",
        f"/admin/bookings/{rival['id']}/lead/close",
        f"/admin/bookings/{rival['id']}/lead/reopen",
        "/admin/bookings/99999999/cancel",
    ):
        assert client.post(path, data={**data, "slot": "1"}).status_code == 404, path
    assert client.get(f"/admin/bookings/{rival['id']}/move").status_code == 404


def test_a_refund_the_provider_refuses_is_shown_and_retried_with_the_same_key(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    add_user(db_url, clock, "acme", ACME_EMAIL)
    log_in(stripe_client)
    token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    post_event(stripe_client, stripe_api, "checkout.session.completed", stripe_api.pay(session_id))
    booking = booking_on(db_url, world.slots["card-only"][0])
    url = f"/admin/bookings/{booking['id']}"
    csrf = csrf_from(stripe_client.get(url).text)
    stripe_api.fail_next_create(500, times=2, path=REFUNDS_PATH)  # the library retries once
    done = stripe_client.post(
        f"{url}/cancel", data={"csrf": csrf, "refund": "full", "confirm": "yes"}
    )
    assert done.headers["location"] == f"{url}?done=cancelled_refund_failed"
    assert booking_on(db_url, booking["slot_id"])["status"] == "cancelled"
    assert stripe_api.refunds == {} and rows(db_url, refunds.select()) == []
    page = page_text(stripe_client.get(done.headers["location"]).text)
    assert "The refund failed" in page and "Retry the refund" in page

    retried = stripe_client.post(f"{url}/refunds/retry", data={"csrf": csrf})
    assert retried.headers["location"] == f"{url}?done=retried"
    [refund] = stripe_api.refunds.values()
    assert refund["amount"] == 9000
    keys = set(stripe_api.creates(REFUNDS_PATH))
    assert len(keys) == 1  # every try sent the same idempotency key
    assert "Retry the refund" not in stripe_client.get(url).text
    again = stripe_client.post(f"{url}/refunds/retry", data={"csrf": csrf})
    assert again.headers["location"] == f"{url}?done=nothing_to_retry"
    assert len(stripe_api.refunds) == 1 and len(rows(db_url, refunds.select())) == 1
    assert token  # the client's link still opens the (cancelled) booking
    assert "cancelled" in stripe_client.get(f"/b/{token}").text.lower()


# --- moving -------------------------------------------------------------------------------


def test_studio_moves_a_booking_to_any_open_time_and_the_client_is_told(
    client: TestClient,
    acme: World,
    db_url: str,
    clock: FakeClock,
    settings: Settings,
    smtp: SmtpServer,
) -> None:
    portraits = acme.slots["portraits"]
    book_with_demo_card(client, portraits[0])
    booking = booking_on(db_url, portraits[0])
    set_mini(db_url, "portraits", allow_reschedule=False, change_cutoff_hours=1000)
    url = f"/admin/bookings/{booking['id']}/move"
    page = client.get(url)
    assert page.status_code == 200
    offered = {int(s) for s in re.findall(r'name="slot" value="(\d+)"', page.text)}
    assert portraits[0] not in offered and set(portraits[1:]) <= offered
    assert acme.too_soon_slot in offered  # the client's notice period is not the studio's
    assert acme.past_slot not in offered
    text = page_text(page.text)
    assert "Meadow (Mountain Standard Time)" in text and "Park (Eastern Standard Time)" in text
    token = csrf_from(page.text)
    before = kinds(db_url)
    target = next(s for s in portraits if s != portraits[0] and s in offered)
    done = client.post(url, data={"csrf": token, "slot": str(target)})
    assert done.headers["location"] == f"/admin/bookings/{booking['id']}?done=moved"
    assert booking_on(db_url, target)["id"] == booking["id"]
    assert taken(db_url, portraits[0]) == 0 and taken(db_url, target) == 1
    assert '"by": "studio"' in event_detail(db_url, booking["id"], "rescheduled")
    assert kinds(db_url)[len(before) :] == [("rescheduled", "ada@example.com")]

    deliver(settings.with_(smtp_url=smtp.url), clock)
    [email] = [m for m in smtp.wait_for(3) if "moved your session" in m["Subject"]]
    assert email["Subject"].strip().startswith("Acme Photo moved your session to")
    assert "Your studio moved your session" in plain(email)
    [calendar] = email.iter_attachments()
    assert calendar.get_filename().endswith(".ics")


def test_moves_refused_change_nothing(client: TestClient, acme: World, db_url: str) -> None:
    portraits = acme.slots["portraits"]
    book_with_demo_card(client, portraits[0])
    book_with_demo_card(client, portraits[1])  # portraits hold one client per slot: full
    booking = booking_on(db_url, portraits[0])
    url = f"/admin/bookings/{booking['id']}/move"
    token = csrf_from(client.get(url).text)
    cases = {
        "": (400, "Please choose a new time."),
        "abc": (400, "Please choose a new time."),
        "-3": (400, "Please choose a new time."),
        "9" * 40: (400, "Please choose a new time."),
        str(portraits[1]): (409, "That time filled up just now"),
        str(portraits[0]): (409, "current time"),
        str(acme.past_slot): (409, "can't be booked any more"),
        str(acme.slots["family"][0]): (404, "nothing with that number"),
        str(acme.other_studio_slot): (404, "nothing with that number"),
    }
    for slot, (status, message) in cases.items():
        response = client.post(url, data={"csrf": token, "slot": slot})
        assert response.status_code == status, slot
        assert message in unescape(response.text), slot
    assert client.post(url, data={"slot": str(portraits[2])}).status_code == 403
    assert booking_on(db_url, portraits[0])["id"] == booking["id"]
    assert "rescheduled" not in event_kinds(db_url, booking["id"])


def test_two_moves_into_the_last_spot_one_wins(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    portraits = acme.slots["portraits"]
    book_with_demo_card(client, portraits[0])
    book_with_demo_card(client, portraits[1])
    ids = [booking_on(db_url, s)["id"] for s in portraits[:2]]
    mini_id = acme.mini_ids["portraits"]

    async def race(db: Database) -> list[object]:
        async def move(booking_id: int) -> object:
            booking = await load_booking_by_id(db, booking_id)
            assert booking is not None
            slot = await slot_of(db, mini_id, 0, portraits[2], clock())
            try:
                await move_for_client(db, booking, slot, clock())
            except SlotUnavailable as exc:
                return exc.reason
            return "moved"

        return list(await asyncio.gather(*(move(i) for i in ids)))

    assert sorted(run_db(db_url, race)) == ["moved", "taken"]
    assert taken(db_url, portraits[2]) == 1
    assert taken(db_url, portraits[0]) + taken(db_url, portraits[1]) == 1
    assert sum(event_kinds(db_url, i).count("rescheduled") for i in ids) == 1


# --- refunds ------------------------------------------------------------------------------


def test_refund_part_of_a_payment_once_however_often_the_form_is_sent(
    client: TestClient, acme: World, db_url: str
) -> None:
    slot = acme.slots["portraits"][0]
    book_with_demo_card(client, slot)
    booking = booking_on(db_url, slot)
    [payment] = all_payments(db_url)
    url = f"/admin/bookings/{booking['id']}"
    page = client.get(url).text
    assert 'value="50.00"' in page  # the refundable amount, to start with
    token, key = csrf_from(page), refund_key(page, payment["id"])
    action = f"{url}/payments/{payment['id']}/refund"
    too_long = client.post(
        action, data={"csrf": token, "key": key, "amount": "1", "reason": "r" * 501}
    )
    assert too_long.status_code == 400 and "under 500 characters" in too_long.text
    reason = "Late <script>alert(1)</script>"
    form = {"csrf": token, "key": key, "amount": "$20", "reason": reason}
    first = client.post(action, data=form)
    assert first.headers["location"] == f"{url}?done=refunded"
    second = client.post(action, data=form)
    assert second.headers["location"] == f"{url}?done=refund_already"
    [refund] = rows(db_url, refunds.select())
    assert refund["amount_minor"] == 2000 and refund["reason"] == reason
    after = client.get(url).text
    assert 'value="30.00"' in after
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in after and "<script>alert" not in after


JUNK_AMOUNTS = {
    "": "Enter an amount like $4,500.00.",
    "abc": "Enter an amount like $4,500.00.",
    "-5": "can't be negative",
    "0": "above zero",
    "1e9": "Enter an amount like $4,500.00.",
    "\u0665\u0660": "Enter an amount like $4,500.00.",
    "20.005": "USD amounts have at most 2 decimals",
    "50.01": "more than is left to refund",
    "99999999999999999999": "The amount can be at most",
    "<script>": "Enter an amount like $4,500.00.",
}


def test_junk_refund_amounts_are_refused_with_the_input_kept(
    client: TestClient, acme: World, db_url: str
) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])
    booking = booking_on(db_url, acme.slots["portraits"][0])
    [payment] = all_payments(db_url)
    url = f"/admin/bookings/{booking['id']}"
    page = client.get(url).text
    key = refund_key(page, payment["id"])
    for amount, error in JUNK_AMOUNTS.items():
        response = client.post(
            f"{url}/payments/{payment['id']}/refund",
            data={"csrf": csrf_from(page), "key": key, "amount": amount},
        )
        assert response.status_code == 400, amount
        assert error in unescape(response.text), amount
        assert f'name="key" value="{key}"' in response.text  # a retry sends the same request
        assert "<script>" not in response.text.split("</header>", 1)[1]
    assert rows(db_url, refunds.select()) == []


def test_two_refunds_racing_never_give_back_more_than_was_paid(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])
    booking_id = booking_on(db_url, acme.slots["portraits"][0])["id"]

    async def race(db: Database) -> list[object]:
        booking = await load_booking_by_id(db, booking_id)
        assert booking is not None
        [payment] = booking.payments

        async def refund(key: str) -> object:
            try:
                request = RefundRequest(db, booking, payment, 3000, key=key, reason="", now=clock())
                return await refund_payment(client.app.state.payments, request)  # type: ignore[attr-defined]
            except RefundNotAllowed:
                return "refused"

        return list(await asyncio.gather(refund("admin-a"), refund("admin-b")))

    assert sorted(run_db(db_url, race), key=str) == [True, "refused"]
    assert [r["amount_minor"] for r in rows(db_url, refunds.select())] == [3000]


def test_refund_form_refuses_forged_keys_ids_and_tokens(
    client: TestClient, acme: World, db_url: str
) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])
    booking = booking_on(db_url, acme.slots["portraits"][0])
    start(client, acme.slots["family"][0], "family", email="olga@example.com")
    accept_quote(client, start(client, acme.slots["family"][1], "family"))  # no payment
    [payment] = all_payments(db_url)
    url = f"/admin/bookings/{booking['id']}"
    page = client.get(url).text
    csrf, key = csrf_from(page), refund_key(page, payment["id"])
    action = f"{url}/payments/{payment['id']}/refund"
    for bad_key in ("", "short", "x" * 65, "../../etc", "a b c d e f g h i j"):
        response = client.post(action, data={"csrf": csrf, "key": bad_key, "amount": "1"})
        assert response.status_code == 400 and "incomplete" in response.text, bad_key
    other = booking_on(db_url, acme.slots["family"][0])
    for path in (
        f"/admin/bookings/{other['id']}/payments/{payment['id']}/refund",  # not its payment
        f"{url}/payments/99999/refund",
    ):
        assert client.post(path, data={"csrf": csrf, "key": key, "amount": "1"}).status_code == 404
    assert client.post(action, data={"key": key, "amount": "1"}).status_code == 403
    client.cookies.clear()
    log_in(client, RIVAL_EMAIL)
    rival_csrf = csrf_from(client.get("/admin/bookings").text)
    response = client.post(action, data={"csrf": rival_csrf, "key": key, "amount": "1"})
    assert response.status_code == 404
    assert rows(db_url, refunds.select()) == []


def test_an_offline_payment_is_refundable_once_received(
    client: TestClient, acme: World, db_url: str
) -> None:
    token = start(client, acme.slots["family"][0], "family")
    client.post(f"/b/{token}/quote")
    client.post(f"/b/{token}/pay/offline")
    booking = booking_on(db_url, acme.slots["family"][0])
    [payment] = all_payments(db_url)
    url = f"/admin/bookings/{booking['id']}"
    page = client.get(url).text
    assert "/refund" not in page
    action = f"{url}/payments/{payment['id']}/refund"
    form = {"csrf": csrf_from(page), "key": "k" * 22, "amount": "10"}
    response = client.post(action, data=form)
    assert response.status_code == 400 and "Nothing is left to refund" in response.text
    # Once received, the studio can hand money back (recorded: it moves outside Minis).
    client.post(f"{url}/payments/{payment['id']}/mark-paid", data={"csrf": form["csrf"]})
    assert client.post(action, data=form).headers["location"] == f"{url}?done=refunded"
    [refund] = rows(db_url, refunds.select())
    assert refund["method"] == "offline" and refund["amount_minor"] == 1000


def test_refund_through_stripe_when_it_is_down_then_up(
    stripe_client: TestClient,
    stripe_api: StandInStripe,
    world: World,
    db_url: str,
    clock: FakeClock,
) -> None:
    add_user(db_url, clock, "acme", ACME_EMAIL)
    log_in(stripe_client)
    _token, session_id = start_card_checkout(stripe_client, stripe_api, world.slots["card-only"][0])
    post_event(stripe_client, stripe_api, "checkout.session.completed", stripe_api.pay(session_id))
    booking = booking_on(db_url, world.slots["card-only"][0])
    [payment] = all_payments(db_url)
    url = f"/admin/bookings/{booking['id']}"
    page = stripe_client.get(url).text
    form = {"csrf": csrf_from(page), "key": refund_key(page, payment["id"]), "amount": "25.50"}
    action = f"{url}/payments/{payment['id']}/refund"
    stripe_api.fail_next_create(500, times=2, path=REFUNDS_PATH)
    down = stripe_client.post(action, data=form)
    assert down.status_code == 400 and "could not be reached" in down.text
    assert f'value="{form["key"]}"' in down.text and 'value="25.50"' in down.text
    assert stripe_client.post(action, data=form).headers["location"] == f"{url}?done=refunded"
    assert stripe_client.post(action, data=form).headers["location"] == (
        f"{url}?done=refund_already"
    )
    [refund] = stripe_api.refunds.values()
    assert refund["amount"] == 2550 and len(set(stripe_api.creates(REFUNDS_PATH))) == 1
    # Stripe's own report of the refund adds nothing.
    post_event(stripe_client, stripe_api, "charge.refunded", stripe_api.charge_of(session_id))
    assert len(rows(db_url, refunds.select())) == 1


# --- leads --------------------------------------------------------------------------------


def names(html: str) -> set[str]:
    return set(re.findall(r'<a href="/admin/bookings/\d+">([^<]+)</a>', unescape(html)))


def test_close_and_reopen_a_lead_that_lapsed(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    start(client, acme.slots["portraits"][0], name="Lapsed Lou")
    booking = booking_on(db_url, acme.slots["portraits"][0])
    page = client.get("/admin/bookings?status=scheduling_in_progress").text
    token = csrf_from(page)
    close = f"/admin/bookings/{booking['id']}/lead/close"
    # A live hold: the client is still choosing.
    refused = client.post(close, data={"csrf": token, "back": "scheduling_in_progress"})
    assert refused.headers["location"] == (
        "/admin/bookings?status=scheduling_in_progress&done=lead_live"
    )
    assert "can't be closed while" in unescape(client.get(refused.headers["location"]).text)
    clock.advance(minutes=16)
    page = client.get("/admin/bookings?status=scheduling_in_progress").text
    assert "Lapsed Lou" in names(page) and "Close lead<span" in page
    done = client.post(close, data={"csrf": token, "back": "scheduling_in_progress"})
    assert done.headers["location"].endswith("done=lead_closed")
    assert all_leads(db_url)[0]["status"] == "closed"
    assert names(client.get("/admin/bookings?status=scheduling_in_progress").text) == set()
    assert names(client.get("/admin/bookings?status=closed").text) == {"Lapsed Lou"}
    assert client.post(close, data={"csrf": token}).headers["location"].endswith("lead_already")
    assert "Closed" in page_text(client.get(f"/admin/bookings/{booking['id']}").text)

    reopen = f"/admin/bookings/{booking['id']}/lead/reopen"
    assert client.post(reopen, data={"csrf": token, "back": "<x>"}).headers["location"] == (
        f"/admin/bookings/{booking['id']}?done=lead_reopened"
    )
    assert names(client.get("/admin/bookings?status=scheduling_in_progress").text) == {"Lapsed Lou"}
    assert client.post(reopen, data={"csrf": token}).headers["location"].endswith("lead_not_closed")
    assert event_kinds(db_url, booking["id"]).count("lead_closed") == 1
    assert event_kinds(db_url, booking["id"]).count("lead_reopened") == 1
    assert client.post(close, data={}).status_code == 403


def test_a_booked_lead_cannot_be_closed_until_cancelled(
    client: TestClient, acme: World, db_url: str
) -> None:
    slot = acme.slots["portraits"][0]
    book_with_demo_card(client, slot)
    booking = booking_on(db_url, slot)
    url = f"/admin/bookings/{booking['id']}"
    page = client.get(url).text
    assert "Lead" in page_text(page) and "Booked" in page_text(page)
    token = csrf_from(page)
    assert client.post(f"{url}/lead/close", data={"csrf": token}).headers["location"] == (
        f"{url}?done=lead_live"
    )
    assert all_leads(db_url)[0]["status"] == "booked"
    client.post(f"{url}/cancel", data={"csrf": token, "refund": "none", "confirm": "yes"})
    assert client.post(f"{url}/lead/close", data={"csrf": token}).headers["location"] == (
        f"{url}?done=lead_closed"
    )
    assert names(client.get("/admin/bookings?status=closed").text) == {"Ada Lovelace"}
