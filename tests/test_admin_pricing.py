"""The dashboard's pricing forms: add-ons, codes, tax rates, party pricing; studio scoping."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.clock import FakeClock
from tests.support.databases import run_db
from tests.support.extras import seed_extras
from tests.support.flow import pay_demo, start
from tests.support.queries import all_bookings, rows
from tests.support.world import World
from widget_server.db.tables import (
    addons,
    coupon_minis,
    coupons,
    mini_sessions,
    tax_rate_minis,
    tax_rates,
)


def post(client: TestClient, path: str, **data: str) -> Any:
    token = csrf_from(client.get("/admin/pricing").text)
    return client.post(path, data={"csrf": token, **data})


def _all(db_url: str, table: sa.Table) -> list[dict[str, Any]]:
    return rows(db_url, sa.select(table).order_by(*table.primary_key.columns))


def test_an_add_on_is_added_changed_and_sold_at_checkout(
    client: TestClient, acme: World, db_url: str
) -> None:
    mini = acme.mini_ids["portraits"]
    added = post(
        client,
        f"/admin/minis/{mini}/addons",
        name="Album",
        description="Linen",
        image_url="",
        price="45.00",
        max_quantity="2",
        stock="10",
    )
    assert added.status_code == 303
    [album] = _all(db_url, addons)
    assert (album["price_minor"], album["max_quantity"], album["stock"]) == (4500, 2, 10)
    page = client.get(f"/admin/minis/{mini}/addons").text
    assert "Album" in page and "10 left of 10" in page
    changed = post(
        client,
        f"/admin/minis/{mini}/addons/{album['id']}",
        name="Album",
        price="50",
        max_quantity="3",
    )
    assert changed.status_code == 303
    assert _all(db_url, addons)[0]["price_minor"] == 5000
    # The client sees it on the quote.
    client.cookies.clear()
    token = start(client, acme.slots["portraits"][0])
    assert "Album" in client.get(f"/b/{token}/quote").text


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "", "price": "10", "max_quantity": "1"}, "name", "Give the add-on a name"),
        ({"name": "A", "price": "-5", "max_quantity": "1"}, "price", "can't be negative"),
        ({"name": "A", "price": "5", "max_quantity": "0"}, "max_quantity", "from 1 to 100"),
        ({"name": "A", "price": "5", "max_quantity": "1", "stock": "-1"}, "stock", "from 0"),
        ({"name": "A\x00", "price": "5", "max_quantity": "1"}, "name", "NUL"),
    ],
)
def test_bad_add_ons_are_explained_and_nothing_is_saved(
    client: TestClient, acme: World, db_url: str, form: dict[str, str], field: str, message: str
) -> None:
    response = post(client, f"/admin/minis/{acme.mini_ids['portraits']}/addons", **form)
    assert response.status_code == 400 and message in html.unescape(response.text)
    assert _all(db_url, addons) == []


def test_a_code_for_some_sessions(client: TestClient, acme: World, db_url: str) -> None:
    family = acme.mini_ids["family"]
    response = post(
        client,
        "/admin/pricing/codes/new",
        code="spring-10",
        kind="percent",
        amount="12.5",
        scope="some",
        **{f"mini_{family}": "1"},
        starts_on="2026-11-01",
        ends_on="2026-12-31",
        max_uses="5",
        per_email_limit="1",
    )
    assert response.status_code == 303
    [code] = _all(db_url, coupons)
    assert (code["code"], code["value"], code["all_minis"]) == ("SPRING-10", 125_000, False)
    assert [r["mini_session_id"] for r in _all(db_url, coupon_minis)] == [family]
    listing = client.get("/admin/pricing").text
    assert "SPRING-10" in listing and "12.5 %" in listing and "0 of 5" in listing
    again = post(client, "/admin/pricing/codes/new", code="Spring-10", kind="fixed", amount="5")
    assert again.status_code == 400 and "already has this code" in again.text


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"code": "", "kind": "percent", "amount": "10"}, "code"),
        ({"code": "A B", "kind": "percent", "amount": "10"}, "code"),
        ({"code": "X", "kind": "percent", "amount": "150"}, "amount"),
        ({"code": "X", "kind": "fixed", "amount": "0"}, "amount"),
        ({"code": "X", "kind": "other", "amount": "1"}, "kind"),
        (
            {"code": "X", "kind": "percent", "amount": "5", "scope": "some", "mini_999": "1"},
            "scope",
        ),
        (
            {
                "code": "X",
                "kind": "percent",
                "amount": "5",
                "starts_on": "2026-12-05",
                "ends_on": "2026-12-01",
            },
            "ends_on",
        ),
        ({"code": "X", "kind": "percent", "amount": "5", "max_uses": "-1"}, "max_uses"),
    ],
)
def test_bad_codes_are_explained_and_nothing_is_saved(
    client: TestClient, acme: World, db_url: str, form: dict[str, str], field: str
) -> None:
    response = post(client, "/admin/pricing/codes/new", **form)
    assert (response.status_code == 400 and f'id="{field}-error"' in response.text) or (
        response.status_code == 400 and f'href="#{field}"' in response.text
    )
    assert _all(db_url, coupons) == []


def test_a_tax_rate_and_its_limits(client: TestClient, acme: World, db_url: str) -> None:
    portraits = acme.mini_ids["portraits"]
    for bad in ("1000", "-5", "0", "abc", "8.12345"):
        refused = post(client, "/admin/pricing/taxes/new", name="Tax", rate=bad)
        assert refused.status_code == 400 and "Enter a percentage" in refused.text
    assert _all(db_url, tax_rates) == []
    made = post(
        client,
        "/admin/pricing/taxes/new",
        name="Sales tax",
        rate="8.875",
        mini_scope="some",
        addon_scope="all",
        **{f"mini_{portraits}": "1"},
    )
    assert made.status_code == 303
    [rate] = _all(db_url, tax_rates)
    assert (rate["rate_ppm"], rate["inclusive"], rate["all_minis"]) == (88_750, False, False)
    assert [r["mini_session_id"] for r in _all(db_url, tax_rate_minis)] == [portraits]
    client.cookies.clear()
    token = start(client, acme.slots["portraits"][0])
    assert "Sales tax 8.875\u00a0%" in client.get(f"/b/{token}/quote").text


def test_another_studios_rows_are_not_found(client: TestClient, acme: World, db_url: str) -> None:
    rival_mini = rows(
        db_url, sa.select(mini_sessions.c.id).where(mini_sessions.c.studio_id != 1).limit(1)
    )[0]["id"]
    assert client.get(f"/admin/minis/{rival_mini}/addons").status_code == 404
    refused = post(
        client, f"/admin/minis/{rival_mini}/addons", name="A", price="1", max_quantity="1"
    )
    assert refused.status_code == 404 and _all(db_url, addons) == []
    code = rows(
        db_url,
        sa.insert(coupons)
        .values(studio_id=2, code="R", kind="percent", value=1)
        .returning(coupons.c.id),
    )
    assert client.get(f"/admin/pricing/codes/{code[0]['id']}").status_code == 404
    assert (
        post(client, f"/admin/pricing/codes/{code[0]['id']}/archive", archived="1").status_code
        == 404
    )


def test_party_pricing_and_a_deposit_share_in_the_mini_session_settings(
    client: TestClient, acme: World, db_url: str
) -> None:
    mini = acme.mini_ids["portraits"]
    page = client.get(f"/admin/minis/{mini}/edit").text
    form = dict(re.findall(r'<input id="[^"]+" name="([^"]+)" type="[^"]+" value="([^"]*)"', page))
    form |= {"visibility": "public", "booking_process": "quote", "cancel_refund_policy": "full"}
    form |= {"methods": "demo", "order_demo": "1", "deposit": "", "csrf": csrf_from(page)}
    saved = client.post(
        f"/admin/minis/{mini}/edit",
        data={
            **form,
            "party_included": "2",
            "party_max": "6",
            "extra_person": "15",
            "deposit_percent": "25",
        },
    )
    assert saved.status_code == 303, saved.text
    row = rows(db_url, sa.select(mini_sessions).where(mini_sessions.c.id == mini))[0]
    assert (row["party_included"], row["party_max"], row["extra_person_minor"]) == (2, 6, 1500)
    assert row["deposit_ppm"] == 250_000 and row["deposit_minor"] is None
    for bad in (
        {"party_max": "1", "party_included": "3"},
        {"party_max": "51"},
        {"deposit_percent": "100"},
    ):
        refused = client.post(f"/admin/minis/{mini}/edit", data={**form, **bad})
        assert refused.status_code == 400
    client.cookies.clear()
    token = start(client, acme.slots["portraits"][0], party_size="4")
    quote = client.get(f"/b/{token}/quote").text
    # 200 + 2 x 15 = 230; a quarter of it now.
    assert "$230.00" in quote and "$57.50" in quote


def test_the_studio_adjusts_a_bookings_add_ons_and_the_balance_follows(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    extras = run_db(db_url, lambda db: seed_extras(db, acme, clock()))
    # The client books with one album: 200 + 40, 10 % tax = 264; $50 deposit paid.
    token = start(client, acme.slots["portraits"][0])
    client.post(f"/b/{token}/quote", data={"action": "confirm", f"addon_{extras.album}": "1"})
    assert pay_demo(client, token).status_code == 303
    [booking] = all_bookings(db_url)
    # The booking emails show the lines (text and HTML).
    links = dict(
        (name, email_id)
        for email_id, name in re.findall(
            r'<a href="/admin/emails/(\d+)">([^<]+)</a>', client.get("/admin/emails").text
        )
    )
    for name in ("Confirmation to the client", "New booking, to you"):
        text = html.unescape(client.get(f"/admin/emails/{links[name]}").text)
        assert (
            "Album: $40.00" in text
            and "Sales tax 10\u00a0%: $24.00" in text
            and "Total: $264.00" in text
        )
        assert "Album" in client.get(f"/admin/emails/{links[name]}/html").text
    page = client.get(f"/admin/bookings/{booking['id']}").text
    assert "Album" in page and "$264.00" in page and f'name="addon_{extras.album}"' in page
    for bad in (
        {f"addon_{extras.album}": "3"},
        {f"addon_{extras.album}": "-1"},
        {f"addon_{extras.family_addon}": "1"},
    ):
        refused = post(client, f"/admin/bookings/{booking['id']}/addons", **bad)
        assert refused.status_code == 400
    assert _all(db_url, addons)[0]["taken"] == 1
    done = post(
        client,
        f"/admin/bookings/{booking['id']}/addons",
        **{f"addon_{extras.album}": "2", f"addon_{extras.prints}": "1"},
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=addons_adjusted")
    page = client.get(f"/admin/bookings/{booking['id']}?done=addons_adjusted").text
    # 200 + 80 + 15 = 295, plus 29.50 tax = 324.50; 50 paid, 274.50 to pay.
    assert "$324.50" in page and "$274.50" in page
    assert {a["id"]: a["taken"] for a in _all(db_url, addons)}[extras.album] == 2
    # The client's page and the CSV show it too.
    assert "$274.50" in client.get(f"/b/{token}").text
    csv_text = client.get("/admin/bookings.csv?status=booked").text
    assert "Album x 2; Print" in csv_text and "29.50" in csv_text
    day = client.get(
        client.get(f"/admin/bookings/{booking['id']}")
        .text.split('<dt>Time</dt><dd><a href="')[1]
        .split('"')[0]
    ).text
    assert "Album x 2" in day


def test_a_duplicate_sells_the_same_add_ons_with_their_whole_stock(
    client: TestClient, acme: World, db_url: str, clock: FakeClock
) -> None:
    extras = run_db(db_url, lambda db: seed_extras(db, acme, clock()))
    token = start(client, acme.slots["portraits"][0])
    client.post(f"/b/{token}/quote", data={"action": "update", f"addon_{extras.album}": "2"})
    copied = post(client, f"/admin/minis/{acme.mini_ids['portraits']}/duplicate")
    copy_id = int(copied.headers["location"].split("/")[3])
    copies = [a for a in _all(db_url, addons) if a["mini_session_id"] == copy_id]
    assert [(a["name"], a["stock"], a["taken"]) for a in copies] == [
        ("Album", 3, 0),
        ("Print", None, 0),
    ]
    assert {"party_max": 5, "extra_person_minor": 1500}.items() <= rows(
        db_url, sa.select(mini_sessions).where(mini_sessions.c.id == copy_id)
    )[0].items()
