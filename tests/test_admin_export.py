"""The CSV export: the studio's rows only, spreadsheet-safe cells, the list's filters."""

from __future__ import annotations

import csv
import io

from starlette.testclient import TestClient

from tests.support.flow import accept_quote, book_with_demo_card, start
from tests.support.world import World
from widget_server.web.admin.export import HEADER, safe_cell


def records(client: TestClient, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/admin/bookings.csv{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # so Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_booked_row_has_every_column(client: TestClient, acme: World) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])
    response = client.get("/admin/bookings.csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="acme-bookings-booked-20')
    assert disposition.endswith('.csv"')
    text = response.content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == list(HEADER)
    [row] = records(client)
    assert row["status"] == "booked" and row["lead status"] == "booked"
    assert row["client name"] == "Ada Lovelace" and row["email"] == "ada@example.com"
    assert row["phone"] == "'+12125550143"  # a leading + is a formula to a spreadsheet
    assert row["mini session"] and row["location"] == "Park"
    assert row["time zone"] == "America/New_York"
    assert row["start time"] == "09:00"  # the location's wall clock, not UTC
    assert (row["total"], row["paid"], row["balance"]) == ("200.00", "50.00", "150.00")
    assert row["currency"] == "USD" and row["payment methods"] == "demo"
    assert row["booked at (UTC)"].endswith("+00:00")


def test_formula_cells_are_neutralised_and_text_survives(client: TestClient, acme: World) -> None:
    names = ['=HYPERLINK("http://evil.test","x")', "@SUM(A1)", 'Zoë "Zo" Müller, Jr.']
    for slot, name in zip(acme.slots["family"], names, strict=False):
        token = start(client, slot, "family", name=name)
        accept_quote(client, token)
        assert client.post(f"/b/{token}/pay/offline").status_code == 303
    got = {row["client name"] for row in records(client)}
    assert got == {"'" + names[0], "'" + names[1], names[2]}


def test_safe_cell_prefixes_every_formula_start() -> None:
    for start_char in "=+-@\t\r":
        assert safe_cell(f"{start_char}1+1") == f"'{start_char}1+1"
    assert safe_cell("Ada") == "Ada" and safe_cell("") == ""


def test_filters_and_utm(client: TestClient, acme: World) -> None:
    book_with_demo_card(client, acme.slots["portraits"][0])
    client.post(
        f"/acme/portraits/book?slot={acme.slots['portraits'][1]}",
        data={
            "name": "Holding Hannah",
            "email": "h@example.com",
            "phone": "212 555 0199",
            **{"utm_source": "insta", "utm_medium": "social", "utm_campaign": "fall"},
        },
    )
    held = records(client, "?status=scheduling_in_progress")
    assert [r["client name"] for r in held] == ["Holding Hannah"]
    assert (held[0]["paid"], held[0]["balance"]) == ("0.00", held[0]["total"])
    utm = (held[0]["utm_source"], held[0]["utm_medium"], held[0]["utm_campaign"])
    assert utm == ("insta", "social", "fall")
    assert len(records(client, "?status=all")) == 2
    assert [r["client name"] for r in records(client, "?status=bogus")] == ["Ada Lovelace"]


def test_only_the_own_studios_rows(client: TestClient, acme: World) -> None:
    start(client, acme.other_studio_slot, "portraits", studio="rival", name="Rival Client")
    book_with_demo_card(client, acme.slots["portraits"][0])
    assert [r["client name"] for r in records(client, "?status=all")] == ["Ada Lovelace"]


def test_login_required(client: TestClient, world: World) -> None:
    response = client.get("/admin/bookings.csv")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin?next=/admin/bookings.csv"
