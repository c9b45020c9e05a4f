"""Add-ons, party size, coupons and tax on the checkout over HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa
from httpx2 import Response
from starlette.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.extras import Extras, seed_extras
from tests.support.flow import pay_demo, start
from tests.support.queries import all_bookings, all_payments, rows
from tests.support.world import World
from widget_server.db.tables import addons, booking_addons, coupon_redemptions, coupons, quotes


@pytest.fixture
def extras(db_url: str, world: World, clock: FakeClock) -> Extras:
    return run_db(db_url, lambda db: seed_extras(db, world, clock()))


def _quote(db_url: str) -> dict[str, object]:
    found = rows(db_url, sa.select(quotes).order_by(quotes.c.id.desc()).limit(1))
    return found[0]


def _addon_taken(db_url: str, addon_id: int) -> int:
    return int(rows(db_url, sa.select(addons.c.taken).where(addons.c.id == addon_id))[0]["taken"])


def _coupon_used(db_url: str, code: str) -> int:
    return int(rows(db_url, sa.select(coupons.c.used).where(coupons.c.code == code))[0]["used"])


def _choose(client: TestClient, token: str, action: str = "update", **fields: str) -> Response:
    """Submit the checkout: "update" applies the choice; "confirm" also pays by demo card."""
    pay = {"method": "demo", "card": "4242 4242 4242 4242"} if action == "confirm" else {}
    return client.post(f"/b/{token}/quote", data={"action": action, **pay, **fields})


def test_a_family_with_an_add_on_a_code_and_tax(
    client: TestClient, world: World, extras: Extras, db_url: str
) -> None:
    token = start(client, world.slots["portraits"][0], party_size="4")
    page = client.get(f"/b/{token}/quote").text
    # Two people over the two included, and the studio's tax on them.
    assert "Extra people" in page and "2 \u00d7 $15.00" in page and "Sales tax 10\u00a0%" in page
    assert "Album" in page and "Coupon code" in page

    done = _choose(client, token, **{f"addon_{extras.album}": "1", "coupon": " save10 "})
    assert done.status_code == 303 and done.headers["location"] == f"/b/{token}/quote"
    page = client.get(f"/b/{token}/quote").text
    assert "Code SAVE10" in page and "\u2212$27.00" in page
    # 270.00 - 27.00 discount + 10 % tax on what is left (24.30) = 267.30.
    assert "$24.30" in page and "$267.30" in page
    stored = _quote(db_url)
    assert stored["total_minor"] == 26730 and stored["due_now_minor"] == 5000
    assert stored["coupon_code"] == "SAVE10" and stored["party_size"] == 4
    assert _addon_taken(db_url, extras.album) == 1 and _coupon_used(db_url, "SAVE10") == 1

    accepted = _choose(
        client, token, action="confirm", **{f"addon_{extras.album}": "1", "coupon": "SAVE10"}
    )
    assert accepted.status_code == 303
    assert pay_demo(client, token).status_code == 303
    assert all_payments(db_url)[0]["amount_minor"] == 5000
    confirmation = client.get(f"/b/{token}").text
    assert "Album" in confirmation and "Code SAVE10" in confirmation and "$267.30" in confirmation
    # Confirming again with the same choice claims nothing more.
    assert _addon_taken(db_url, extras.album) == 1 and _coupon_used(db_url, "SAVE10") == 1


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("NOPE", "We don't know that code"),
        ("RIVAL", "We don't know that code"),  # another studio's code is not this studio's
        ("OLD", "That code has expired"),
        ("SOON", "That code isn't valid yet"),
        ("GONE", "That code has been used up"),
        ("FAMILY", "That code isn't valid for this session"),
    ],
)
def test_a_code_that_cannot_be_used_says_why_and_stores_nothing(
    client: TestClient, world: World, extras: Extras, db_url: str, code: str, message: str
) -> None:
    token = start(client, world.slots["portraits"][0])
    before = _quote(db_url)
    refused = _choose(client, token, coupon=code, **{f"addon_{extras.album}": "1"})
    assert refused.status_code == 422 and message in html.unescape(refused.text)
    assert _quote(db_url) == before and _addon_taken(db_url, extras.album) == 0
    assert not rows(db_url, sa.select(coupon_redemptions))


@pytest.mark.parametrize(
    "fields",
    [
        {"addon_{album}": "-1"},
        {"addon_{album}": "3"},  # over its maximum of 2
        {"addon_{album}": "1.5"},
        {"addon_{album}": "\uff19"},
        {"addon_{family}": "1"},  # another mini session's add-on
        {"addon_99999999": "1"},
        {"addon_abc": "1"},
        {"addon_{album}": "99999999999999999999"},
        {"coupon": "x" * 500},
        {"coupon": "SAVE\x0010"},
    ],
)
def test_hostile_choices_get_a_clear_error_and_store_nothing(
    client: TestClient, world: World, extras: Extras, db_url: str, fields: dict[str, str]
) -> None:
    token = start(client, world.slots["portraits"][0])
    before = _quote(db_url)
    data = {k.format(album=extras.album, family=extras.family_addon): v for k, v in fields.items()}
    for action in ("update", "confirm"):
        refused = _choose(client, token, action=action, **data)
        assert refused.status_code == 422, refused.text
        assert "Please check" in refused.text
    assert _quote(db_url) == before
    assert _addon_taken(db_url, extras.album) == 0 and not rows(db_url, sa.select(booking_addons))
    assert not rows(db_url, sa.select(coupon_redemptions))


def test_party_size_is_checked_on_the_details_step(
    client: TestClient, world: World, extras: Extras, db_url: str
) -> None:
    slot = world.slots["portraits"][0]
    for bad in ("0", "6", "-2", "two", "1e3"):
        page = client.post(
            f"/acme/portraits/book?slot={slot}",
            data={
                "name": "Ada",
                "email": "ada@example.com",
                "phone": "212 555 0143",
                "party_size": bad,
            },
        )
        assert page.status_code == 422 and "Choose between 1 and 5 people" in page.text
    assert all_bookings(db_url) == []
    # A mini session that doesn't price people doesn't ask.
    assert "party_size" not in client.get(f"/acme/family/book?slot={world.slots['family'][0]}").text


def test_stock_runs_out_and_says_so(
    client: TestClient, world: World, extras: Extras, db_url: str
) -> None:
    first = start(client, world.slots["portraits"][0], email="a@example.com")
    assert _choose(client, first, **{f"addon_{extras.album}": "2"}).status_code == 303
    second = start(client, world.slots["portraits"][1], email="b@example.com")
    refused = _choose(client, second, **{f"addon_{extras.album}": "2"})
    assert refused.status_code == 422 and "Album just sold out" in refused.text
    assert _choose(client, second, **{f"addon_{extras.album}": "1"}).status_code == 303
    assert _addon_taken(db_url, extras.album) == 3
    # Choosing less gives units back at once.
    assert _choose(client, first, **{f"addon_{extras.album}": "0"}).status_code == 303
    assert _addon_taken(db_url, extras.album) == 1


def test_a_lapsed_hold_gives_back_its_add_ons_and_code_and_takes_them_again(
    client: TestClient, world: World, extras: Extras, db_url: str, clock: FakeClock
) -> None:
    token = start(client, world.slots["portraits"][0])
    _choose(client, token, coupon="SAVE10", **{f"addon_{extras.album}": "2"})
    assert _addon_taken(db_url, extras.album) == 2 and _coupon_used(db_url, "SAVE10") == 1
    clock.advance(minutes=16)
    # Someone else's claim on the same slot sweeps the lapsed hold.
    other = start(client, world.slots["portraits"][0], email="someone@example.com")
    assert other
    assert _addon_taken(db_url, extras.album) == 0 and _coupon_used(db_url, "SAVE10") == 0
    # Our client comes back: the time is gone; nothing of theirs is claimed.
    assert (
        _choose(
            client, token, action="confirm", coupon="SAVE10", **{f"addon_{extras.album}": "2"}
        ).status_code
        == 409
    )
    assert _addon_taken(db_url, extras.album) == 0 and _coupon_used(db_url, "SAVE10") == 0


def test_a_lapsed_hold_picked_up_again_claims_its_extras_again(
    client: TestClient, world: World, extras: Extras, db_url: str, clock: FakeClock
) -> None:
    token = start(client, world.slots["portraits"][0])
    _choose(client, token, coupon="SAVE10", **{f"addon_{extras.album}": "1"})
    clock.advance(minutes=16)
    start(client, world.slots["portraits"][1], email="someone@example.com")
    # The sweep of another slot leaves ours; confirming renews it and keeps the extras.
    assert (
        _choose(
            client, token, action="confirm", coupon="SAVE10", **{f"addon_{extras.album}": "1"}
        ).status_code
        == 303
    )
    assert pay_demo(client, token).status_code == 303
    assert _addon_taken(db_url, extras.album) == 1 and _coupon_used(db_url, "SAVE10") == 1


def test_one_use_per_email_and_a_cancellation_gives_it_back(
    client: TestClient, world: World, extras: Extras, db_url: str
) -> None:
    first = start(client, world.slots["portraits"][0])
    assert _choose(client, first, action="confirm", coupon="SAVE10").status_code == 303
    assert pay_demo(client, first).status_code == 303
    second = start(client, world.slots["portraits"][1], email="ADA@example.com ")
    refused = _choose(client, second, coupon="SAVE10")
    assert refused.status_code == 422 and "already used that code" in refused.text
    cancelled = client.post(f"/b/{first}/cancel", data={"confirm": "yes"})
    assert cancelled.status_code == 303
    assert _coupon_used(db_url, "SAVE10") == 0
    again = _choose(client, second, coupon="SAVE10")
    assert again.status_code == 303, html.unescape(again.text).split("error-summary")[1][:400]


def test_a_code_that_takes_everything_books_without_payment(
    client: TestClient, world: World, extras: Extras, db_url: str
) -> None:
    token = start(client, world.slots["portraits"][0])
    assert _choose(client, token, coupon="FREEBIE").status_code == 303
    assert "Confirm booking" in client.get(f"/b/{token}/quote").text
    assert _choose(client, token, action="confirm", coupon="FREEBIE").status_code == 303
    assert all_bookings(db_url)[0]["status"] == "booked" and all_payments(db_url) == []


def test_a_fixed_code_on_the_base_price_only(
    client: TestClient, world: World, extras: Extras, db_url: str
) -> None:
    token = start(client, world.slots["portraits"][0])
    _choose(client, token, coupon="TENOFF", **{f"addon_{extras.prints}": "2"})
    stored = _quote(db_url)
    # (200 - 10) + 2 x 15 = 220, plus 10 % tax = 242.
    assert stored["total_minor"] == 24200
