"""Analytics conversions: a studio that opts in has each booking's ``minis:booked`` event carry
its value and currency (and nothing personal), which the loader on the host page reports
to the page's GA4 and Meta Pixel (e2e/test_conversions.py); one that doesn't, sends the
plain event."""

from __future__ import annotations

import json
import re
from html import unescape

from starlette.testclient import TestClient

from tests.support.admin import csrf_from
from tests.support.flow import book_with_demo_card
from tests.support.queries import rows
from tests.support.world import World
from widget_server.db.tables import studios
from widget_server.formatting import major_units


def _reports(db_url: str) -> bool:
    found = rows(db_url, studios.select().where(studios.c.slug == "acme"))
    return bool(found[0]["report_conversions"])


def _opt_in(client: TestClient, on: bool) -> None:
    token = csrf_from(client.get("/admin/integrations").text)
    data = {"csrf": token, **({"report_conversions": "1"} if on else {})}
    response = client.post("/admin/integrations/analytics", data=data)
    assert response.status_code == 303


def _booked_detail(client: TestClient, slot_id: int, mini: str = "portraits") -> dict[str, str]:
    token = book_with_demo_card(client, slot_id, mini)
    page = client.get(f"/embed/b/{token}?done=booked").text  # the widget fires it
    assert 'data-minis-event="booked"' in page
    match = re.search(r'data-minis-detail="([^"]+)"', page)
    assert match
    return dict(json.loads(unescape(match.group(1))))


def test_major_units_follow_the_currencys_precision() -> None:
    assert major_units(12500, "USD") == "125.00"
    assert major_units(12500, "JPY") == "12500"
    assert major_units(1234, "KWD") == "1.234"
    assert major_units(0, "EUR") == "0.00"


def test_opted_in_studios_send_the_value_with_the_booked_event(
    client: TestClient, acme: World, db_url: str
) -> None:
    plain = _booked_detail(client, acme.slots["portraits"][0])
    assert plain["reference"] and "value" not in plain and "currency" not in plain
    _opt_in(client, True)
    assert _reports(db_url)
    assert "now reported" in client.get("/admin/integrations?done=analytics_on").text
    detail = _booked_detail(client, acme.slots["portraits"][1])
    assert detail["value"] == "200.00" and detail["currency"] == "USD"
    assert "ada" not in json.dumps(detail).lower() and "555" not in json.dumps(detail)
    _opt_in(client, False)
    assert not _reports(db_url)
