"""The dashboard's mini sessions: every setting round-trips, money per currency, hostile
input, duplicate, archive (off the booking site, not bookable, bookings unaffected)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa
from databases import Database
from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.databases import run_db
from tests.support.flow import book_with_demo_card, submit_details
from tests.support.queries import all_bookings, rows
from tests.support.world import World
from widget_server.db.tables import mini_sessions, studios

EVERYTHING = {
    "title": "Spring Minis",
    "slug": "spring-26",
    "description": "Blossoms & <b>light</b>",
    "image_url": "https://img.example.com/spring.jpg",
    "price": "1,250.50",
    "deposit": "$100",
    "visibility": "unlisted",
    "booking_process": "quote",
    "methods": ["offline", "demo"],
    "order_offline": "2",
    "order_demo": "1",
    "hold_minutes": "45",
    "min_notice_hours": "12",
    "allow_cancel": "1",
    "change_cutoff_hours": "72",
    "cancel_refund_policy": "full",
    "reminder_hours": "0",
    "offline_pay_hours": "48",
    "claim_window_minutes": "30",
    "confirmation_notice": "Wear **blue**.",
    "terms": "No refunds after the day.",
    "contract": "I, {{ client_name }}, agree to pay {{ price }}.",
}


def token(client: TestClient, path: str = "/admin/minis/new") -> str:
    return csrf_from(client.get(path).text)


def post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf": token(client), **data})


def mini_row(db_url: str, mini_id: int) -> dict[str, Any]:
    [row] = rows(db_url, sa.select(mini_sessions).where(mini_sessions.c.id == mini_id))
    return row


def created_id(response: Any) -> int:
    assert response.status_code == 303, response.text
    match = re.match(r"^/admin/minis/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def set_currency(db_url: str, currency: str) -> None:
    async def work(db: Database) -> None:
        await db.execute(studios.update().where(studios.c.slug == "acme").values(currency=currency))

    run_db(db_url, work)


def test_every_setting_round_trips(client: TestClient, acme: World, db_url: str) -> None:
    mini_id = created_id(post(client, "/admin/minis/new", EVERYTHING))
    row = mini_row(db_url, mini_id)
    assert {k: row[k] for k in row if k not in ("id", "studio_id")} == {
        "slug": "spring-26",
        "title": "Spring Minis",
        "description": "Blossoms & <b>light</b>",
        "image_url": "https://img.example.com/spring.jpg",
        "price_minor": 125050,
        "deposit_minor": 10000,
        "visibility": "unlisted",
        "booking_process": "quote",
        "payment_methods": "demo offline",  # in the order chosen
        "hold_minutes": 45,
        "min_notice_hours": 12,
        "allow_reschedule": False,
        "allow_cancel": True,
        "change_cutoff_hours": 72,
        "confirmation_notice": "Wear **blue**.",
        "terms": "No refunds after the day.",
        "archived": False,
        "cancel_refund_policy": "full",
        "reminder_hours": 0,
        "offline_pay_hours": 48,
        "contract": "I, {{ client_name }}, agree to pay {{ price }}.",
        "claim_window_minutes": 30,
        "opens_at": None,
        "early_opens_at": None,
        "early_access_key": None,
        "party_included": 1,
        "party_max": 1,
        "extra_person_minor": 0,
        "deposit_ppm": None,
    }
    # The edit form shows each stored value back, and saving it unchanged changes nothing.
    page = client.get(f"/admin/minis/{mini_id}/edit").text
    for shown in ('value="1250.50"', 'value="100.00"', 'value="spring-26"', 'value="45"'):
        assert shown in page
    assert "Blossoms &amp; &lt;b&gt;light&lt;/b&gt;" in page
    form = dict(re.findall(r'<input id="[^"]+" name="([^"]+)" type="[^"]+" value="([^"]*)"', page))
    assert form["price"] == "1250.50" and form["min_notice_hours"] == "12"
    again = {**EVERYTHING, "price": "1250.50", "deposit": "100.00"}
    response = client.post(f"/admin/minis/{mini_id}/edit", data={"csrf": csrf_from(page), **again})
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/minis/{mini_id}/edit?done=saved"
    assert mini_row(db_url, mini_id) == row


def test_a_free_mini_needs_no_payment_method_and_the_slug_comes_from_the_title(
    client: TestClient, acme: World, db_url: str
) -> None:
    data = {
        "title": "Été à Paris!",
        "price": "0",
        "visibility": "draft",
        "booking_process": "free",
        "hold_minutes": "15",
        "min_notice_hours": "0",
        "change_cutoff_hours": "0",
        "cancel_refund_policy": "none",
        "reminder_hours": "24",
        "offline_pay_hours": "0",
    }
    first = mini_row(db_url, created_id(post(client, "/admin/minis/new", data)))
    second = mini_row(db_url, created_id(post(client, "/admin/minis/new", data)))
    assert (first["slug"], second["slug"]) == ("ete-a-paris", "ete-a-paris-2")
    assert first["payment_methods"] == "" and first["booking_process"] == "free"


def test_methods_the_studio_does_not_take_are_noted_and_are_not_enough(
    client: TestClient, acme: World, db_url: str
) -> None:
    async def take_only_offline(db: Database) -> None:
        await db.execute(
            studios.update().where(studios.c.slug == "acme").values(payment_methods="offline")
        )

    run_db(db_url, take_only_offline)
    page = unescape(client.get("/admin/minis/new").text)
    demo_row = page[page.index('value="demo"') :].split("</label>", 1)[0]
    assert "Your studio doesn't take it (see Settings)" in demo_row
    offline_row = page[page.index('value="offline"') :].split("</label>", 1)[0]
    assert "doesn't take it" not in offline_row
    refused = post(client, "/admin/minis/new", {**EVERYTHING, "methods": ["demo"]})
    assert refused.status_code == 400
    errors = re.findall(r'class="field-error"[^>]*>([^<]*)<', unescape(refused.text))
    assert errors == ["Choose at least one payment method clients can use."], errors
    assert created_id(post(client, "/admin/minis/new", EVERYTHING))  # offline is enough


MONEY = [
    ("USD", "45.50", 4550, "45.50"),
    ("USD", "1,000", 100000, "1000.00"),
    ("JPY", "4500", 4500, "4500"),
    ("EUR", "45.50", 4550, "45.50"),
    ("EUR", "€ 12", 1200, "12.00"),
]


def test_money_is_read_in_the_studios_currency(
    client: TestClient, acme: World, db_url: str
) -> None:
    for currency, typed, stored, shown in MONEY:
        set_currency(db_url, currency)
        data = {**EVERYTHING, "slug": "", "price": typed, "deposit": ""}
        mini_id = created_id(post(client, "/admin/minis/new", data))
        assert mini_row(db_url, mini_id)["price_minor"] == stored, (currency, typed)
        assert f'value="{shown}"' in client.get(f"/admin/minis/{mini_id}/edit").text
    # Yen have no decimals; a deposit is more than zero and at most the price.
    set_currency(db_url, "JPY")
    response = post(client, "/admin/minis/new", {**EVERYTHING, "price": "45.50", "deposit": "0"})
    assert response.status_code == 400
    errors = errors_of(response.text)
    assert "no decimals" in errors["price"]
    assert "more than zero" in errors["deposit"]
    response = post(client, "/admin/minis/new", {**EVERYTHING, "price": "4500", "deposit": "5000"})
    assert "more than the price" in errors_of(response.text)["deposit"]


def errors_of(html: str) -> dict[str, str]:
    return {
        name: unescape(message)
        for name, message in re.findall(
            r'<p class="field-error" id="([a-z_]+)-error">([^<]+)</p>', html
        )
    }


JUNK = {
    "title": "",
    "slug": "Not A Slug!",
    "description": "x" * 20_001,
    "image_url": "javascript:alert(1)",
    "price": "-5",
    "deposit": "lots",
    "visibility": "everyone",
    "booking_process": "barter",
    "methods": ["bitcoin"],
    "hold_minutes": "0",
    "min_notice_hours": "-1",
    "change_cutoff_hours": "9" * 40,
    "cancel_refund_policy": "maybe",
    "reminder_hours": "169",
    "offline_pay_hours": "721",
    "confirmation_notice": "y" * 20_001,
    "terms": "z" * 20_001,
}


def test_every_junk_field_gets_its_own_message_and_the_input_is_kept(
    client: TestClient, acme: World, db_url: str
) -> None:
    before = rows(db_url, sa.select(mini_sessions.c.id))
    response = post(client, "/admin/minis/new", JUNK)
    assert response.status_code == 400
    errors = errors_of(response.text)
    assert set(errors) == set(JUNK)
    assert 'value="Not A Slug!"' in response.text and "javascript:alert(1)" in response.text
    # Huge and odd numbers are messages too, never a database error.
    for price in ("1e400", "NaN", "99999999999999999999", "1.005", "12abc", "1.2.3"):
        response = post(client, "/admin/minis/new", {**EVERYTHING, "price": price})
        assert response.status_code == 400 and "price" in errors_of(response.text), price
    assert rows(db_url, sa.select(mini_sessions.c.id)) == before


def test_slugs_are_unique_per_studio_and_titles_show_as_text(
    client: TestClient, acme: World, db_url: str
) -> None:
    response = post(client, "/admin/minis/new", {**EVERYTHING, "slug": "family"})
    assert response.status_code == 400 and "Another of your" in errors_of(response.text)["slug"]
    # Rival has "portraits" too; Acme may use it for itself only once (it already does).
    editing = acme.mini_ids["family"]
    response = post(client, f"/admin/minis/{editing}/edit", {**EVERYTHING, "slug": "portraits"})
    assert response.status_code == 400
    assert mini_row(db_url, editing)["slug"] == "family"
    # Whatever is typed in, pages show it as text.
    mini_id = created_id(
        post(client, "/admin/minis/new", {**EVERYTHING, "title": "<script>alert(1)</script>"})
    )
    for path in ("/admin/minis", f"/admin/minis/{mini_id}", f"/admin/minis/{mini_id}/edit"):
        html = client.get(path).text
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html, path


def test_other_studios_and_unknown_ids_are_not_found_and_posts_need_the_token(
    client: TestClient, acme: World, db_url: str
) -> None:
    [rival] = rows(
        db_url,
        sa.select(mini_sessions.c.id)
        .join(studios, studios.c.id == mini_sessions.c.studio_id)
        .where(studios.c.slug == "rival"),
    )
    csrf = token(client)
    for mini_id in (rival["id"], 999999, 2**31, 2**63):
        assert client.get(f"/admin/minis/{mini_id}").status_code == 404
        assert client.get(f"/admin/minis/{mini_id}/edit").status_code == 404
        for action in ("edit", "duplicate", "archive"):
            response = client.post(
                f"/admin/minis/{mini_id}/{action}",
                data={"csrf": csrf, **EVERYTHING, "archived": "1"},
            )
            assert response.status_code == 404, (mini_id, action)
    assert mini_row(db_url, rival["id"])["archived"] is False
    assert client.get("/admin/minis/abc").status_code == 404
    # Every POST needs the form's token: without it, or with a forged one, nothing runs.
    mini_id = acme.mini_ids["family"]
    for path in (
        "/admin/minis/new",
        f"/admin/minis/{mini_id}/edit",
        f"/admin/minis/{mini_id}/duplicate",
        f"/admin/minis/{mini_id}/archive",
    ):
        assert client.post(path, data={**EVERYTHING, "archived": "1"}).status_code == 403, path
        assert client.post(path, data={"csrf": "forged", **EVERYTHING}).status_code == 403, path
    assert (
        mini_row(db_url, mini_id)["title"] == "Family" and not mini_row(db_url, mini_id)["archived"]
    )


def test_duplicate_copies_every_setting_into_a_draft(
    client: TestClient, acme: World, db_url: str
) -> None:
    original = created_id(post(client, "/admin/minis/new", {**EVERYTHING, "visibility": "public"}))
    response = post(client, f"/admin/minis/{original}/duplicate", {})
    copy = created_id(response)
    assert response.headers["location"] == f"/admin/minis/{copy}/edit?done=copied"
    second = created_id(post(client, f"/admin/minis/{original}/duplicate", {}))
    a, b, c = mini_row(db_url, original), mini_row(db_url, copy), mini_row(db_url, second)
    assert (b["title"], b["slug"], b["visibility"]) == (
        "Spring Minis (copy)",
        "spring-26-copy",
        "draft",
    )
    assert c["slug"] == "spring-26-copy-2"
    same = {k for k in a if k not in ("id", "title", "slug", "visibility")}
    assert {k: a[k] for k in same} == {k: b[k] for k in same}
    assert "no days yet" in client.get(f"/admin/minis/{copy}").text.lower()


def test_archive_takes_a_mini_off_the_booking_site_and_keeps_its_bookings(
    client: TestClient, acme: World, db_url: str
) -> None:
    booked = book_with_demo_card(client, acme.slots["portraits"][0])
    mini_id = acme.mini_ids["portraits"]
    # The list counts each mini session's days and its upcoming bookings.
    html = client.get("/admin/minis").text
    row = re.search(r">Portraits</a>.*?</tr>", html, re.S)
    assert row
    cells = re.findall(r'<td data-label="(?:Days|Booked ahead)">(\d+)</td>', row.group(0))
    assert cells == ["3", "1"]
    assert "Draft" in html and "Unlisted" in html
    # A booking page link for what clients can open (an unlisted one too), none for a draft.
    assert '/acme/hidden">Booking page' in html and "/acme/draft-one" not in html
    assert "Portraits" in client.get("/acme").text
    response = post(client, f"/admin/minis/{mini_id}/archive", {"archived": "1"})
    assert response.status_code == 303
    assert "Portraits" not in client.get("/acme").text
    assert client.get("/acme/portraits").status_code == 404
    assert client.get("/embed/acme/portraits").status_code == 404
    assert submit_details(client, acme.slots["portraits"][1]).status_code == 404
    assert client.get(f"/b/{booked}").status_code == 200  # the client's booking is unaffected
    assert [b["status"] for b in all_bookings(db_url)] == ["booked"]
    listing = client.get("/admin/minis").text
    assert listing.index("Archived ·") < listing.index(">Portraits<")
    post(client, f"/admin/minis/{mini_id}/archive", {"archived": "0"})
    assert client.get("/acme/portraits").status_code == 200


@pytest.mark.parametrize("field", ["title", "description", "confirmation_notice", "terms"])
def test_a_nul_gets_a_field_error_and_saves_nothing(
    client: TestClient, acme: World, db_url: str, field: str
) -> None:
    """PostgreSQL text can't hold NUL: an UPDATE with one used to fail (a 500)."""
    mini_id = acme.mini_ids["portraits"]
    before = mini_row(db_url, mini_id)
    path = f"/admin/minis/{mini_id}/edit"
    response = post(client, path, {**EVERYTHING, field: "Spring\x00Minis"})
    assert response.status_code == 400
    assert "can't be saved (a NUL)" in errors_of(response.text)[field]
    assert mini_row(db_url, mini_id) == before
    created = post(client, "/admin/minis/new", {**EVERYTHING, field: "\x00"})
    assert created.status_code == 400 and field in errors_of(created.text)
