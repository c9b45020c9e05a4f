"""Analytics conversions: a studio that opts in has each booking made through its widget
reported to the host page's analytics with its value and currency (and nothing personal);
one that doesn't, has only the plain ``booked`` event."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import urlsplit

from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.flow import accept_quote, pay_demo
from tests.support.queries import all_bookings, rows
from tests.support.world import World
from tests.test_embed import HOST, _submit_in_embed
from widget_server.db.tables import studios
from widget_server.formatting import major_units


def _reports(db_url: str) -> bool:
    return bool(
        rows(db_url, studios.select().where(studios.c.slug == "acme"))[0]["report_conversions"]
    )


def _opt_in(client: TestClient, on: bool) -> None:
    token = csrf_from(client.get("/admin/integrations").text)
    data = {"csrf": token, **({"report_conversions": "1"} if on else {})}
    response = client.post("/admin/integrations/analytics", data=data)
    assert response.status_code == 303


def _book_in_widget(client: TestClient, slot_id: int) -> str:
    handoff_url = _submit_in_embed(client, slot_id)
    token = urlsplit(handoff_url).path.split("/")[3]
    accept_quote(client, token)
    pay_demo(client, token)
    return client.get(f"/b/{token}").text


def test_major_units_follow_the_currencys_precision() -> None:
    assert major_units(12500, "USD") == "125.00"
    assert major_units(12500, "JPY") == "12500"
    assert major_units(1234, "KWD") == "1.234"
    assert major_units(0, "EUR") == "0.00"


def test_opted_in_studios_send_the_value_back_to_the_site(
    client: TestClient, acme: World, db_url: str
) -> None:
    page = _book_in_widget(client, acme.slots["portraits"][0])
    reference = all_bookings(db_url)[0]["reference"]
    assert f'href="{HOST}/minis?x=1#minis-booked={reference}"' in page  # off by default
    _opt_in(client, True)
    assert _reports(db_url)
    assert "now reported" in client.get("/admin/integrations?done=analytics_on").text
    page = _book_in_widget(client, acme.slots["portraits"][1])
    reference = all_bookings(db_url)[1]["reference"]
    link = f"{HOST}/minis?x=1#minis-booked={reference}&minis-value=200.00&minis-currency=USD"
    assert f'href="{unescape(link)}"' in unescape(page)
    assert "ada@example.com" not in link
    _opt_in(client, False)
    assert not _reports(db_url)


def test_a_free_booking_in_the_widget_reports_its_conversion_when_opted_in(
    client: TestClient, acme: World, db_url: str
) -> None:
    _opt_in(client, True)
    response = client.post(
        "/embed/acme/free-day/book",
        params={"parent": HOST, "page": f"{HOST}/minis", "slot": acme.slots["free-day"][0]},
        data={"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+12125550143"},
        headers={"sec-fetch-dest": "iframe"},
    )
    assert response.status_code == 303
    handoff = client.get(response.headers["location"]).text
    assert 'data-minis-event="booked"' in handoff
    detail = json.loads(unescape(re.search(r'data-minis-detail="([^"]+)"', handoff).group(1)))
    assert detail["value"] == "0.00" and detail["currency"] == "USD" and detail["reference"]
    assert "ada" not in json.dumps(detail).lower()
